"""The fan-out's baseline: a plain WebSocket broadcast server (the ``websockets`` library).

    python -m bench.broadcast_server PORT TEMPLATE_FILE

Viewers connect to any path but ``/control``; the harness connects to ``/control`` and sends
``SEQ SERVER_TIME`` lines; each becomes one frame, the template (a real SEEI snapshot) with that
seq and server_time, broadcast as the same bytes to every viewer with ``websockets.broadcast``
(no compression, no per-socket task, no coalescing). ``GET /health`` answers 200.
"""

from __future__ import annotations

import asyncio
import re
import sys
from http import HTTPStatus

from websockets.asyncio.server import broadcast, serve

SEQ = re.compile(rb'"seq":\d+')
SERVER_TIME = re.compile(rb'"server_time":"[^"]*"')


def frame_of(template: bytes, seq: int, server_time: str) -> bytes:
    frame = SEQ.sub(b'"seq":%d' % seq, template, count=1)
    return SERVER_TIME.sub(b'"server_time":"' + server_time.encode() + b'"', frame, count=1)


async def main(port: int, template: bytes) -> None:
    viewers = set()

    async def handler(connection) -> None:
        if connection.request.path == "/control":
            async for message in connection:
                seq, server_time = message.split()
                broadcast(viewers, frame_of(template, int(seq), server_time))
            return
        viewers.add(connection)
        try:
            await connection.wait_closed()
        finally:
            viewers.discard(connection)

    def health(connection, request):
        if request.path == "/health":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return None

    async with serve(handler, "127.0.0.1", port, compression=None, process_request=health, max_size=4096):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    with open(sys.argv[2], "rb") as file:
        frame_template = file.read()
    try:
        import uvloop

        uvloop.run(main(int(sys.argv[1]), frame_template))
    except ImportError:
        asyncio.run(main(int(sys.argv[1]), frame_template))
