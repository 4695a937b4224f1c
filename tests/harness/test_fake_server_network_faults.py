"""The fake server's network faults, seen by plain httpx and socket clients: each does what it says."""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
import time
import zlib
from typing import TYPE_CHECKING

import httpx
import pytest
from hubspot_commprefs import testing
from hubspot_commprefs._faults import BODY_FAULTS, DEFAULT_BOMB_SIZE, DRIFT_FIELDS
from hubspot_commprefs.openapi import endpoints
from hubspot_commprefs.testing import FakeHubSpot, Fault, RateLimit
from hubspot_commprefs.testing._network_faults import ABSURD_NUMBER, gzip_bomb

from tests.processes import started

if TYPE_CHECKING:
    from collections.abc import Iterator

STATUSES = next(iter(endpoints())).path_template
URL = STATUSES.replace("{subscriberIdString}", "alice@example.com") + "?channel=EMAIL"
BOMB_SIZE = 5_000_000
OVERSIZED = 3_000_000
INTERVAL = 0.3
GENEROUS = 10.0  # seconds: a bound that only a hang or a runaway stream reaches


@pytest.fixture
def server() -> Iterator[FakeHubSpot]:
    with FakeHubSpot(
        rate_limit=RateLimit(max_requests=100_000),
        trickle_interval=INTERVAL,
        bomb_size=BOMB_SIZE,
        oversized_body_size=OVERSIZED,
    ) as running:
        yield running


def client(server: FakeHubSpot, *, timeout: float = GENEROUS) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {server.token}"}, timeout=timeout
    )


def normal_body(server: FakeHubSpot) -> bytes:
    server.configure(faults=[])
    with client(server) as http:
        return http.get(URL).content


def results(body: bytes) -> object:
    """The contact's statuses in an answer (its dates of request and completion differ each time)."""
    return json.loads(body)["results"]


def wait_until_no_request_runs(server: FakeHubSpot) -> float:
    """Seconds until the server runs no request any more (a stream stopped), at most GENEROUS."""
    assert server._server is not None
    started = time.monotonic()
    while server._server.server_state.tasks and time.monotonic() - started < GENEROUS:
        time.sleep(0.05)
    return time.monotonic() - started


def inflate(data: bytes, *, keep_last: int = 4096) -> tuple[int, bytes]:
    """Decoded size of gzip ``data`` and its last bytes, decoding at most 1 MiB at a time."""
    decoder = zlib.decompressobj(31)
    size, tail = 0, b""
    pending = data
    while pending or not decoder.eof:
        piece = decoder.decompress(pending, 1 << 20)
        pending = decoder.unconsumed_tail
        if not piece and not pending:
            break
        size += len(piece)
        tail = (tail + piece)[-keep_last:]
    return size, tail


def test_every_network_fault_is_a_fault_with_help() -> None:
    network_faults = {*BODY_FAULTS, Fault.ABSURD_NUMBER_HEADER, Fault.ABSURD_RETRY_AFTER}
    assert set(testing.FAULT_HELP) >= network_faults
    assert not network_faults & set(DRIFT_FIELDS)


def test_trickle_sends_headers_at_once_then_one_byte_per_interval(server: FakeHubSpot) -> None:
    full = normal_body(server)
    server.configure(faults=["trickle"])
    # 2 s per read: each byte comes well within it (one every 0.3 s, late on a loaded machine), so no read
    # times out, yet the whole body would take minutes.
    with client(server, timeout=2.0) as http, http.stream("GET", URL) as answer:
        assert answer.status_code == 200
        assert int(answer.headers["content-length"]) == len(full)
        started = time.monotonic()
        chunks: list[bytes] = []
        for chunk in answer.iter_raw():
            chunks.append(chunk)
            if time.monotonic() - started > 3 * INTERVAL + 2.0:  # longer than a read's timeout
                break
        elapsed = time.monotonic() - started
    assert elapsed > 2.0
    assert all(len(chunk) == 1 for chunk in chunks)
    assert 2 <= len(chunks) < len(full) // 10
    assert b"".join(chunks) == full[: len(chunks)]
    assert wait_until_no_request_runs(server) < GENEROUS  # the client left: the stream stopped


def test_a_gzip_bomb_is_small_on_the_wire_and_expands_to_its_size(server: FakeHubSpot) -> None:
    full = normal_body(server)
    server.configure(faults=["gzip-bomb"])
    with client(server) as http, http.stream("GET", URL) as answer:
        raw = b"".join(answer.iter_raw())
        headers = answer.headers
    assert headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(raw) < BOMB_SIZE // 100
    size, tail = inflate(raw)
    assert size == BOMB_SIZE + len(full)
    assert results(tail) == results(full)  # valid JSON once decoded: spaces, then the answer
    with client(server) as http:
        assert results(http.get(URL).content) == results(full)  # a client without a size bound decodes it all


def test_a_nested_gzip_bomb_is_tiny_on_the_wire(server: FakeHubSpot) -> None:
    full = normal_body(server)
    server.configure(faults=["gzip-bomb-nested"])
    with client(server) as http, http.stream("GET", URL) as answer:
        raw = b"".join(answer.iter_raw())
        headers = answer.headers
    assert headers["content-encoding"] == "gzip, gzip"
    assert int(headers["content-length"]) == len(raw) < 5000
    inner_size, inner = inflate(raw, keep_last=BOMB_SIZE)
    assert inner_size == len(inner) < BOMB_SIZE // 100
    size, tail = inflate(inner)
    assert size == BOMB_SIZE + len(full)
    assert results(tail) == results(full)


def test_a_bomb_is_about_a_thousandth_of_its_size_and_built_once_per_size() -> None:
    assert DEFAULT_BOMB_SIZE == 2**30  # about 1 MB on the wire, then
    size = 2**28
    bomb = gzip_bomb(b"{}", size)
    assert size // 2000 < len(bomb) < size // 500
    assert gzip_bomb(b"{}", size) == bomb  # the padding is built once per size, then reused
    assert len(gzip_bomb(b"{}", size, nested=True)) < 5000


def test_an_oversized_body_is_a_valid_answer_of_that_size(server: FakeHubSpot) -> None:
    full = normal_body(server)
    server.configure(faults=["oversized-body"])
    with client(server) as http, http.stream("GET", URL) as answer:
        assert int(answer.headers["content-length"]) == OVERSIZED
        body = answer.read()
    assert len(body) == OVERSIZED
    assert results(body) == results(full)


def test_a_huge_body_is_streamed_not_built_and_stops_when_the_client_leaves(server: FakeHubSpot) -> None:
    huge = 2**36  # 64 GiB: the server could not build it in memory first
    server.configure(faults=["oversized-body"], oversized_body_size=huge)
    with client(server) as http, http.stream("GET", URL) as answer:
        assert int(answer.headers["content-length"]) == huge
        read = 0
        for chunk in answer.iter_raw():
            read += len(chunk)
            if read >= 4_000_000:
                break
    assert wait_until_no_request_runs(server) < GENEROUS


def test_a_connection_reset_is_a_transport_error_for_httpx(server: FakeHubSpot) -> None:
    server.configure(faults=["connection-reset"])
    with client(server) as http, pytest.raises(httpx.TransportError):
        http.get(URL)


def test_a_connection_reset_is_a_tcp_reset_not_a_close(server: FakeHubSpot) -> None:
    server.configure(faults=["connection-reset"])
    request = (
        f"GET {URL} HTTP/1.1\r\nHost: {server.host}\r\nAuthorization: Bearer {server.token}\r\n\r\n"
    ).encode()
    with socket.create_connection((server.host, server.port), timeout=GENEROUS) as sock:
        sock.sendall(request)
        with pytest.raises(ConnectionResetError):  # a FIN would end in b"" instead
            read_until_closed(sock)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything ``sock`` receives until the peer closes it, within GENEROUS seconds."""
    received = b""
    deadline = time.monotonic() + GENEROUS
    while time.monotonic() < deadline:
        data = sock.recv(65536)
        if not data:
            break
        received += data
    return received


def test_faults_hit_only_answers_that_would_be_a_200_every_nth(server: FakeHubSpot) -> None:
    server.configure(faults=["connection-reset"], fault_every=2)
    with client(server) as http:
        assert http.get(URL).status_code == 200
        with pytest.raises(httpx.TransportError):
            http.get(URL)
        assert http.get(URL.replace("EMAIL", "SMS")).status_code == 400  # not a 200: no fault
        assert http.get(URL).status_code == 200
        assert http.get(URL, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_absurd_numbers_in_rate_limit_headers(server: FakeHubSpot) -> None:
    full = normal_body(server)
    server.configure(faults=["absurd-number-header"])
    with client(server) as http:
        answer = http.get(URL)
        assert answer.status_code == 200
        assert results(answer.content) == results(full)
        for name in ("x-hubspot-ratelimit-max", "x-hubspot-ratelimit-remaining"):
            assert answer.headers[name] == ABSURD_NUMBER
            assert len(answer.headers[name]) == 5000
            assert answer.headers[name].isdigit()
        server.configure(faults=["absurd-retry-after"])
        refused = http.get(URL)
    assert refused.status_code == 429
    assert len(refused.headers["retry-after"]) == 5000
    assert refused.headers["retry-after"].isdigit()
    assert refused.json()["errorType"] == "RATE_LIMIT"
    assert refused.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("trickle_interval", -1),
        ("trickle_interval", math.nan),
        ("trickle_interval", True),
        ("bomb_size", 0),
        ("bomb_size", 1.5),
        ("bomb_size", 2**40),
        ("oversized_body_size", 0),
        ("oversized_body_size", "big"),
    ],
)
def test_bad_network_settings_are_refused_naming_them(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        FakeHubSpot(**{option: value})  # type: ignore[arg-type]
    server = FakeHubSpot()
    with pytest.raises(ValueError, match=option):
        server.configure(**{option: value})  # type: ignore[arg-type]


def test_the_mock_server_command_serves_a_nested_bomb_of_the_size_asked() -> None:
    size = 2_000_000
    with started(
        [sys.executable, "-m", "hubspot_commprefs.cli", "mock-server", "--port", "0",
         "--fault", "gzip-bomb-nested", "--bomb-size", str(size), "--trickle-interval", "0.5"],
        stdout=subprocess.PIPE,
    ) as process:  # fmt: skip
        assert process.stdout is not None
        base_url = process.stdout.readline().split()[3]
        banner = [process.stdout.readline() for _ in range(3)]  # token, token without scope, faults
        assert "faults: gzip-bomb-nested" in banner[-1]
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {testing.DEFAULT_TOKEN}"}, timeout=GENEROUS
        ) as http:
            answer = http.get(URL)
    assert answer.headers["content-encoding"] == "gzip, gzip"
    assert int(answer.headers["content-length"]) < 5000
    assert len(answer.content) > size
    assert answer.json()["status"] == "COMPLETE"
