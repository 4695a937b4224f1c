"""AsyncCommPrefs: the same calls, awaitable, with the same errors and retries."""

from __future__ import annotations

import httpx
import pytest
from hubspot_commprefs import (
    APITimeoutError,
    AsyncCommPrefs,
    IncompleteResultError,
    PermissionDeniedError,
    RateLimitError,
    UnexpectedResponseError,
)

from tests.client_fixtures import TOKEN, action_body, async_client, ok, patch_sleeps, wide_item


@pytest.fixture
def sleeps(monkeypatch):
    return patch_sleeps(monkeypatch)


async def test_the_three_calls():
    client, recorder = async_client(
        ok(), ok(action_body([wide_item(wideStatusType="BUSINESS_UNIT_WIDE", businessUnitId=1021)]))
    )
    async with client:
        statuses = await client.get_statuses("alice@example.com", business_unit_id=7)
        assert [s.subscription_id for s in statuses.subscribed] == [1]
        assert await client.is_unsubscribed_from_all("carol@example.com", business_unit_id=1021)
        wide = await client.get_unsubscribe_all_status("carol@example.com")
        assert wide.is_business_unit_wide
        assert wide.business_unit_ids == [1021]
        assert wide.for_business_unit(1021).wide_status_type.value == "BUSINESS_UNIT_WIDE"
    assert recorder.requests[0].url.params["businessUnitId"] == "7"
    assert recorder.requests[1].url.path.endswith("/unsubscribe-all")
    assert not client._http.is_closed  # the caller's client is left open


async def test_an_own_client_is_closed():
    async with AsyncCommPrefs(access_token=TOKEN) as client:
        http = client._http
    assert http.is_closed


async def test_retries_honour_retry_after_and_succeed(sleeps):
    client, recorder = async_client(
        httpx.Response(429, headers={"Retry-After": "2"}), httpx.ReadTimeout("x"), ok()
    )
    statuses = await client.get_statuses("alice@example.com")
    assert statuses.is_complete
    assert len(recorder.requests) == 3
    assert sleeps[0] == 2.0
    assert 0.5 <= sleeps[1] <= 1.5


async def test_errors_are_typed(sleeps):
    body = {
        "status": "error",
        "category": "MISSING_SCOPES",
        "message": "This app hasn't been granted all required scopes to make this call.",
        "correlationId": "0f8e2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b",
        "errors": [
            {"message": "m", "context": {"requiredGranularScopes": ["communication_preferences.read"]}}
        ],
    }
    client, recorder = async_client(httpx.Response(403, json=body))
    with pytest.raises(PermissionDeniedError) as denied:
        await client.get_statuses("alice@example.com")
    assert denied.value.missing_scopes == ("communication_preferences.read",)
    assert len(recorder.requests) == 1
    client, recorder = async_client(
        httpx.Response(429, json={"policyName": "TEN_SECONDLY_ROLLING"}), max_retries=1
    )
    with pytest.raises(RateLimitError):
        await client.get_statuses("alice@example.com")
    assert len(recorder.requests) == 2
    client, _ = async_client(httpx.ConnectTimeout("x"), max_retries=0)
    with pytest.raises(APITimeoutError):
        await client.get_statuses("alice@example.com")
    client, _ = async_client(httpx.Response(200, text="<html>hi</html>"))
    with pytest.raises(UnexpectedResponseError, match="not JSON"):
        await client.get_statuses("alice@example.com")


async def test_an_incomplete_answer_is_not_a_boolean():
    client, _ = async_client(ok(action_body([], status="PROCESSING")))
    with pytest.raises(IncompleteResultError, match="PROCESSING"):
        await client.is_unsubscribed_from_all("alice@example.com")


async def test_bad_ids_fail_before_any_request():
    client, recorder = async_client(ok())
    with pytest.raises(ValueError, match="URL"):
        await client.get_statuses("..")
    assert recorder.requests == []


async def test_verbose_must_be_a_bool_before_any_request():
    client, recorder = async_client(ok())
    with pytest.raises(TypeError, match="verbose must be a bool, not str"):
        await client.get_unsubscribe_all_status("a@example.com", verbose="yes")  # type: ignore[arg-type]
    assert recorder.requests == []
