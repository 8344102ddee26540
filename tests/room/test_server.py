"""The room's socket protocol under a real uvicorn: broadcast frames written already framed, straight
to the connection (``FrameWriter``), exactly as the protocol would frame them, coalesced while the
connection cannot take more; pings answered; the lean receive queue."""

import asyncio
import contextlib
import threading

import pytest
import uvicorn
from starlette.websockets import WebSocket
from websockets.sync.client import connect

from seei.room.fanout import PONG, Hub, Subscriber, local_socket
from seei.room.server import ROOM_SERVER_OPTIONS, FrameWriter, Inbox
from tests.conftest import run_async
from tests.room.servers import free_port, wait_until

LOT = 1


class Room:
    """A minimal room handler (accept, join, answer pings) served by uvicorn in a thread."""

    def __init__(self):
        self.hub = Hub()
        self.sockets: list = []
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return
        self.loop = asyncio.get_running_loop()
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        socket = local_socket(scope, websocket.send_bytes)
        self.sockets.append(socket)
        subscriber = Subscriber(socket)
        await self.hub.join(LOT, subscriber)
        try:
            while (message := await websocket.receive())["type"] != "websocket.disconnect":
                if message.get("text") == "ping":
                    subscriber.push_control(PONG)
        finally:
            self.hub.leave(LOT, subscriber)
            await subscriber.close()

    def run(self, function, *args):
        """Call ``function`` on the server's loop and wait for it."""

        async def call():
            return function(*args)

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(5)


@pytest.fixture
def room():
    app = Room()
    options = {**ROOM_SERVER_OPTIONS, "lifespan": "off"}
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", **options)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 10, "uvicorn started", every=0.01)
    app.url = f"ws://127.0.0.1:{server.config.port}/room/lots/{LOT}/ws"
    yield app
    server.should_exit = True
    thread.join(10)


def wait_for_viewers(room, count: int) -> None:
    wait_until(lambda: room.hub.count(LOT) == count, 5, f"{count} connection(s) to the lot", every=0.01)


def test_broadcast_frames_go_straight_to_the_connection_as_binary_frames(room):
    with connect(room.url) as first, connect(room.url) as second:
        wait_for_viewers(room, 2)
        assert all(isinstance(socket, FrameWriter) for socket in room.sockets)  # the direct way
        for payload in (b'{"seq":1}', b"x" * 300, b"y" * 70_000):  # the three header lengths
            room.run(room.hub.deliver, LOT, payload)
            assert first.recv(timeout=5) == payload
            assert second.recv(timeout=5) == payload
        first.send("ping")  # through uvicorn's receive path, and the lean queue
        assert first.recv(timeout=5) == PONG.data


def test_a_connection_that_cannot_take_more_gets_the_latest_frame_when_it_can(room):
    with connect(room.url) as viewer:
        wait_for_viewers(room, 1)
        (writer,) = room.sockets
        room.run(writer._protocol.pause_writing)  # as when its buffer is above the high-water mark
        for seq in range(1, 6):
            room.run(room.hub.deliver, LOT, b'{"seq":%d}' % seq)
        with pytest.raises(TimeoutError):
            viewer.recv(timeout=0.2)
        room.run(writer._protocol.resume_writing)
        assert viewer.recv(timeout=5) == b'{"seq":5}'
        with pytest.raises(TimeoutError):
            viewer.recv(timeout=0.2)


def test_a_closed_connection_takes_no_frame(room):
    with connect(room.url):
        wait_for_viewers(room, 1)
    wait_for_viewers(room, 0)
    (writer,) = room.sockets
    assert not room.run(writer.can_write)


def test_the_inbox_hands_messages_in_order_to_its_reader():
    async def scenario():
        inbox = Inbox()
        assert inbox.empty()
        reader = asyncio.ensure_future(inbox.get())
        await asyncio.sleep(0)
        inbox.put_nowait({"n": 1})
        inbox.put_nowait({"n": 2})
        assert await reader == {"n": 1}
        assert not inbox.empty()
        assert await inbox.get() == {"n": 2}
        assert inbox.empty()
        waiting = asyncio.ensure_future(inbox.get())
        await asyncio.sleep(0)
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        inbox.put_nowait({"n": 3})  # a cancelled reader leaves nothing behind
        assert await inbox.get() == {"n": 3}

    run_async(scenario())
