"""Sending: a closed client or a second event loop is a clear CommPrefsError; httpx failures that are not
connection failures are classified by what they are (and not retried); redirects are never followed,
whatever the caller's httpx client says."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hubspot_commprefs import (
    AsyncCommPrefs,
    CommPrefs,
    CommPrefsError,
    InternalServerError,
    NotFoundError,
    UnexpectedResponseError,
)

from tests.client_fixtures import TOKEN, LocalServer, Recorder, ok, patch_sleeps, sync_client


@pytest.fixture
def sleeps(monkeypatch):
    return patch_sleeps(monkeypatch)


# --- closed clients and event loops ---------------------------------------------------------------------


def test_a_closed_client_is_a_clear_error():
    with CommPrefs(access_token=TOKEN) as client:
        pass
    with pytest.raises(CommPrefsError, match="CommPrefs is closed"):
        client.get_statuses("alice@example.com")


def test_a_client_whose_http_client_was_closed_by_its_owner_is_a_clear_error():
    client, recorder = sync_client(ok())
    client._http.close()
    with pytest.raises(CommPrefsError, match="closed"):
        client.is_unsubscribed_from_all("alice@example.com")
    assert recorder.requests == []


async def test_a_closed_async_client_is_a_clear_error():
    client = AsyncCommPrefs(access_token=TOKEN)
    await client.aclose()
    with pytest.raises(CommPrefsError, match="AsyncCommPrefs is closed"):
        await client.get_unsubscribe_all_status("alice@example.com")


def test_an_async_client_used_in_a_second_event_loop_is_a_clear_error():
    with LocalServer() as server:
        client = AsyncCommPrefs(access_token=TOKEN, base_url=server.url, max_retries=0)
        first = asyncio.run(client.get_statuses("alice@example.com"))
        assert len(first) == 3
        with pytest.raises(CommPrefsError, match="event loop"):
            asyncio.run(client.get_statuses("alice@example.com"))

        async def in_a_new_loop() -> int:
            async with AsyncCommPrefs(access_token=TOKEN, base_url=server.url) as fresh:
                return len(await fresh.get_statuses("alice@example.com"))

        assert asyncio.run(in_a_new_loop()) == 3
        assert len(server.seen) == 2


# --- httpx errors that are not connection errors --------------------------------------------------------


def _gzip_lie(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip"))


def test_a_body_that_cannot_be_decoded_is_unexpected_and_not_retried(sleeps):
    client, recorder = sync_client(_gzip_lie, max_retries=2)
    with pytest.raises(UnexpectedResponseError, match="cannot be decoded") as caught:
        client.get_statuses("alice@example.com")
    assert caught.value.status_code == 200
    assert len(recorder.requests) == 1
    assert sleeps == []


async def test_a_body_that_cannot_be_decoded_is_unexpected_and_not_retried_async(sleeps):
    recorder = Recorder([_gzip_lie])
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    client = AsyncCommPrefs(access_token=TOKEN, http_client=http)
    with pytest.raises(UnexpectedResponseError, match="gzip"):
        await client.get_statuses("alice@example.com")
    assert len(recorder.requests) == 1


def _raising_client(recorder: Recorder, **options: object) -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(recorder),
        event_hooks={"response": [lambda response: response.raise_for_status()]},
        **options,
    )


def test_a_status_error_raised_by_the_callers_response_hook_is_the_right_error(sleeps):
    recorder = Recorder(
        [httpx.Response(404, json={"message": "no such contact", "category": "OBJECT_NOT_FOUND"})]
    )
    client = CommPrefs(access_token=TOKEN, http_client=_raising_client(recorder))
    with pytest.raises(NotFoundError) as caught:
        client.get_statuses("alice@example.com")
    assert caught.value.status_code == 404
    assert caught.value.category == "OBJECT_NOT_FOUND"
    assert len(recorder.requests) == 1
    assert sleeps == []


def test_a_retryable_status_raised_by_the_callers_response_hook_is_retried(sleeps):
    recorder = Recorder([httpx.Response(503), ok()])
    client = CommPrefs(access_token=TOKEN, http_client=_raising_client(recorder))
    assert client.get_statuses("alice@example.com").is_complete
    assert len(recorder.requests) == 2
    recorder = Recorder([httpx.Response(503)])
    client = CommPrefs(access_token=TOKEN, max_retries=1, http_client=_raising_client(recorder))
    with pytest.raises(InternalServerError):
        client.get_statuses("alice@example.com")
    assert len(recorder.requests) == 2


async def test_a_status_error_raised_by_the_callers_async_response_hook_is_the_right_error():
    async def raise_for_status(response: httpx.Response) -> None:
        response.raise_for_status()

    recorder = Recorder([httpx.Response(404, json={"message": "gone"})])
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(recorder), event_hooks={"response": [raise_for_status]}
    )
    client = AsyncCommPrefs(access_token=TOKEN, http_client=http)
    with pytest.raises(NotFoundError):
        await client.get_statuses("alice@example.com")


# --- redirects ------------------------------------------------------------------------------------------


def test_a_callers_client_that_follows_redirects_does_not_follow_ours(sleeps):
    recorder = Recorder([httpx.Response(302, headers={"Location": "https://elsewhere.test/steal"}), ok()])
    http = httpx.Client(transport=httpx.MockTransport(recorder), follow_redirects=True)
    client = CommPrefs(access_token=TOKEN, http_client=http)
    with pytest.raises(UnexpectedResponseError, match="302"):
        client.get_statuses("alice@example.com")
    assert [r.url.host for r in recorder.requests] == ["api.hubapi.com"]


async def test_a_callers_async_client_that_follows_redirects_does_not_follow_ours():
    recorder = Recorder([httpx.Response(307, headers={"Location": "https://elsewhere.test/steal"}), ok()])
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder), follow_redirects=True)
    client = AsyncCommPrefs(access_token=TOKEN, http_client=http)
    with pytest.raises(UnexpectedResponseError, match="307"):
        await client.get_statuses("alice@example.com")
    assert len(recorder.requests) == 1


def test_lookups_of_many_on_a_closed_client_say_it_is_closed():
    client = CommPrefs(access_token=TOKEN)
    client.close()
    (outcome,) = client.lookup_many(["alice@example.com"])
    assert isinstance(outcome.error, CommPrefsError)
    assert "closed" in str(outcome.error)


async def test_async_lookups_of_many_on_a_closed_client_say_it_is_closed():
    client = AsyncCommPrefs(access_token=TOKEN)
    await client.aclose()
    outcomes = [outcome async for outcome in client.lookup_many(["alice@example.com"])]
    assert [type(o.error) for o in outcomes] == [CommPrefsError]
