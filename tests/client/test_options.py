"""Per-call options (``timeout=``, ``extra_headers=``) and ``with_options(...)``: checked as the constructor
checks its options, applied to one call or one copy only, and the copy shares the HTTP client."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from hubspot_commprefs import (
    APITimeoutError,
    AsyncCommPrefs,
    CommPrefs,
    CommPrefsError,
    MissingTokenError,
    ResponseTooLargeError,
)
from hubspot_commprefs.client._client import STATUSES
from hubspot_commprefs.client._http import attempt_seconds

from tests.client_fixtures import (
    TOKEN,
    LocalServer,
    action_body,
    async_client,
    ok,
    patch_sleeps,
    sync_client,
    wide_item,
)
from tests.hostile_servers import HostileServer, trickle

OTHER_TOKEN = "pat-na1-11111111-other-token-do-not-log"
BAD_TIMEOUTS = [
    (-1, ValueError),
    (0, ValueError),
    (float("nan"), ValueError),
    (float("inf"), ValueError),
    ("abc", TypeError),
    (True, TypeError),
    (httpx.Timeout(5.0, read=0), ValueError),
]
BAD_HEADERS = [
    ({"X-Trace": "a\r\nX-Injected: 1"}, ValueError, "X-Trace"),
    ({"X-Trace": 1}, TypeError, "X-Trace"),
    ({"X Trace": "1"}, ValueError, "X Trace"),
    ({1: "1"}, TypeError, "header name"),
    ([("X-Trace", "1")], TypeError, "mapping"),
]


@pytest.fixture
def sleeps(monkeypatch):
    return patch_sleeps(monkeypatch)


def _wide_ok() -> httpx.Response:
    return ok(action_body([wide_item()]))


# --- per-call timeout= ------------------------------------------------------------------------------------


def test_a_per_call_timeout_is_sent_with_that_call_only():
    client, recorder = sync_client(ok(), ok(), ok(), timeout=7)
    client.get_statuses("alice@example.com", timeout=3)
    client.get_statuses("alice@example.com", timeout=None)
    client.get_statuses("alice@example.com")
    sent = [r.extensions["timeout"] for r in recorder.requests]
    assert sent == [httpx.Timeout(3.0).as_dict(), httpx.Timeout(None).as_dict(), httpx.Timeout(7.0).as_dict()]


def test_every_method_takes_the_per_call_options():
    client, recorder = sync_client(ok(), _wide_ok(), _wide_ok())
    options = {"timeout": httpx.Timeout(4.0, connect=1.0), "extra_headers": {"X-Call": "1"}}
    client.get_statuses("alice@example.com", **options)
    client.get_unsubscribe_all_status("bob@example.com", **options)
    assert client.is_unsubscribed_from_all("bob@example.com", **options)
    for request in recorder.requests:
        assert request.extensions["timeout"] == httpx.Timeout(4.0, connect=1.0).as_dict()
        assert request.headers["x-call"] == "1"


async def test_every_async_method_takes_the_per_call_options():
    client, recorder = async_client(ok(), _wide_ok(), _wide_ok())
    options = {"timeout": 2.5, "extra_headers": {"X-Call": "1"}}
    async with client:
        await client.get_statuses("alice@example.com", **options)
        await client.get_unsubscribe_all_status("bob@example.com", **options)
        assert await client.is_unsubscribed_from_all("bob@example.com", **options)
    for request in recorder.requests:
        assert request.extensions["timeout"] == httpx.Timeout(2.5).as_dict()
        assert request.headers["x-call"] == "1"


@pytest.mark.parametrize(("timeout", "error"), BAD_TIMEOUTS)
async def test_a_bad_per_call_timeout_is_refused_before_any_request(timeout, error):
    client, recorder = sync_client(ok())
    with pytest.raises(error, match="timeout"):
        client.get_statuses("alice@example.com", timeout=timeout)
    with pytest.raises(error, match="timeout"):
        client.is_unsubscribed_from_all("alice@example.com", timeout=timeout)
    aclient, arecorder = async_client(ok())
    with pytest.raises(error, match="timeout"):
        await aclient.get_unsubscribe_all_status("alice@example.com", timeout=timeout)
    assert recorder.requests == arecorder.requests == []


def test_the_per_call_timeout_sets_the_deadline_of_its_attempts():
    client, _ = sync_client(ok(), timeout=1.0)
    op = STATUSES

    def seconds(**timeout):
        request = client._build(op, "alice@example.com", "EMAIL", None, **timeout)
        return attempt_seconds(request.extensions["timeout"])

    assert seconds(timeout=30) == 30
    assert seconds(timeout=0.25) == 0.25
    assert seconds(timeout=None) is None
    assert seconds() == 1.0


def test_a_small_per_call_timeout_ends_a_trickled_answer_in_time_sync():
    with (
        HostileServer(trickle(0.2)) as server,
        CommPrefs(access_token=TOKEN, base_url=server.url, timeout=30, max_retries=0) as client,
    ):
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="in time"):
            client.get_statuses("alice@example.com", timeout=0.5)
        assert time.monotonic() - started < 6.0  # far below the client's own 30 s


async def test_a_small_per_call_timeout_ends_a_trickled_answer_in_time_async():
    with HostileServer(trickle(0.2, headers_too=True)) as server:
        async with AsyncCommPrefs(
            access_token=TOKEN, base_url=server.url, timeout=30, max_retries=0
        ) as client:
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match="in time"):
                await client.get_unsubscribe_all_status("bob@example.com", timeout=0.5)
            assert time.monotonic() - started < 6.0  # far below the client's own 30 s


# --- per-call extra_headers= ------------------------------------------------------------------------------


def test_extra_headers_are_merged_over_the_default_ones_for_that_call_only():
    client, recorder = sync_client(ok(), ok(), default_headers={"X-Team": "a", "X-Keep": "k"})
    client.get_statuses("alice@example.com", extra_headers={"x-team": "b", "X-Call": "1"})
    client.get_statuses("alice@example.com")
    first, second = (r.headers for r in recorder.requests)
    assert first.get_list("x-team") == ["b"]
    assert first["x-keep"] == "k"
    assert first["x-call"] == "1"
    assert first.get_list("authorization") == [f"Bearer {TOKEN}"]
    assert second["x-team"] == "a"
    assert "x-call" not in second


@pytest.mark.parametrize("name", ["Authorization", "authorization", "Proxy-Authorization"])
def test_extra_headers_cannot_set_authorization(name):
    client, recorder = sync_client(ok())
    with pytest.raises(ValueError, match="extra_headers must not set") as caught:
        client.get_statuses("alice@example.com", extra_headers={name: f"Bearer {OTHER_TOKEN}"})
    assert OTHER_TOKEN not in str(caught.value)
    assert recorder.requests == []


@pytest.mark.parametrize(("headers", "error", "named"), BAD_HEADERS)
async def test_bad_extra_headers_are_refused_naming_the_option(headers, error, named):
    client, recorder = sync_client(ok())
    with pytest.raises(error, match="extra_headers") as caught:
        client.get_unsubscribe_all_status("alice@example.com", extra_headers=headers)
    assert named in str(caught.value)
    aclient, arecorder = async_client(ok())
    with pytest.raises(error, match="extra_headers"):
        await aclient.get_statuses("alice@example.com", extra_headers=headers)
    assert recorder.requests == arecorder.requests == []


# --- with_options -----------------------------------------------------------------------------------------


def test_with_options_changes_the_copy_only(sleeps):
    client, recorder = sync_client(
        httpx.Response(503),
        ok(),
        ok(),
        timeout=5,
        max_retries=0,
        default_headers={"X-Team": "a"},
    )
    copy = client.with_options(
        timeout=2, max_retries=1, default_headers={"X-Extra": "e"}, access_token=OTHER_TOKEN
    )
    assert type(copy) is CommPrefs
    copy.get_statuses("alice@example.com")  # the 503 is retried: the copy's max_retries
    assert len(recorder.requests) == 2
    client.get_statuses("alice@example.com")
    by_copy, by_client = recorder.requests[1], recorder.requests[2]
    assert by_copy.extensions["timeout"] == httpx.Timeout(2.0).as_dict()
    assert by_copy.headers["x-team"] == "a"
    assert by_copy.headers["x-extra"] == "e"
    assert by_copy.headers.get_list("authorization") == [f"Bearer {OTHER_TOKEN}"]
    assert by_client.extensions["timeout"] == httpx.Timeout(5.0).as_dict()
    assert "x-extra" not in by_client.headers
    assert by_client.headers.get_list("authorization") == [f"Bearer {TOKEN}"]
    assert (client.max_retries, copy.max_retries) == (0, 1)
    assert OTHER_TOKEN not in repr(copy)
    assert TOKEN not in repr(copy)


def test_with_options_keeps_what_is_not_given():
    client, recorder = sync_client(ok(), ok(), timeout=4, max_retries=3, base_url="http://h.example/pre")
    copy = client.with_options()
    assert (copy.base_url, copy.max_retries, copy.max_response_bytes) == (
        client.base_url,
        client.max_retries,
        client.max_response_bytes,
    )
    copy.get_statuses("alice@example.com")
    client.get_statuses("alice@example.com")
    assert recorder.requests[0].url == recorder.requests[1].url
    assert recorder.requests[0].headers == recorder.requests[1].headers
    assert recorder.requests[0].extensions["timeout"] == httpx.Timeout(4.0).as_dict()


def test_with_options_base_url_and_max_response_bytes():
    client, recorder = sync_client(ok(), ok())
    copy = client.with_options(base_url="http://other.example/prefix/", max_response_bytes=100)
    with pytest.raises(ResponseTooLargeError):
        copy.get_statuses("alice@example.com")
    assert str(recorder.requests[0].url).startswith("http://other.example/prefix/communication-preferences/")
    client.get_statuses("alice@example.com")  # the original's cap and URL are untouched
    assert recorder.requests[1].url.host == "api.hubapi.com"


@pytest.mark.parametrize(
    ("options", "error", "named"),
    [
        ({"timeout": 0}, ValueError, "timeout"),
        ({"timeout": "1"}, TypeError, "timeout"),
        ({"max_retries": -1}, ValueError, "max_retries"),
        ({"max_retries": 1.5}, TypeError, "max_retries"),
        ({"max_response_bytes": 0}, ValueError, "max_response_bytes"),
        ({"base_url": "ftp://h"}, ValueError, "base_url"),
        ({"base_url": 1}, TypeError, "base_url"),
        ({"default_headers": {"Authorization": f"Bearer {OTHER_TOKEN}"}}, ValueError, "default_headers"),
        ({"default_headers": {"X-Trace": "a\nb"}}, ValueError, "default_headers"),
        ({"access_token": 12345678}, TypeError, "access_token"),
        ({"access_token": "two words"}, ValueError, "access token"),
        ({"access_token": ""}, MissingTokenError, "access_token is empty"),
        ({"access_token": " "}, MissingTokenError, "access_token is empty"),
    ],
)
def test_with_options_checks_its_options_as_the_constructor_does(options, error, named):
    client, _ = sync_client(ok())
    aclient, _ = async_client(ok())
    for target in (client, aclient):
        with pytest.raises(error, match=named) as caught:
            target.with_options(**options)
        assert OTHER_TOKEN not in str(caught.value)


def test_the_copy_shares_the_http_client_and_does_not_close_it():
    with LocalServer() as server:
        client = CommPrefs(access_token=TOKEN, base_url=server.url, max_retries=0)
        with client.with_options(timeout=3) as copy:
            assert copy._http is client._http
            assert len(copy.get_statuses("alice@example.com")) == 3
        assert not client._http.is_closed  # closing the copy closed nothing
        assert len(client.get_statuses("alice@example.com")) == 3
        other = client.with_options(max_retries=1)
        client.close()  # the original owns the HTTP client: its copies are closed with it
        with pytest.raises(CommPrefsError, match="closed"):
            other.get_statuses("alice@example.com")
        assert len(server.seen) == 2


def test_a_copy_of_a_client_with_a_callers_http_client_leaves_it_open():
    client, recorder = sync_client(ok())
    copy = client.with_options(max_retries=0)
    copy.close()
    client.close()
    assert not client._http.is_closed  # the caller owns it
    copy.get_statuses("alice@example.com")
    assert len(recorder.requests) == 1


async def test_the_async_copy_shares_the_http_client_and_does_not_close_it():
    client, recorder = async_client(ok(), ok())
    async with client.with_options(timeout=3) as copy:
        assert type(copy) is AsyncCommPrefs
        assert copy._http is client._http
        await copy.get_statuses("alice@example.com")
    await client.get_statuses("alice@example.com")
    # the copy's timeout, then the caller's HTTP client's own (httpx's default, 5 s)
    assert [r.extensions["timeout"]["read"] for r in recorder.requests] == [3.0, 5.0]


def test_an_async_copy_belongs_to_the_event_loop_of_the_client_it_shares_the_pool_with():
    with LocalServer() as server:
        client = AsyncCommPrefs(access_token=TOKEN, base_url=server.url, max_retries=0)
        copy = client.with_options(timeout=5)
        assert len(asyncio.run(client.get_statuses("alice@example.com"))) == 3
        with pytest.raises(CommPrefsError, match="event loop"):
            asyncio.run(copy.get_statuses("alice@example.com"))
        assert len(server.seen) == 1


# --- the README's example -----------------------------------------------------------------------------------


def test_the_readmes_per_call_and_with_options_example_runs(monkeypatch):
    import re
    from pathlib import Path

    from hubspot_commprefs.testing import FakeHubSpot

    readme = (Path(__file__).resolve().parents[2] / "docs" / "client.md").read_text(encoding="utf-8")
    block = next(
        b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL) if "with_options(" in b
    )
    with FakeHubSpot() as server:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", server.token)
        monkeypatch.setenv("HUBSPOT_BASE_URL", server.base_url)
        names: dict[str, object] = {}
        exec(compile(block, "docs/client.md", "exec"), names)  # the docs' own example, run as written
    statuses = list(names["statuses"])
    assert len(statuses) >= 2
    assert names["first"] is statuses[0]
    assert names["rest"] == statuses[1:]
    timestamps = {r["subscriptionId"]: r["timestamp"] for r in names["body"]["results"]}
    assert timestamps[167233] == "2026-02-11T16:40:12Z"  # as sent, not rewritten
    assert names["opted_out"] is True
    assert names["patient"].max_retries == 5
