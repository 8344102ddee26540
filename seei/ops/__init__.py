"""Operations: what a supervisor, a load balancer and Prometheus read of a SEEI process.

    GET /healthz   alive: 200 at once, no dependency touched
    GET /readyz    each dependency (database, Redis, task worker, task lag) as JSON; 200 or 503
    GET /metrics   Prometheus text: bids, frames, viewers, and the figures read from the database

Served by every process that serves HTTP, outside Django's request cycle (they answer while
the database is down): the room app (``seei.room.app``, the ASGI processes) and, for the page
processes under gunicorn, ``seei.ops.endpoints.with_health`` around the WSGI application.
"""
