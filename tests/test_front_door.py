"""What a newcomer's first commands rely on: the database's address handed to child processes, the
children stopped whatever happens, the embedded server started only when used, the demo's address."""

import io
import os
import signal
import subprocess
import sys
import textwrap
import time

import dj_database_url
import psycopg
import pytest

from seei.core import children, database


@pytest.mark.parametrize(
    "settings_dict",
    [
        {
            "HOST": "/work/a clone/var/pgdata",
            "PORT": "",
            "USER": "postgres",
            "PASSWORD": "",
            "NAME": "seei_test",
        },
        {"HOST": "db.example", "PORT": "6432", "USER": "seei", "PASSWORD": "p@ss:w/rd%", "NAME": "seei"},
        {"HOST": "127.0.0.1", "PORT": 5432, "USER": "postgres", "PASSWORD": "", "NAME": "postgres"},
    ],
)
def test_the_database_url_reads_back_as_the_same_database_for_a_socket_a_host_and_a_password(
    settings_dict, monkeypatch
):
    from django.db import connections

    connection = connections["default"]
    monkeypatch.setattr(connection, "settings_dict", {**connection.settings_dict, **settings_dict})
    monkeypatch.setattr(connection, "get_connection_params", lambda: _params(settings_dict))
    parsed = dj_database_url.parse(database.url())
    assert {key: str(parsed[key]) for key in settings_dict} == {k: str(v) for k, v in settings_dict.items()}


def _params(values):
    return {
        "host": values["HOST"],
        "port": values["PORT"],
        "user": values["USER"],
        "password": values["PASSWORD"],
        "dbname": values["NAME"],
        "prepare_threshold": None,
        "cursor_factory": object,
    }


@pytest.mark.django_db
def test_a_child_process_reaches_the_test_database_through_its_url():
    from django.db import connection

    with psycopg.connect(database.url()) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == connection.settings_dict["NAME"]


def test_a_child_that_never_answers_is_stopped_with_what_it_started(tmp_path):
    # A child that starts a grandchild of its own, then never listens.
    script = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"
    child = children.Child("mute", [sys.executable, "-c", script], dict(os.environ), tmp_path / "mute.log")
    time.sleep(0.5)
    assert len(children._session_members(child.pid)) == 2
    with pytest.raises(RuntimeError, match="did not start"):
        child.wait_http("http://127.0.0.1:9/", timeout=1)
    assert children._session_members(child.pid) == []


def test_a_process_left_alive_is_reported_until_stopped(tmp_path):
    child = children.Child("sleeper", ["sleep", "300"], dict(os.environ), tmp_path / "sleeper.log")
    assert f"{child.pid} sleep" in children.leftovers(grace=0)
    child.stop()
    assert f"{child.pid} sleep" not in children.leftovers(grace=0)


def test_ctrl_c_in_the_parent_stops_its_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    parent = textwrap.dedent(f"""
        import os, pathlib, signal, time
        from seei.core.children import Child
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal, even if started with it ignored
        child = Child("sleeper", ["sleep", "300"], dict(os.environ), pathlib.Path({str(tmp_path / "s.log")!r}))
        pathlib.Path({str(pid_file)!r}).write_text(str(child.pid))
        time.sleep(300)
    """)
    process = subprocess.Popen([sys.executable, "-c", parent], stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.1)
        grandchild = int(pid_file.read_text())
        process.send_signal(signal.SIGINT)
        process.wait(20)
        assert children._session_members(grandchild) == []
    finally:
        process.kill()
        process.wait()


def test_settings_alone_start_no_database(tmp_path):
    """Commands that never touch the database (compilemessages, verify) start no server."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEEI_REQUIRE_SERVICES")}
    env.update(SEEI_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="seei.settings")
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "seei.embedded", done.stderr
    assert not (tmp_path / "pgdata").exists()


def test_the_demo_prints_the_address_it_serves(settings, monkeypatch, capsys, db):
    from django.core.management import call_command

    monkeypatch.setattr("seei.core.management.commands.load_demo.load", lambda: [("Company", "a@b.ma")])
    settings.SITE_URL = "http://127.0.0.1:8600"
    call_command("load_demo", force=True)  # the test database may not be the embedded one
    printed = capsys.readouterr().out
    assert "Log in at http://127.0.0.1:8600/ with:" in printed
    assert "practice auction: http://127.0.0.1:8600/fr/practice/" in printed


def test_the_demo_refuses_a_database_other_than_the_embedded_one_without_force(monkeypatch, db):
    from django.core.management import CommandError, call_command
    from django.db import connection

    loaded = []
    monkeypatch.setattr("seei.core.management.commands.load_demo.load", lambda: loaded.append(1) or [])
    monkeypatch.setattr("seei.core.management.commands.load_demo.ensure_public", lambda: None)
    monkeypatch.setitem(connection.settings_dict, "ENGINE", "django.db.backends.postgresql")
    with pytest.raises(CommandError, match="--force"):
        call_command("load_demo")
    assert loaded == []
    call_command("load_demo", "--force", stdout=io.StringIO())
    monkeypatch.setitem(connection.settings_dict, "ENGINE", "seei.embedded")
    call_command("load_demo", stdout=io.StringIO())  # the embedded default is the demo's own
    assert loaded == [1, 1]
