"""The fan-out: one message per process, the same bytes to every local socket, coalescing.

Sockets are stood in for by their ASGI ``send`` coroutine (``AsgiSocket``, the portable way); the
direct way of ``seei.room.server`` has its tests in ``test_server.py``.
"""

import asyncio
import threading
from datetime import UTC, datetime

import redis

from seei.auctions import events
from seei.ops.metrics import FRAMES_SENT
from seei.room.fanout import FEED_DOWN, PONG, AsgiSocket, Frame, Hub, Subscriber
from tests.conftest import run_async


class Socket:
    """A local socket's send side; ``gate`` (when set) makes it slow."""

    def __init__(self, gate: asyncio.Event | None = None):
        self.frames: list[bytes] = []
        self.gate = gate

    async def send(self, frame: bytes) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.frames.append(frame)


async def subscribe(hub: Hub, lot_id: int, count: int) -> list[Socket]:
    sockets = []
    for _ in range(count):
        socket = Socket()
        await hub.join(lot_id, Subscriber(AsgiSocket(socket.send)))
        sockets.append(socket)
    return sockets


def watcher(socket: Socket) -> Subscriber:
    return Subscriber(AsgiSocket(socket.send))


async def settle(condition, timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.005)


def test_one_local_publish_reaches_every_socket_of_the_lot_as_the_same_bytes(settings):
    settings.REDIS_URL = ""

    async def scenario():
        hub = Hub()
        await hub.start()
        try:
            watchers = await subscribe(hub, 7, 50)
            elsewhere = await subscribe(hub, 8, 3)
            await events.publish(7, {"lot": 7, "seq": 1})
            await settle(lambda: all(socket.frames for socket in watchers))
            first = watchers[0].frames[0]
            assert first == events.encode({"lot": 7, "seq": 1})
            # Encoded once: every socket was handed the very same object, not an equal copy.
            assert all(socket.frames == [first] and socket.frames[0] is first for socket in watchers)
            assert hub.frames_in == 1
            assert all(socket.frames == [] for socket in elsewhere)
        finally:
            await hub.stop()

    run_async(scenario())


def test_a_publish_from_another_thread_reaches_the_sockets_through_the_event_loop(settings):
    """Services publish after commit from sync code (a view's thread, a task): the hub hops onto its loop."""
    settings.REDIS_URL = ""

    async def scenario():
        hub = Hub()
        await hub.start()
        try:
            sockets = await subscribe(hub, 7, 5)
            thread = threading.Thread(target=events.publish_sync, args=(7, {"lot": 7, "seq": 2}))
            thread.start()
            thread.join()
            await settle(lambda: all(socket.frames for socket in sockets))
            assert len({id(socket.frames[0]) for socket in sockets}) == 1
        finally:
            await hub.stop()
        assert hub._local_listener is None and hub.deliver_from_anywhere not in events._listeners

    run_async(scenario())


def subscriptions(server, name):
    """(channels, patterns) subscribed by the Redis connections of one process's hub."""
    clients = [client for client in server.client_list() if client["name"] == name]
    return sum(int(c["sub"]) for c in clients), sum(int(c["psub"]) for c in clients)


def test_with_redis_a_process_subscribes_to_the_lots_it_has_viewers_of_and_gets_one_message_per_change(
    settings, machine_redis
):
    settings.REDIS_URL = machine_redis
    server = redis.Redis.from_url(machine_redis)

    async def scenario():
        first_process, second_process = Hub("seei-test-first"), Hub("seei-test-second")
        await first_process.start(redis_url=machine_redis)
        await second_process.start(redis_url=machine_redis)
        try:
            await settle(lambda: first_process.subscribed.is_set() and second_process.subscribed.is_set())
            here = await subscribe(first_process, 4242, 20)
            there = await subscribe(second_process, 4242, 20)
            await subscribe(first_process, 4343, 5)
            # One channel per lot with viewers in the process, whatever the number of sockets.
            assert subscriptions(server, "seei-test-first") == (2, 0)
            assert subscriptions(server, "seei-test-second") == (1, 0)
            await events.publish(4242, {"lot": 4242, "seq": 3})
            await events.publish(4343, {"lot": 4343, "seq": 5})
            await settle(lambda: all(socket.frames for socket in here + there))
            for sockets in (here, there):
                frame = sockets[0].frames[0]
                assert frame == events.encode({"lot": 4242, "seq": 3})
                assert all(socket.frames[0] is frame for socket in sockets)
            await settle(lambda: first_process.frames_in == 2)
            assert second_process.frames_in == 1  # no viewer of lot 4343 there: its frame never came
        finally:
            await first_process.stop()
            await second_process.stop()
        await events._async_redis().aclose()

    run_async(scenario())
    assert subscriptions(server, "seei-test-first") == (0, 0)


def test_the_last_viewer_of_a_lot_leaving_unsubscribes_the_process_from_it(settings, machine_redis):
    settings.REDIS_URL = machine_redis
    server = publisher = redis.Redis.from_url(machine_redis)

    async def scenario():
        hub = Hub("seei-test-leave")
        await hub.start(redis_url=machine_redis)
        try:
            await settle(hub.subscribed.is_set)
            first, second = watcher(Socket()), watcher(Socket())
            await hub.join(4444, first)
            await hub.join(4444, second)
            hub.leave(4444, first)
            assert subscriptions(server, "seei-test-leave") == (1, 0)
            hub.leave(4444, second)
            await settle(lambda: subscriptions(server, "seei-test-leave") == (0, 0))
            # Leaving and coming back at once: the new viewer's join waits for the SUBSCRIBE sent
            # after the UNSUBSCRIBE, not for the confirmation of an earlier one.
            third, socket = watcher(Socket()), Socket()
            await hub.join(4444, third)
            hub.leave(4444, third)
            await hub.join(4444, watcher(socket))
            publisher.publish(events.channel(4444), b'{"seq":1}')
            await settle(lambda: socket.frames)
            assert subscriptions(server, "seei-test-leave") == (1, 0)
        finally:
            await hub.stop()

    run_async(scenario())


def test_a_viewer_is_subscribed_once_join_returns(settings, machine_redis):
    """The handler reads the first snapshot after join: a change published from then on must come."""
    settings.REDIS_URL = machine_redis
    publisher = redis.Redis.from_url(machine_redis)

    async def scenario():
        hub = Hub("seei-test-join")
        await hub.start(redis_url=machine_redis)
        try:
            await settle(hub.subscribed.is_set)
            for lot_id in range(4500, 4520):  # a new channel each time: a SUBSCRIBE each time
                socket = Socket()
                await hub.join(lot_id, watcher(socket))
                publisher.publish(events.channel(lot_id), b'{"seq":1}')  # another process, right after
                await settle(lambda socket=socket: socket.frames)
        finally:
            await hub.stop()

    run_async(scenario())


def test_a_viewer_who_came_before_the_connection_is_resynced_once_subscribed(settings, machine_redis):
    """The web process accepts sockets as soon as it starts: Redis may not be connected yet."""
    settings.REDIS_URL = machine_redis
    resynced = []

    async def resync(lot_id):
        resynced.append(lot_id)
        return events.encode({"lot": lot_id, "seq": 4})

    async def scenario():
        hub = Hub("seei-test-early")
        await hub.start(redis_url=machine_redis, resync=resync)
        try:
            socket = Socket()
            await hub.join(5252, watcher(socket))  # at once: nothing to wait for yet
            assert not hub.subscribed.is_set()
            await settle(lambda: socket.frames)
            assert resynced == [5252] and socket.frames == [events.encode({"lot": 5252, "seq": 4})]
        finally:
            await hub.stop()

    run_async(scenario())


def test_after_losing_redis_the_hub_subscribes_again_and_resyncs_its_lots(settings, machine_redis):
    settings.REDIS_URL = machine_redis
    server = redis.Redis.from_url(machine_redis)
    resynced = []

    async def resync(lot_id):
        resynced.append(lot_id)
        return events.encode({"lot": lot_id, "seq": 9})

    async def scenario():
        hub = Hub("seei-test-resync")
        await hub.start(redis_url=machine_redis, resync=resync)
        try:
            await settle(hub.subscribed.is_set)
            sockets = await subscribe(hub, 5151, 2)
            for client in server.client_list():  # Redis drops this process's subscription
                if client["name"] == "seei-test-resync":
                    server.client_kill_filter(_id=client["id"])
            await settle(lambda: resynced == [5151] and all(len(s.frames) == 2 for s in sockets), timeout=10)
            # The viewers are told at once that the feed is down (their prices may be stale), then resynced.
            assert sockets[0].frames == [FEED_DOWN, events.encode({"lot": 5151, "seq": 9})]
            assert subscriptions(server, "seei-test-resync") == (1, 0)
            await events.publish(5151, {"lot": 5151, "seq": 10})
            await settle(lambda: len(sockets[1].frames) == 3)
        finally:
            await hub.stop()
        await events._async_redis().aclose()

    run_async(scenario())


def test_a_slow_socket_gets_the_latest_frame_and_does_not_hold_the_others_back():
    async def scenario():
        hub = Hub()
        sent_before = FRAMES_SENT.count
        gate = asyncio.Event()
        slow = Socket(gate)
        slow_subscriber = watcher(slow)
        await hub.join(1, slow_subscriber)
        (fast,) = await subscribe(hub, 1, 1)
        frames = [f'{{"seq":{seq}}}'.encode() for seq in range(1, 11)]
        for frame in frames:
            hub.deliver(1, frame)
            await asyncio.sleep(0.001)
        await settle(lambda: len(fast.frames) == 10)
        assert fast.frames == frames
        assert slow.frames == []  # still writing the first frame
        gate.set()
        await settle(lambda: len(slow.frames) == 2)
        await asyncio.sleep(0.05)
        # The first (being written when the burst came) and the latest: nothing in between.
        assert slow.frames == [frames[0], frames[-1]]
        assert FRAMES_SENT.count - sent_before == 10 + 2  # what /metrics counts: every frame, once
        await slow_subscriber.close()

    run_async(scenario())


def test_frames_of_a_lot_that_come_in_together_go_out_as_the_latest_only():
    """A burst read at once (a Redis pipeline, a busy publisher): every socket gets its latest frame."""

    async def scenario():
        hub = Hub()
        sockets = await subscribe(hub, 2, 3)
        others = await subscribe(hub, 4, 1)
        for seq in range(1, 6):
            hub.deliver(2, f'{{"seq":{seq}}}'.encode())
        hub.deliver(4, b'{"seq":1}')
        await settle(lambda: all(socket.frames for socket in sockets + others))
        await asyncio.sleep(0.02)
        assert all(socket.frames == [b'{"seq":5}'] for socket in sockets)
        assert others[0].frames == [b'{"seq":1}']
        assert hub.frames_in == 6

    run_async(scenario())


def test_an_older_frame_arriving_late_never_pushes_out_a_newer_one():
    """With two room processes a lot's frames may come in out of the chain's order (each process
    publishes the bids it decided): of a burst, and in a busy socket's slot, the newest seq stays,
    so a viewer is never left with an older state (at the close: the lot still open)."""

    async def scenario():
        hub = Hub()
        (fast,) = await subscribe(hub, 3, 1)
        gate = asyncio.Event()
        slow = Socket(gate)
        slow_subscriber = watcher(slow)
        await hub.join(3, slow_subscriber)
        hub.deliver(3, b'{"lot":3,"seq":7,"status":"open"}')
        await settle(lambda: len(fast.frames) == 1)  # the slow socket is now writing seq 7
        close, late = b'{"lot":3,"seq":9,"status":"closed"}', b'{"lot":3,"seq":8,"status":"open"}'
        hub.deliver(3, close)
        hub.deliver(3, late)  # the same burst: read together
        await settle(lambda: len(fast.frames) == 2)
        hub.deliver(3, late)  # a burst of its own, while the slow socket still holds the close
        await settle(lambda: len(fast.frames) == 3)
        gate.set()
        await settle(lambda: len(slow.frames) == 2)
        await asyncio.sleep(0.02)
        assert fast.frames[1] == close  # the late seq 8 after it is ignored by the page (older)
        assert slow.frames == [b'{"lot":3,"seq":7,"status":"open"}', close]
        await slow_subscriber.close()

    run_async(scenario())


def test_the_snapshot_read_on_connect_never_replaces_a_newer_frame():
    async def scenario():
        gate = asyncio.Event()
        socket = Socket(gate)
        subscriber = watcher(socket)
        subscriber.push(Frame(b'{"seq":1}'))
        await asyncio.sleep(0.01)  # the socket is now writing seq 1
        subscriber.push(Frame(b'{"seq":3}'))
        subscriber.push(Frame(b'{"seq":2}'))  # read before seq 3 was pushed: older
        gate.set()
        await settle(lambda: len(socket.frames) == 2)
        await asyncio.sleep(0.02)
        assert socket.frames == [b'{"seq":1}', b'{"seq":3}']
        await subscriber.close()

    run_async(scenario())


def test_clock_frames_go_to_every_socket_without_pushing_out_a_snapshot():
    moment = datetime(2026, 5, 10, 10, 0, 0, 250000, tzinfo=UTC)

    async def clock():
        return moment

    async def scenario():
        hub = Hub()
        gate = asyncio.Event()
        socket = Socket(gate)
        subscriber = watcher(socket)
        await hub.join(3, subscriber)
        hub.deliver(3, b'{"seq":1}')
        await asyncio.sleep(0.01)
        hub.deliver(3, b'{"seq":2}')
        hub.deliver_control(b'{"type":"time","server_time":"x"}')
        subscriber.push_control(PONG)  # the latest control frame wins its own slot
        gate.set()
        await settle(lambda: len(socket.frames) == 3)
        assert socket.frames == [b'{"seq":1}', b'{"seq":2}', PONG.data]
        await subscriber.close()

        ticking = Hub()
        ticking.subscribed.set()  # its feed is up: the clock frames say so
        ticking._tasks.append(asyncio.create_task(ticking._tick(clock, 0.01)))
        (ticked,) = await subscribe(ticking, 3, 1)
        await settle(lambda: ticked.frames)
        assert ticked.frames[0] == b'{"type":"time","server_time":"2026-05-10T10:00:00.250000Z","live":true}'
        ticking.subscribed.clear()  # its feed is down: the next clock frame says so
        await settle(lambda: ticked.frames[-1].endswith(b'"live":false}'))
        await ticking.stop()

    run_async(scenario())


def test_a_frame_is_framed_once_for_every_socket_as_the_protocol_would():
    from websockets.server import ServerProtocol

    for size in (10, 200, 70_000):  # the three lengths of a frame's header
        data = b"x" * size
        protocol = ServerProtocol()
        protocol.state = protocol.state.OPEN
        protocol.send_binary(data)
        frame = Frame(data)
        assert frame.wire == b"".join(protocol.data_to_send())
        assert frame.wire is frame.wire  # framed once


def test_a_hanging_redis_holds_a_rounds_answers_no_longer_than_the_publish_wait(settings, monkeypatch):
    """The bids' answers wait for their round of publications PUBLISH_WAIT at most, even while an earlier
    round still hangs (then theirs has not even started): one bound per round, not one per answer."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # never reached: the client is a fake
    monkeypatch.setattr(events, "PUBLISH_WAIT", 0.05)
    monkeypatch.setattr(events, "PUBLISH_TIMEOUT", 1.0)
    sent = []

    class HangingPipeline:
        async def __aenter__(self):
            return self

        async def __aexit__(self, *exc):
            return False

        def publish(self, channel, frame):
            sent.append(frame)

        async def execute(self):
            await asyncio.sleep(10)  # a frozen Redis: the round is given up after PUBLISH_TIMEOUT

    class HangingRedis:
        def pipeline(self, transaction):
            return HangingPipeline()

    monkeypatch.setattr(events, "_async_redis", lambda: HangingRedis())

    async def waited(lot_id: int, seq: int) -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.shield(events.hand_over(lot_id, seq, str(seq).encode()))
        return loop.time() - started

    async def scenario():
        first = await waited(31, 1)
        assert sent == [b"1"]  # its round is on its way, and hangs
        later = await asyncio.gather(waited(31, 2), waited(32, 1))  # the next round, not started yet
        return [first, *later]

    times = run_async(scenario())

    assert all(0.04 <= took < 0.5 for took in times), times
