"""``python -m seei.room.server`` against clients that hold connections: a request that trickles in
(headers or body a byte at a time) is cut after its deadline, one address holds at most so many
connections, and the process raised its open-files limit. A real server process, raw sockets."""

import socket
import time

import httpx
import pytest

from tests.room.servers import WebServer, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

REQUEST_TIMEOUT = 3  # seconds (SEEI_REQUEST_TIMEOUT of the server under test)
PER_ADDRESS = 5  # SEEI_MAX_CONNECTIONS_PER_ADDRESS of the server under test


@pytest.fixture
def server(transactional_db, tmp_path, settings, monkeypatch):
    settings.REDIS_URL = ""
    monkeypatch.setenv("SEEI_REQUEST_TIMEOUT", str(REQUEST_TIMEOUT))
    monkeypatch.setenv("SEEI_MAX_CONNECTIONS_PER_ADDRESS", str(PER_ADDRESS))
    monkeypatch.setenv("SEEI_TRUSTED_PROXIES", "127.0.0.1")  # the test's own requests (wait_http)
    with WebServer(tmp_path) as web:
        yield web
    print(web.output())


def connection_from(address: str, server) -> socket.socket:
    """A TCP connection to the server from a loopback address of our choosing (127.0.0.x)."""
    client = socket.socket()
    client.bind((address, 0))
    client.settimeout(REQUEST_TIMEOUT * 4)
    client.connect(("127.0.0.1", server.port))
    return client


def closed_by_server(client: socket.socket) -> bool:
    try:
        return client.recv(4096) == b""
    except ConnectionResetError:
        return True


def trickle(client: socket.socket, data: bytes, every: float) -> tuple[float, int]:
    """Send ``data`` a byte at a time until the server cuts the connection: (seconds, bytes sent)."""
    started, sent = time.monotonic(), 0
    try:
        for byte in data:
            client.sendall(bytes([byte]))
            sent += 1
            time.sleep(every)
    except (BrokenPipeError, ConnectionResetError):
        pass
    else:
        raise AssertionError("the whole request went through")
    return time.monotonic() - started, sent


def slow_request(server, part: str) -> tuple[bytes, bytes]:
    """(sent at once, sent a byte at a time): a request whose headers, or whose body, trickle in."""
    host = f"127.0.0.1:{server.port}"
    if part == "headers":
        return b"", f"GET /room/time HTTP/1.1\r\nHost: {host}\r\nX-Slow: {'a' * 100}\r\n\r\n".encode()
    head = (
        f"POST /room/lots/1/bids HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nX-SEEI-Room: bid\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    return head.encode(), b"x" * 100  # a bid: the room reads its body


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_request_trickling_in_is_cut_after_its_deadline(server, part):
    at_once, slowly = slow_request(server, part)
    with connection_from("127.0.0.2", server) as client:
        client.sendall(at_once)
        took, sent = trickle(client, slowly, every=0.3)
    assert REQUEST_TIMEOUT - 0.5 <= took <= REQUEST_TIMEOUT + 2, f"cut after {took:.1f} s ({sent} bytes)"
    print(f"a request whose {part} trickled in ({sent} bytes, one each 0.3 s) was cut after {took:.2f} s")
    assert httpx.get(f"{server.url}/room/time").status_code == 200  # the others are served


def test_one_address_holds_at_most_so_many_connections(server):
    held = [connection_from("127.0.0.2", server) for _ in range(PER_ADDRESS)]
    try:
        extra = connection_from("127.0.0.2", server)  # the kernel accepts it; the server closes it
        with extra:
            assert closed_by_server(extra)
        other = connection_from("127.0.0.3", server)  # another address is served
        with other:
            other.sendall(b"GET /room/time HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert other.recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        for connection in held:
            connection.close()

    # Once they are closed, the address is served again.
    def served() -> bool:
        with connection_from("127.0.0.2", server) as again:
            again.sendall(b"GET /room/time HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return again.recv(4096).startswith(b"HTTP/1.1 200")

    wait_until(served, 5, "the address served again", every=0.1)


def test_the_server_raises_its_open_files_limit_to_the_hard_limit(transactional_db, tmp_path, settings):
    import re
    import resource

    settings.REDIS_URL = ""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(soft, 256)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))  # what the server inherits
    try:
        web = WebServer(tmp_path)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    with web:
        found = re.search(r"open files limit (\d+) \(was (\d+)\)", web.output())
        assert found, web.output()
        assert (int(found[1]), int(found[2])) == (hard, low)
        with open(f"/proc/{web.pid}/limits") as limits:
            line = next(line for line in limits if line.startswith("Max open files"))
        assert line.split()[3:5] == [str(hard), str(hard)]
