"""The fake server as a server: connections whose request head never ends (slowloris) are closed within the
head deadline, a bound on open connections closes the slowest ones first, and normal requests are served
meanwhile. Raw sockets on 127.0.0.1 only; bounded counts and times; every socket closed at the end."""

from __future__ import annotations

import contextlib
import re
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import httpx
from hubspot_commprefs.testing import DEFAULT_TOKEN, FakeHubSpot, _server

from tests.processes import started as started_child
from tests.spec_helpers import operations

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pytest

PARTIAL_HEAD = (
    b"GET /communication-preferences/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # no blank line: never ends
)
SLOW = 300
DEADLINE = 2.0  # the head deadline in these tests (10 s by default)
SLACK = 15.0  # on top of it: a loaded 2-core machine


def _statuses_url(base_url: str) -> str:
    path = next(path for path, _ in operations().values() if not path.endswith("/unsubscribe-all"))
    return base_url + path.replace("{subscriberIdString}", "alice%40example.com") + "?channel=EMAIL"


@contextlib.contextmanager
def slow_connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    """``count`` connections that each send the start of a request head and never finish it; all closed
    on the way out, whatever happens."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sockets.append(sock)
            sock.sendall(PARTIAL_HEAD)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def _closed_by_server(sockets: list[socket.socket], within: float, *, trickle: int = 0) -> list[float]:
    """Seconds until the server closed each socket that it closes within ``within`` seconds (an EOF or a
    reset on reading). The first ``trickle`` sockets meanwhile send one more byte of the head every 0.5 s."""
    started = time.monotonic()
    closed: dict[int, float] = {}
    with selectors.DefaultSelector() as selector:
        for index, sock in enumerate(sockets):
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, index)
        next_byte = started + 0.5
        while len(closed) < len(sockets) and time.monotonic() - started < within:
            for key, _ in selector.select(timeout=0.2):
                sock = sockets[key.data]
                try:
                    data = sock.recv(4096)
                except (ConnectionResetError, BlockingIOError):
                    data = b""
                if not data:
                    closed[key.data] = time.monotonic() - started
                    selector.unregister(sock)
            if time.monotonic() >= next_byte:
                next_byte += 0.5
                for index in range(trickle):
                    if index not in closed:
                        with contextlib.suppress(OSError):
                            sockets[index].send(b"X")
    return sorted(closed.values())


def test_a_head_that_never_ends_is_closed_and_normal_requests_are_served_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_server, "HEAD_TIMEOUT", DEADLINE)
    with FakeHubSpot() as server, slow_connections(server.port, SLOW) as sockets:
        started = time.monotonic()
        with httpx.Client(headers={"Authorization": f"Bearer {server.token}"}, timeout=10) as client:
            for _ in range(3):
                assert client.get(_statuses_url(server.base_url)).status_code == 200
        assert time.monotonic() - started < DEADLINE  # served before the slow ones were closed
        closed = _closed_by_server(sockets, DEADLINE + SLACK, trickle=50)
        assert len(closed) == SLOW  # the trickling ones too: a byte now and then does not restart the clock
        beyond_the_bound = max(0, SLOW + 1 - _server.connection_limit())  # closed at once (see below)
        assert (
            sum(seconds < DEADLINE / 2 for seconds in closed) <= beyond_the_bound
        )  # the others at the deadline


def test_a_kept_alive_connection_that_starts_a_head_and_stalls_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_server, "HEAD_TIMEOUT", DEADLINE)
    with FakeHubSpot() as server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        head = f"GET {_statuses_url('')} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.token}\r\n\r\n"
        sock.sendall(head.encode())
        answer = b""
        while not answer.rstrip().endswith(b"}"):  # the whole JSON body of the first answer
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200")
        sock.sendall(PARTIAL_HEAD)  # the next request's head, never finished
        assert len(_closed_by_server([sock], DEADLINE + SLACK)) == 1


def test_with_256_file_descriptors_300_slow_connections_do_not_turn_requests_away() -> None:
    """mock-server under a 256 descriptor limit. Beyond its bound (64 connections) each new connection closes
    the one that has waited longest for its head, at once, not at the deadline; the server never runs out
    of descriptors."""
    limit = (
        "import resource, sys; "
        "resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1])); "
        "from hubspot_commprefs.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    with started_child(
        [sys.executable, "-c", limit, "mock-server", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", first)
        assert found, first
        port = int(found.group(1))
        with slow_connections(port, SLOW) as sockets:
            started = time.monotonic()
            answer = httpx.get(
                _statuses_url(found.group()), headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=10
            )
            assert answer.status_code == 200
            assert time.monotonic() - started < _server.HEAD_TIMEOUT  # not after the slow ones went
            closed = _closed_by_server(sockets, 2.0)  # the evicted ones are closed already
            assert len(closed) >= SLOW - 256 // 4
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert "Too many open files" not in err
    assert "Traceback" not in err


def test_the_bound_follows_the_descriptor_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda _: (256, 4096))
    assert _server.connection_limit() == 64
    assert _server.accept_backlog() == 32
    monkeypatch.setattr(resource, "getrlimit", lambda _: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert _server.connection_limit() == _server.MAX_CONNECTIONS
