"""Serve SEEI (pages, API and the live room) with the settings the room needs.

    python -m seei.room.server [--host 127.0.0.1] [--port 8000] [--workers 1]

The same as ``uvicorn seei.asgi:application`` plus: no per-message compression on sockets
(one broadcast frame is the same bytes for everyone; deflating it per socket would cost CPU
per viewer), a small maximum incoming message (clients only ever send a ping), and the
lifespan on (it opens the pool and the subscription).
"""

import argparse
import os

ROOM_SERVER_OPTIONS = {
    "ws_per_message_deflate": False,
    "ws_max_size": 4096,
    "lifespan": "on",
}


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m seei.room.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    if args.workers > 1 and not os.environ.get("REDIS_URL"):
        # Without Redis a snapshot reaches only the sockets of the process that published it.
        parser.error("several workers need REDIS_URL: the processes share the lots' snapshots through Redis")
    uvicorn.run(
        "seei.asgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        **ROOM_SERVER_OPTIONS,
    )


if __name__ == "__main__":
    main()
