"""The client against the fake server's network faults (the same faults users test their own clients with):
every call ends, in its typed error, within bounds; ``bulk`` files such rows as errors, never invalid."""

from __future__ import annotations

import time

import pytest
from hubspot_commprefs import (
    APIConnectionError,
    APITimeoutError,
    AsyncCommPrefs,
    CommPrefs,
    RateLimitError,
    ResponseTooLargeError,
)
from hubspot_commprefs.testing import FakeHubSpot

SMALL_BOMB = 50 * 2**20  # 50 MiB decoded, over the 10 MiB cap
OVERSIZED = 30_000_000
TIMEOUT = 1.0
ENDED_BY = 8.0  # far below what an unbounded call would take (the trickle alone lasts minutes)


@pytest.fixture(scope="module")
def server():
    with FakeHubSpot(trickle_interval=0.2, bomb_size=SMALL_BOMB, oversized_body_size=OVERSIZED) as fake:
        yield fake


@pytest.fixture
def faulty(server: FakeHubSpot):
    def use(fault: str) -> FakeHubSpot:
        server.configure(faults=[fault])
        return server

    yield use
    server.configure(faults=[])


def _client(server: FakeHubSpot, **options) -> CommPrefs:
    options = {"timeout": TIMEOUT, "max_retries": 0, **options}
    return CommPrefs(access_token=server.token, base_url=server.base_url, **options)


def _async_client(server: FakeHubSpot) -> AsyncCommPrefs:
    return AsyncCommPrefs(access_token=server.token, base_url=server.base_url, timeout=TIMEOUT, max_retries=0)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("trickle", APITimeoutError),
        ("gzip-bomb", ResponseTooLargeError),
        ("gzip-bomb-nested", ResponseTooLargeError),
        ("oversized-body", ResponseTooLargeError),
        ("connection-reset", APIConnectionError),
    ],
)
def test_each_network_fault_ends_in_its_typed_error_sync(faulty, fault: str, error: type[Exception]) -> None:
    server = faulty(fault)
    with _client(server) as client:
        started = time.monotonic()
        with pytest.raises(error):
            client.get_statuses("alice@example.com")
        assert time.monotonic() - started < ENDED_BY


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("trickle", APITimeoutError),
        ("gzip-bomb-nested", ResponseTooLargeError),
        ("oversized-body", ResponseTooLargeError),
        ("connection-reset", APIConnectionError),
    ],
)
async def test_each_network_fault_ends_in_its_typed_error_async(
    faulty, fault: str, error: type[Exception]
) -> None:
    server = faulty(fault)
    async with _async_client(server) as client:
        started = time.monotonic()
        with pytest.raises(error):
            await client.get_unsubscribe_all_status("bob@example.com")
        assert time.monotonic() - started < ENDED_BY


def test_absurd_rate_limit_headers_are_absent_and_the_answer_is_read(faulty) -> None:
    server = faulty("absurd-number-header")
    with _client(server) as client:
        result = client.get_statuses("alice@example.com")
    assert result.rate_limit.max is None
    assert result.rate_limit.remaining is None


def test_an_absurd_retry_after_is_a_rate_limit_error_without_a_wait(faulty) -> None:
    server = faulty("absurd-retry-after")
    with _client(server, max_retries=2) as client:
        started = time.monotonic()
        with pytest.raises(RateLimitError) as raised:
            client.get_statuses("alice@example.com")
        assert time.monotonic() - started < ENDED_BY
    assert raised.value.rate_limit.retry_after is None


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("gzip-bomb", ResponseTooLargeError),
        ("oversized-body", ResponseTooLargeError),
        ("absurd-number-header", None),
    ],
)
def test_bulk_files_network_faults_as_errors_never_invalid(
    faulty, fault: str, error: type[Exception] | None
) -> None:
    server = faulty(fault)
    ids = [f"user{n}@example.com" for n in range(1, 6)]
    with _client(server) as client:
        outcomes = list(client.lookup_many(ids, rate="1000/1s", check="statuses", concurrency=5))
    assert [outcome.outcome for outcome in outcomes] == ["ok" if error is None else "error"] * 5
    if error is not None:
        assert all(isinstance(outcome.error, error) for outcome in outcomes)
