"""Operations: what a supervisor, a load balancer and Prometheus read of a SEEI process.

    GET /healthz   alive: 200 at once, no dependency touched
    GET /readyz    200 or 503; to a trusted client (SEEI_OPS_TRUSTED: loopback by default), each
                   dependency (database, Redis, task worker, task lag) as JSON
    GET /metrics   Prometheus text (trusted clients only): bids, frames, viewers, and the figures read
                   from the database

Served by every process that serves HTTP, outside Django's request cycle (they answer while
the database is down): the room app (``seei.room.app``, the ASGI processes) and, for the page
processes under gunicorn, ``seei.ops.endpoints.with_health`` around the WSGI application.
"""
