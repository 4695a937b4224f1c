"""Bounded calls: an attempt ends within its timeout however slowly bytes arrive, an answer's decoded body
is capped while it is read, whatever its content encoding, and checking it costs no more than reading it,
whatever its shape. The bounds asserted here are generous (several times the timeout): they tell "ended"
from "hung", they do not time anything."""

from __future__ import annotations

import dataclasses
import gzip
import json
import time
import tracemalloc
import zlib

import httpx
import pytest
from hubspot_commprefs import (
    APITimeoutError,
    AsyncCommPrefs,
    CommPrefs,
    ResponseTooLargeError,
    UnexpectedResponseError,
)
from hubspot_commprefs.client._http import DEFAULT_MAX_RESPONSE_BYTES, _DeadlineBackend
from hypothesis import given
from hypothesis import strategies as st

from tests.client_fixtures import STATUSES_BODY, TOKEN, action_body, async_client, sync_client
from tests.hostile_servers import VALID_BODY, HostileServer, chunked, gzip_bomb, plain, trickle

TIMEOUT = 1.0
ENDED_BY = 6.0  # far below the trickle's 30 s: an unbounded call would still be waiting


def deadline_is_enforced(client: httpx.Client) -> bool:
    """Whether every transport of ``client`` bounds its socket operations by the deadline."""
    transports = [client._transport, *client._mounts.values()]
    return all(
        isinstance(getattr(getattr(t, "_pool", None), "_network_backend", None), _DeadlineBackend)
        for t in transports
    )


def _sync(url: str, **options) -> CommPrefs:
    options = {"timeout": TIMEOUT, "max_retries": 0, **options}
    return CommPrefs(access_token=TOKEN, base_url=url, **options)


def _async(url: str, **options) -> AsyncCommPrefs:
    options = {"timeout": TIMEOUT, "max_retries": 0, **options}
    return AsyncCommPrefs(access_token=TOKEN, base_url=url, **options)


def streamed(status: int, content: bytes, **headers: str) -> httpx.Response:
    """An answer whose body is streamed, as from a socket (httpx reads a plain bytes body at once, decoding
    it without bound, before the client sees it)."""
    return httpx.Response(status, content=iter([content]), headers=headers)


def astreamed(status: int, content: bytes, **headers: str) -> httpx.Response:
    async def chunks():
        yield content

    return httpx.Response(status, content=chunks(), headers=headers)


# --- the deadline ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers_too", [False, True], ids=["trickled-body", "trickled-headers"])
def test_a_trickled_answer_ends_in_a_timeout_sync(headers_too: bool) -> None:
    with HostileServer(trickle(0.2, headers_too=headers_too)) as server, _sync(server.url) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="in time"):
            client.get_statuses("alice@example.com")
        assert time.monotonic() - started < ENDED_BY


@pytest.mark.parametrize("headers_too", [False, True], ids=["trickled-body", "trickled-headers"])
async def test_a_trickled_answer_ends_in_a_timeout_async(headers_too: bool) -> None:
    with HostileServer(trickle(0.2, headers_too=headers_too)) as server:
        async with _async(server.url) as client:
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match="in time"):
                await client.get_unsubscribe_all_status("bob@example.com")
            assert time.monotonic() - started < ENDED_BY


def test_a_callers_sync_client_is_bounded_between_reads() -> None:
    """With the caller's own ``httpx.Client`` the deadline is checked between reads: the call ends within
    the deadline plus one read."""
    with HostileServer(trickle(0.2)) as server, httpx.Client() as http:
        client = CommPrefs(
            access_token=TOKEN, base_url=server.url, timeout=TIMEOUT, max_retries=0, http_client=http
        )
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client.get_statuses("alice@example.com")
        assert time.monotonic() - started < ENDED_BY


def test_retries_stay_bounded_by_attempts_times_timeout() -> None:
    with HostileServer(trickle(0.2)) as server, _sync(server.url, timeout=0.5, max_retries=2) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client.get_statuses("alice@example.com")
        # three attempts of 0.5 s, and two backoffs of at most 1.0 s and 1.5 s
        assert time.monotonic() - started < 3 * 0.5 + 2.5 + ENDED_BY


def test_the_clients_own_http_client_enforces_the_deadline_at_every_socket_operation() -> None:
    """The deadline reaches httpcore's network backend through private attributes: this fails loudly if an
    httpx release moves them."""
    with CommPrefs(access_token=TOKEN) as client:
        assert deadline_is_enforced(client._http)


def test_a_slow_but_steady_answer_within_the_deadline_is_read() -> None:
    with HostileServer(trickle(0.001)) as server, _sync(server.url, timeout=10.0) as client:
        assert len(client.get_unsubscribe_all_status("bob@example.com")) == 0


def test_the_cli_timeout_option_bounds_a_lookup(monkeypatch, capsys) -> None:
    from hubspot_commprefs.cli import main

    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    with HostileServer(trickle(0.2)) as server:
        started = time.monotonic()
        assert main(["--base-url", server.url, "--timeout", "0.5", "statuses", "alice@example.com"]) == 1
        assert time.monotonic() - started < ENDED_BY
    assert "APITimeoutError" in capsys.readouterr().err


# --- the size cap ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb(200 * 1024 * 1024)  # 200 MiB of zeros in about 200 KB


def _peak_while(call) -> int:
    tracemalloc.start()
    try:
        call()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def test_a_gzip_bomb_ends_at_the_cap_with_memory_near_it(bomb: bytes) -> None:
    with (
        HostileServer(
            plain(200, bomb, **{"Content-Encoding": "gzip", "Content-Type": "application/json"})
        ) as server,
        _sync(server.url, timeout=30.0) as client,
    ):

        def call() -> None:
            with pytest.raises(
                ResponseTooLargeError, match=r"over the client's limit of 10,485,760 bytes"
            ) as raised:
                client.get_statuses("alice@example.com")
            assert raised.value.limit == DEFAULT_MAX_RESPONSE_BYTES
            assert "max_response_bytes" in str(raised.value)

        assert _peak_while(call) < 4 * DEFAULT_MAX_RESPONSE_BYTES


def test_a_nested_gzip_bomb_ends_at_the_cap() -> None:
    nested = gzip_bomb(1024 * 1024 * 1024, layers=2)  # 1 GiB from a few KB: "Content-Encoding: gzip, gzip"
    assert len(nested) < 64 * 1024
    client, _ = sync_client(streamed(200, nested, **{"Content-Encoding": "gzip, gzip"}))

    def call() -> None:
        with pytest.raises(ResponseTooLargeError):
            client.get_statuses("alice@example.com")

    assert _peak_while(call) < 4 * DEFAULT_MAX_RESPONSE_BYTES


async def test_a_gzip_bomb_ends_at_the_cap_async(bomb: bytes) -> None:
    client, _ = async_client(
        astreamed(200, bomb, **{"Content-Encoding": "gzip"}),
        max_response_bytes=1024 * 1024,
    )
    with pytest.raises(ResponseTooLargeError, match="1,048,576 bytes"):
        await client.get_statuses("alice@example.com")


def test_a_body_declared_over_the_cap_is_refused_before_it_is_read() -> None:
    answer = plain(200, b"x" * 2048, **{"Content-Type": "application/json"})
    with HostileServer(answer) as server, _sync(server.url, max_response_bytes=1024) as client:
        started = time.monotonic()
        with pytest.raises(ResponseTooLargeError, match="reading stopped after 2,048 bytes"):
            client.get_statuses("alice@example.com")
        assert time.monotonic() - started < ENDED_BY


def test_a_chunked_body_over_the_cap_is_cut_while_it_is_read() -> None:
    def endless():  # 300 MiB if it were all read
        for _ in range(300):
            yield b" " * (1024 * 1024)

    answer = chunked(endless(), **{"Content-Type": "application/json"})
    with HostileServer(answer) as server, _sync(server.url, timeout=30.0) as client:

        def call() -> None:
            with pytest.raises(ResponseTooLargeError):
                client.get_statuses("alice@example.com")

        assert _peak_while(call) < 4 * DEFAULT_MAX_RESPONSE_BYTES


def test_an_error_answer_is_capped_too() -> None:
    client, _ = sync_client(streamed(500, b"x" * 5000), max_response_bytes=1000, max_retries=0)
    with pytest.raises(ResponseTooLargeError) as raised:
        client.get_statuses("alice@example.com")
    assert raised.value.status_code == 500


def test_an_encoding_the_client_did_not_ask_for_is_unexpected() -> None:
    client, recorder = sync_client(streamed(200, b"\x00\x01", **{"Content-Encoding": "br"}))
    with pytest.raises(
        UnexpectedResponseError, match="Content-Encoding 'br', which the client did not ask for"
    ):
        client.get_statuses("alice@example.com")
    assert recorder.requests[0].headers["Accept-Encoding"] == "gzip, deflate"


def test_a_corrupt_gzip_body_is_unexpected() -> None:
    client, _ = sync_client(streamed(200, b"not gzip at all", **{"Content-Encoding": "gzip"}))
    with pytest.raises(UnexpectedResponseError, match="cannot be decoded"):
        client.get_statuses("alice@example.com")


def _encode(data: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(data)
    if encoding == "deflate":
        return zlib.compress(data)
    if encoding == "raw-deflate":
        compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return compressor.compress(data) + compressor.flush()
    return data


@given(encodings=st.lists(st.sampled_from(["gzip", "deflate", "raw-deflate", "identity"]), max_size=3))
def test_any_chain_of_encodings_decodes_to_the_answer(encodings: list[str]) -> None:
    content = json.dumps(STATUSES_BODY).encode()
    for encoding in encodings:
        content = _encode(content, encoding)
    header = ", ".join("deflate" if e == "raw-deflate" else e for e in encodings)
    client, _ = sync_client(streamed(200, content, **({"Content-Encoding": header} if header else {})))
    assert [s.subscription_id for s in client.get_statuses("alice@example.com")] == [1, 2, 3]


def test_max_response_bytes_is_checked() -> None:
    with pytest.raises(ValueError, match="max_response_bytes must be at least 1"):
        CommPrefs(access_token=TOKEN, max_response_bytes=0)
    with pytest.raises(TypeError, match="max_response_bytes must be an int"):
        CommPrefs(access_token=TOKEN, max_response_bytes=1.5)  # type: ignore[arg-type]


def test_an_answer_at_the_cap_is_read() -> None:
    client, _ = sync_client(streamed(200, VALID_BODY), max_response_bytes=len(VALID_BODY))
    assert len(client.get_statuses("alice@example.com")) == 0


# --- bulk --------------------------------------------------------------------------------------------------


def test_bulk_against_a_trickling_server_ends_and_stops_resumably(tmp_path, monkeypatch, capsys) -> None:
    """``bulk`` used to write 0 of 3 rows in 90 s and never stop: each row now ends in APITimeoutError,
    which counts as "no answer", so the down-server stop fires (exit 3)."""
    from hubspot_commprefs.bulk import _engine as _bulk
    from hubspot_commprefs.cli import main

    # no waiting between the retries of a row
    monkeypatch.setattr(_bulk, "RETRY", dataclasses.replace(_bulk.RETRY, first_backoff=0.0, jitter=0.0))
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(f"user{n}@example.com" for n in range(1, 4)))
    output = tmp_path / "out.csv"
    with HostileServer(trickle(0.2)) as server:
        argv = ["--base-url", server.url, "--timeout", "0.3", "bulk", str(ids), "-o", str(output)]
        started = time.monotonic()
        code = main([*argv, "--rate", "1000/1s", "--no-progress", "--concurrency", "5"])
        elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 3
    assert "10 requests in a row got no answer" in err
    assert "no answer in time" in err
    assert elapsed < 10 * 0.3 + ENDED_BY


def test_lookup_many_files_timeouts_as_errors_never_invalid(monkeypatch) -> None:
    from hubspot_commprefs.bulk import _engine as _bulk

    monkeypatch.setattr(_bulk, "RETRY", dataclasses.replace(_bulk.RETRY, first_backoff=0.0, jitter=0.0))
    with HostileServer(trickle(0.2)) as server, _sync(server.url, timeout=0.3) as client:
        outcomes = list(client.lookup_many(["a@example.com"], check="unsubscribe-all", concurrency=1))
    (outcome,) = outcomes
    assert outcome.outcome == "error"
    assert isinstance(outcome.error, APITimeoutError)


# --- checking the body ------------------------------------------------------------------------------------

# 0.9 MiB holding 1.5 million problems (5 required fields missing from each object): checking collected
# them all before reporting the first, 32-40 s and 3 GiB with timeout=10.
EMPTY_OBJECTS = json.dumps(action_body([{}] * 300_000), separators=(",", ":")).encode()
FIRST_PROBLEM = r"results\[0\]\.channel: required field is missing"


@pytest.fixture(scope="module")
def empty_objects_server():
    with HostileServer(plain(200, EMPTY_OBJECTS, **{"Content-Type": "application/json"})) as server:
        yield server


def test_a_body_of_300000_empty_objects_ends_at_its_first_problem(empty_objects_server) -> None:
    with _sync(empty_objects_server.url, timeout=10.0) as client:

        def call() -> None:
            with pytest.raises(UnexpectedResponseError, match=FIRST_PROBLEM):
                client.get_statuses("alice@example.com")

        started = time.monotonic()
        peak = _peak_while(call)
        assert time.monotonic() - started < ENDED_BY
    assert peak < 100 * 2**20  # the decoded body itself is about 25 MiB


async def test_a_body_of_300000_empty_objects_ends_at_its_first_problem_async(empty_objects_server) -> None:
    async with _async(empty_objects_server.url, timeout=10.0) as client:
        started = time.monotonic()
        with pytest.raises(UnexpectedResponseError, match=FIRST_PROBLEM):
            await client.get_statuses("alice@example.com")
        assert time.monotonic() - started < ENDED_BY


def test_lookup_many_of_300000_empty_objects_per_row_ends(empty_objects_server) -> None:
    with _sync(empty_objects_server.url, timeout=10.0) as client:
        started = time.monotonic()
        rows = list(client.lookup_many([f"user{n}@example.com" for n in range(4)], check="statuses"))
        assert time.monotonic() - started < 4 * ENDED_BY
    assert [type(row.error) for row in rows] == [UnexpectedResponseError] * 4
