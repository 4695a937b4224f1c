"""The one retry rule (``client/_retry.py``): the client and the bulk engine apply it with their own
limits, and agree on what a daily limit is and on which waits are too long; the loop is one generator."""

from __future__ import annotations

import math
import re

import httpx
import pytest
from hubspot_commprefs import APIConnectionError, APITimeoutError, RateLimitError
from hubspot_commprefs.bulk import _engine
from hubspot_commprefs.client._results import status_error
from hubspot_commprefs.client._retry import RetryPolicy, server_delay

from tests.client_fixtures import async_client, patch_sleeps, sync_client


def _429(body: dict[str, object], **headers: str) -> RateLimitError:
    request = httpx.Request("GET", "https://api.hubapi.com/x")
    error = status_error(httpx.Response(429, json=body, headers=headers, request=request))
    assert isinstance(error, RateLimitError)
    return error


@pytest.mark.parametrize(
    ("policy", "daily"),
    [
        ("DAILY", True),
        ("daily", True),
        (" Daily ", True),
        ("TEN_SECONDLY_ROLLING", False),
        ("SECONDLY", False),
        ("DAILY_ROLLING", False),  # not HubSpot's daily policy: the name is the rule, not a part of it
        (None, False),
    ],
)
def test_client_and_bulk_agree_on_the_daily_limit(policy: str | None, daily: bool) -> None:
    error = _429({} if policy is None else {"policyName": policy})
    assert (server_delay(error) == math.inf) is daily
    assert (RetryPolicy(2).decision(error) is False) is daily  # the client does not wait for it
    assert _engine._stops_the_run(error) is daily  # bulk stops the run (resumably)


def test_the_daily_remaining_header_at_zero_is_the_daily_limit_too() -> None:
    error = _429({"policyName": "TEN_SECONDLY_ROLLING"}, **{"X-HubSpot-RateLimit-Daily-Remaining": "0"})
    assert server_delay(error) == math.inf
    assert RetryPolicy(2).decision(error) is False
    assert _engine._stops_the_run(error)


@pytest.mark.parametrize(("retry_after", "too_long"), [("60", False), ("61", True)])
def test_client_and_bulk_agree_on_a_wait_too_long(retry_after: str, too_long: bool) -> None:
    error = _429({"policyName": "TEN_SECONDLY_ROLLING"}, **{"Retry-After": retry_after})
    assert RetryPolicy(2).decision(error) == (False if too_long else 60.0)
    assert _engine._stops_the_run(error) is too_long


def test_a_lowercase_daily_policy_is_not_retried_by_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps = patch_sleeps(monkeypatch)
    client, recorder = sync_client(httpx.Response(429, json={"policyName": "daily"}))
    with pytest.raises(RateLimitError):
        client.get_statuses("alice@example.com")
    assert sleeps == []
    assert len(recorder.requests) == 1


def test_bulk_uses_its_own_limits_of_the_one_rule() -> None:
    assert _engine.RETRY.max_retries == _engine.MAX_FAILURES
    assert 429 not in _engine.RETRY.retry_statuses  # the limiter handles those
    assert _engine.RETRY.retry_statuses == {502, 503, 504}
    assert _engine.RETRY.retryable(APIConnectionError("down"))


@pytest.mark.parametrize("retry", [1, 2, 3, 4, 10, 100])
def test_backoff_doubles_with_jitter_and_the_sum_is_capped(retry: int) -> None:
    policy = RetryPolicy(5)
    for _ in range(50):
        wait = policy.backoff(retry)
        base = 0.5 * 2 ** (retry - 1)
        assert min(8.0, base) <= wait <= min(8.0, base + 0.5)


def test_the_policy_waits_doubling_then_gives_up() -> None:
    policy = RetryPolicy(2, jitter=0.0)
    error = APIConnectionError("down")
    assert policy.next_wait(error, 1) == 0.5
    assert policy.next_wait(error, 2) == 1.0
    assert policy.next_wait(error, 3) is None


def test_the_policy_gives_up_at_once_on_a_final_error() -> None:
    assert RetryPolicy(5).next_wait(_429({"policyName": "DAILY"}), 1) is None


def test_server_delay_of_a_daily_limit_is_infinite() -> None:
    assert server_delay(_429({"policyName": "DAILY"})) == math.inf


def test_a_timeout_after_retries_names_the_attempts_and_their_time(monkeypatch: pytest.MonkeyPatch) -> None:
    patch_sleeps(monkeypatch)
    client, recorder = sync_client(httpx.ReadTimeout("slow"), timeout=2)
    with pytest.raises(APITimeoutError) as caught:
        client.get_statuses("alice@example.com")
    assert len(recorder.requests) == 3
    message = str(caught.value)
    assert message.startswith("no answer in time from GET ")
    assert re.search(r": ReadTimeout; 3 attempts over \d+\.\d s \(timeout 2 s each\)$", message), message
    assert caught.value.message == message


async def test_the_async_client_names_them_too(monkeypatch: pytest.MonkeyPatch) -> None:
    patch_sleeps(monkeypatch)
    client, _ = async_client(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), timeout=2.5)
    with pytest.raises(APITimeoutError, match=r"; 3 attempts over \d+\.\d s \(timeout 2\.5 s each\)$"):
        await client.get_statuses("alice@example.com")


def test_a_refused_connection_names_the_attempts_without_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    patch_sleeps(monkeypatch)
    client, _ = sync_client(httpx.ConnectError("refused"), max_retries=1)
    with pytest.raises(APIConnectionError, match=r"refused; 2 attempts over \d+\.\d s$"):
        client.get_statuses("alice@example.com")
    single, _ = sync_client(httpx.ReadTimeout("slow"), max_retries=0)
    with pytest.raises(APITimeoutError, match=r": ReadTimeout$"):  # one attempt: nothing to add
        single.get_statuses("alice@example.com")
