"""Every number from the wire is parsed safely: absurd header values are treated as absent, absurd numbers
in a body give ``UnexpectedResponseError``, and neither ever reaches ``bulk`` as an ``invalid`` row."""

from __future__ import annotations

import httpx
import pytest
from hubspot_commprefs import (
    CommPrefs,
    InternalServerError,
    RateLimitError,
    RateLimitInfo,
    UnexpectedResponseError,
)
from hubspot_commprefs.bulk._limiter import Rate
from hubspot_commprefs.client._results import parse_retry_after
from hypothesis import given
from hypothesis import strategies as st

from tests.client_fixtures import STATUSES_BODY, TOKEN, ok, sync_client

HUGE = "9" * 5000
RATE_HEADERS = (
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Daily",
    "X-HubSpot-RateLimit-Daily-Remaining",
)


@pytest.mark.parametrize("value", [HUGE, "9" * 20, str(2**63), "1" + "0" * 4301, "-5", "1e3", "1 2"])
def test_an_absurd_rate_limit_count_is_absent(value: str) -> None:
    headers = httpx.Headers(dict.fromkeys(RATE_HEADERS, value))
    assert RateLimitInfo.from_headers(headers) == RateLimitInfo()
    assert RateLimitInfo.from_headers(dict.fromkeys(RATE_HEADERS, value)) == RateLimitInfo()


def test_the_largest_plausible_count_is_kept() -> None:
    info = RateLimitInfo.from_headers({"X-HubSpot-RateLimit-Remaining": str(2**63 - 1)})
    assert info.remaining == 2**63 - 1


@pytest.mark.parametrize(
    "value", [HUGE, "1" * 400, "1e999", "nan", "inf", "-inf", "Wed, 21 Oct 99999 07:28:00 GMT"]
)
def test_an_absurd_retry_after_is_absent(value: str) -> None:
    assert parse_retry_after(value) is None


@given(st.text(max_size=6000))
def test_no_header_value_raises(value: str) -> None:
    headers = dict.fromkeys((*RATE_HEADERS, "Retry-After"), value)
    info = RateLimitInfo.from_headers(headers)
    for count in (info.max, info.remaining, info.interval_ms, info.daily, info.daily_remaining):
        assert count is None or 0 <= count < 2**63
    assert info.retry_after is None or info.retry_after >= 0


def test_a_call_with_absurd_rate_limit_headers_succeeds_without_them() -> None:
    headers = dict.fromkeys(RATE_HEADERS, HUGE) | {"Retry-After": HUGE}
    client, _ = sync_client(ok(**headers))
    result = client.get_statuses("alice@example.com")
    assert len(result) == 3
    assert result.rate_limit == RateLimitInfo()


@pytest.mark.parametrize(("status", "error_type"), [(429, RateLimitError), (503, InternalServerError)])
def test_an_error_with_absurd_headers_is_its_typed_error(status: int, error_type: type[Exception]) -> None:
    client, _ = sync_client(
        httpx.Response(status, json={"message": "slow down"}, headers={"Retry-After": HUGE}), max_retries=0
    )
    with pytest.raises(error_type, match="slow down") as raised:
        client.get_statuses("alice@example.com")
    assert type(raised.value) is error_type
    assert raised.value.status_code == status  # type: ignore[attr-defined]


def test_a_body_with_a_5000_digit_number_is_an_unexpected_response() -> None:
    text = (
        '{"status":"COMPLETE","startedAt":"2026-03-18T09:20:31Z","completedAt":"2026-03-18T09:20:31Z",'
        f'"results":[],"numErrors":{HUGE}}}'
    )
    client, _ = sync_client(
        httpx.Response(200, content=text.encode(), headers={"Content-Type": "application/json"})
    )
    with pytest.raises(UnexpectedResponseError, match=r"JSON that cannot be read \(Exceeds the limit"):
        client.get_unsubscribe_all_status("bob@example.com")


def test_a_body_nested_too_deeply_is_an_unexpected_response() -> None:
    text = "[" * 100_000 + "]" * 100_000
    client, _ = sync_client(httpx.Response(200, content=text.encode()))
    with pytest.raises(UnexpectedResponseError, match="nested too deeply"):
        client.get_statuses("alice@example.com")


def test_bulk_files_rows_with_absurd_headers_as_answered_never_invalid() -> None:
    """Five valid emails came out ``invalid`` when a rate-limit header held 5,000 digits."""
    headers = dict.fromkeys(RATE_HEADERS, HUGE)
    http = httpx.Client(transport=httpx.MockTransport(lambda request: ok(STATUSES_BODY, **headers)))
    ids = [f"user{n}@example.com" for n in range(5)]
    with CommPrefs(access_token=TOKEN, http_client=http) as client:
        outcomes = list(client.lookup_many(ids, rate=Rate(1000, 1.0), check="statuses"))
    assert [outcome.outcome for outcome in outcomes] == ["ok"] * 5


def test_non_ascii_digits_are_not_a_count() -> None:
    assert RateLimitInfo.from_headers({"X-HubSpot-RateLimit-Remaining": "\u0661\u0662"}).remaining is None
