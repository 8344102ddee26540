"""``/healthz`` and ``/readyz``: in the room app (ASGI), around the page processes' WSGI application,
and on a real served site."""

import json

import pytest
from starlette.testclient import TestClient

from seei.ops.endpoints import with_health
from seei.room.app import create_app
from tests.conftest import off_loop
from tests.ops.conftest import beat, closed_port, due_job

pytestmark = pytest.mark.django_db(transaction=True)

LOOPBACK = ("127.0.0.1", 50000)  # the test client's address (its own, "testclient", is trusted by no one)


@pytest.fixture
def client(settings):
    settings.REDIS_URL = ""
    with TestClient(create_app(in_process_worker=False), client=LOOPBACK) as client:
        yield client


def readiness(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    assert response.headers["cache-control"] == "no-store"
    return response.status_code, response.json()


def test_ready_reports_each_dependency(client, no_tasks):
    beat(seconds_ago=1)

    status, report = readiness(client)

    assert status == 200 and report["ready"] is True, report
    checks = report["checks"]
    assert set(checks) == {"database", "redis", "worker", "task_lag"}
    assert all(check["ok"] for check in checks.values())
    assert checks["redis"]["used"] is False  # the embedded default: the fan-out is in-process
    assert checks["worker"]["alive"] == 1 and checks["worker"]["in_process"] is True
    assert checks["task_lag"]["seconds"] == 0 and checks["task_lag"]["todo"] == 0


def test_a_silent_worker_is_not_ready(client, no_tasks):
    beat(seconds_ago=60)  # longer than a worker stays silent before its jobs are retried elsewhere

    status, report = readiness(client)

    assert status == 503 and report["ready"] is False
    worker = report["checks"]["worker"]
    assert worker["ok"] is False and worker["alive"] == 0 and worker["last_heartbeat_seconds"] >= 60
    assert report["checks"]["database"]["ok"] is True


def test_a_late_queue_is_not_ready(client, no_tasks):
    beat()
    due_job(seconds_ago=300)

    status, report = readiness(client)

    assert status == 503
    lag = report["checks"]["task_lag"]
    assert lag["ok"] is False and 300 <= lag["seconds"] < 400 and lag["todo"] == 1
    assert report["checks"]["worker"]["ok"] is True


def test_an_unreachable_database_answers_alive_but_not_ready(settings, database_down):
    settings.REDIS_URL = ""
    with TestClient(create_app(in_process_worker=False), client=LOOPBACK) as client:
        alive = client.get("/healthz")
        status, report = readiness(client)

    assert (alive.status_code, alive.text) == (200, "ok")
    assert status == 503 and report["ready"] is False
    checks = report["checks"]
    assert checks["database"]["ok"] is False and checks["database"]["error"]
    assert checks["worker"]["ok"] is False and checks["task_lag"]["ok"] is False
    assert checks["redis"]["ok"] is True  # reported on its own: not used here


def test_redis_is_checked_when_it_is_used(settings, no_tasks, machine_redis):
    beat()
    settings.REDIS_URL = machine_redis
    with TestClient(create_app(in_process_worker=False), client=LOOPBACK) as client:
        status, report = readiness(client)
    assert status == 200, report
    assert report["checks"]["redis"]["ok"] is True and report["checks"]["redis"]["used"] is True
    assert report["checks"]["worker"]["in_process"] is False

    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    with TestClient(create_app(in_process_worker=False), client=LOOPBACK) as client:
        status, report = readiness(client)
    assert status == 503
    assert report["checks"]["redis"]["ok"] is False and report["checks"]["redis"]["error"]
    assert report["checks"]["database"]["ok"] is True


def test_the_page_processes_answer_before_django(no_tasks, settings):
    settings.REDIS_URL = ""
    beat()
    calls = []

    def django(environ, start_response):
        calls.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"page"]

    def get(path):
        answered = {}
        body = with_health(django)(
            {"PATH_INFO": path, "REMOTE_ADDR": "127.0.0.1"},
            lambda status, headers: answered.update(status=status, headers=dict(headers)),
        )
        return answered["status"], b"".join(body)

    assert get("/healthz") == ("200 OK", b"ok")
    status, body = off_loop(get, "/readyz")  # asyncio.run in the request's thread, as gunicorn's
    assert status == "200 OK" and json.loads(body)["checks"]["database"]["ok"] is True
    assert get("/fr/") == ("200 OK", b"page") and calls == ["/fr/"]


# Only the operators read the details: hosts and ports in the errors, the platform's job counts.


def test_a_client_that_is_not_trusted_is_told_only_whether_the_process_is_ready(settings, database_down):
    settings.REDIS_URL = ""
    with TestClient(create_app(in_process_worker=False)) as client:  # at "testclient": not trusted
        status, report = readiness(client)
        metrics = client.get("/metrics")

    assert (status, report) == (503, {"ready": False})  # not the database's address, nor its error
    assert metrics.status_code == 403 and metrics.text == ""


def test_a_request_relayed_by_a_proxy_on_this_machine_is_judged_by_its_client(client, no_tasks):
    beat()
    relayed = {"x-forwarded-for": "203.0.113.7"}  # the public, through a proxy on 127.0.0.1

    assert client.get("/readyz", headers=relayed).json() == {"ready": True}
    assert client.get("/metrics", headers=relayed).status_code == 403
    assert "checks" in client.get("/readyz").json()  # the same address, not relayed: an operator
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize(
    ("remote", "forwarded", "full"),
    [
        ("127.0.0.1", None, True),
        ("::1", None, True),
        ("198.51.100.4", None, False),
        ("127.0.0.1", "198.51.100.4", False),
        ("", None, False),  # a unix socket's peer
        ("10.1.2.3", None, True),  # in a network added to SEEI_OPS_TRUSTED
        ("127.0.0.1", "10.1.2.3", True),
    ],
)
def test_the_page_processes_give_the_report_only_to_trusted_addresses(
    no_tasks, settings, remote, forwarded, full
):
    settings.REDIS_URL = ""
    settings.SEEI_OPS_TRUSTED = ["127.0.0.1", "::1", "10.0.0.0/8"]
    beat()
    environ = {"PATH_INFO": "/readyz", "REMOTE_ADDR": remote}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    answered = {}

    body = off_loop(with_health(None), environ, lambda status, headers: answered.update(status=status))

    assert answered["status"] == "200 OK"
    assert ("checks" in json.loads(b"".join(body))) is full


def test_the_served_site_answers_all_three(no_tasks, tmp_path):
    """``python -m seei.room.server`` as ``make demo`` runs it (one process, its worker inside): ready
    once its worker beats, and /metrics goes to the room app, not to Django."""
    import httpx

    from tests.room.servers import WebServer

    with WebServer(tmp_path) as web:
        web.wait_http(f"{web.url}/readyz", timeout=30)  # 200: its in-process worker beats
        alive = httpx.get(f"{web.url}/healthz")
        ready = httpx.get(f"{web.url}/readyz").json()
        metrics = httpx.get(f"{web.url}/metrics")

    assert alive.status_code == 200 and alive.text == "ok"
    assert ready["checks"]["worker"]["in_process"] is True and ready["checks"]["worker"]["alive"] >= 1
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert "seei_database_up 1.0" in metrics.text and "seei_task_workers_alive" in metrics.text
