"""Constructor options and call arguments: bad values are refused up front with a TypeError or ValueError
naming the argument, never a raw error from httpx at call time (or, worse, a request sent)."""

from __future__ import annotations

import enum
import logging
import math
import re

import httpx
import pytest
from hubspot_commprefs import AsyncCommPrefs, CommPrefs, InvalidSubscriberIdError

from tests.client_fixtures import TOKEN, LocalServer, action_body, async_client, ok, sync_client

PASSWORD = "hunter2-very-secret"


# --- subscriber id length -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subscriber_id", ["x" * 70000 + "@x.com", "\u00e9" * 10921 + "@x.com", "a" * 995 + "@x.com"]
)
def test_an_id_too_long_is_refused_before_any_request(subscriber_id):
    client, recorder = sync_client(ok())
    with pytest.raises(InvalidSubscriberIdError, match=r"longer than 1000 characters"):
        client.get_statuses(subscriber_id)
    with pytest.raises(ValueError, match="longer than 1000 characters"):
        client.get_unsubscribe_all_status(subscriber_id)
    assert recorder.requests == []


async def test_an_id_too_long_is_refused_async():
    client, recorder = async_client(ok())
    with pytest.raises(InvalidSubscriberIdError, match="longer than 1000 characters"):
        await client.get_statuses("x" * 70000 + "@x.com")
    assert recorder.requests == []


def test_a_url_too_long_for_httpx_is_refused_naming_the_id():
    long_base = "https://example.com/" + "p" * 65000
    client = CommPrefs(access_token=TOKEN, base_url=long_base)
    with pytest.raises(InvalidSubscriberIdError, match=r"subscriber id of \d+ characters is too long"):
        client.get_statuses("a" * 900 + "@x.com")


def test_the_longest_id_that_fits_arrives_exactly_over_a_socket():
    with LocalServer() as server, CommPrefs(access_token=TOKEN, base_url=server.url, max_retries=0) as client:
        fits = "x" * 994 + "@x.com"
        client.get_statuses(fits)
        assert server.seen[-1].subscriber_id == fits


# --- timeout and max_retries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "error"),
    [
        (-1, ValueError),
        (0, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        (1e308, ValueError),
        (10**400, ValueError),
        ("abc", TypeError),
        ([1], TypeError),
        (True, TypeError),
        (httpx.Timeout(5.0, connect=-1), ValueError),
        (httpx.Timeout(5.0, read=0), ValueError),
    ],
)
def test_a_bad_timeout_is_refused_by_the_constructor(timeout, error):
    with pytest.raises(error, match="timeout"):
        CommPrefs(access_token=TOKEN, timeout=timeout)
    with pytest.raises(error, match="timeout"):
        AsyncCommPrefs(access_token=TOKEN, timeout=timeout)


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (None, httpx.Timeout(None)),
        (3, httpx.Timeout(3.0)),
        (0.25, httpx.Timeout(0.25)),
        (httpx.Timeout(5.0, connect=None), httpx.Timeout(5.0, connect=None)),
    ],
)
def test_good_timeouts_are_sent(timeout, expected):
    client, recorder = sync_client(ok(), timeout=timeout)
    client.get_statuses("alice@example.com")
    assert recorder.requests[0].extensions["timeout"] == expected.as_dict()


@pytest.mark.parametrize(
    ("value", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)]
)
def test_max_retries_must_be_a_non_negative_int(value, error):
    with pytest.raises(error, match="max_retries"):
        CommPrefs(access_token=TOKEN, max_retries=value)


# --- default_headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Authorization", "authorization", "AUTHORIZATION", "Proxy-Authorization"])
def test_default_headers_cannot_set_authorization(name):
    with pytest.raises(ValueError, match="access token") as caught:
        CommPrefs(access_token=TOKEN, default_headers={name: "Bearer other-token-value"})
    assert "other-token-value" not in str(caught.value)


@pytest.mark.parametrize(
    ("headers", "error", "named"),
    [
        ({"X-Trace": "caf\u00e9"}, ValueError, "X-Trace"),
        ({"X-Trace": "a\r\nX-Injected: 1"}, ValueError, "X-Trace"),
        ({"X-Trace": "a\nb"}, ValueError, "X-Trace"),
        ({"X-Trace": "a\x00b"}, ValueError, "X-Trace"),
        ({"X-Trace": 1}, TypeError, "X-Trace"),
        ({"X-Trace": b"1"}, TypeError, "X-Trace"),
        ({"X Trace": "1"}, ValueError, "X Trace"),
        ({"": "1"}, ValueError, "''"),
        ({"X-Tr\u00e4ce": "1"}, ValueError, "X-Tr"),
        ({"X:Trace": "1"}, ValueError, "X:Trace"),
        ({1: "1"}, TypeError, "header name"),
        ([("X-Trace", "1")], TypeError, "mapping"),
        ("X-Trace: 1", TypeError, "mapping"),
    ],
)
def test_bad_default_headers_are_refused_by_the_constructor(headers, error, named):
    with pytest.raises(error, match="default_headers") as caught:
        CommPrefs(access_token=TOKEN, default_headers=headers)
    assert named in str(caught.value)


def test_good_default_headers_are_sent_once():
    client, recorder = sync_client(ok(), default_headers={"X-Trace": "a b\tc", "user-agent": "mine/1"})
    client.get_statuses("alice@example.com")
    headers = recorder.requests[0].headers
    assert headers["x-trace"] == "a b\tc"
    assert headers.get_list("user-agent") == ["mine/1"]
    assert headers.get_list("authorization") == [f"Bearer {TOKEN}"]


# --- base_url -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://h?",
        "http://h/pre?",
        "http://h/pre?a=1",
        "http://h#",
        "http://h/pre#frag",
        "ftp://h",
        "http://",
    ],
)
def test_a_base_url_with_a_query_or_fragment_is_refused(url):
    with pytest.raises(ValueError, match="base_url"):
        CommPrefs(access_token=TOKEN, base_url=url)


@pytest.mark.parametrize(
    "url", [f"http://user:{PASSWORD}@h/", f"https://user:{PASSWORD}@h:8443/pre", f"http://{PASSWORD}@h"]
)
def test_a_base_url_with_user_info_is_refused_without_showing_it(url, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ValueError, match="user name or password") as caught:
        CommPrefs(access_token=TOKEN, base_url=url)
    assert PASSWORD not in str(caught.value)
    monkeypatch.setenv("HUBSPOT_BASE_URL", url)
    with pytest.raises(ValueError, match="user name or password"):
        CommPrefs(access_token=TOKEN)
    assert PASSWORD not in caplog.text


def test_a_base_url_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="base_url"):
        CommPrefs(access_token=TOKEN, base_url=b"http://h")  # type: ignore[arg-type]


# --- business unit id -----------------------------------------------------------------------------------


class Unit(enum.IntEnum):
    MAIN = 1021

    def __str__(self) -> str:
        return "Unit.MAIN"


class Sneaky(int):
    def __str__(self) -> str:
        return "garbage"

    def __int__(self) -> int:
        return 0


@pytest.mark.parametrize("unit", [Unit.MAIN, Sneaky(1021)])
def test_an_int_subclass_business_unit_id_is_sent_as_its_number(unit):
    client, recorder = sync_client(ok(), ok(action_body([])))
    client.get_statuses("alice@example.com", business_unit_id=unit)
    client.get_unsubscribe_all_status("alice@example.com", business_unit_id=unit)
    for request in recorder.requests:
        assert request.url.params["businessUnitId"] == "1021"


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "https://h:65536/p"])
def test_a_base_url_whose_port_is_not_a_port_is_refused(url):
    # httpx accepts such a URL and fails only when it sends; the client refuses it when it is built.
    with pytest.raises(ValueError, match=r"base_url .* has an invalid port"):
        CommPrefs(access_token=TOKEN, base_url=url)


def test_an_empty_base_url_variable_is_refused_not_hubspots_host(monkeypatch):
    """An unset shell variable expanded into HUBSPOT_BASE_URL must not send the token to production."""
    monkeypatch.setenv("HUBSPOT_BASE_URL", " ")
    with pytest.raises(ValueError, match="HUBSPOT_BASE_URL is set but empty"):
        CommPrefs(access_token=TOKEN)
    assert CommPrefs(access_token=TOKEN, base_url="http://127.0.0.1:9").base_url == "http://127.0.0.1:9"


def test_a_403_says_which_scopes_to_grant():
    from hubspot_commprefs import PermissionDeniedError

    body = {
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call.",
        "category": "MISSING_SCOPES",
        "correlationId": "3f1e2c4a-9b7d-4e6f-8a1b-2c3d4e5f6a7b",
        "errors": [
            {"message": "x", "context": {"requiredGranularScopes": ["communication_preferences.read"]}}
        ],
    }
    client, _ = sync_client(httpx.Response(403, json=body))
    expected = "grant the app one of these scopes, then use its new token: communication_preferences.read"
    with pytest.raises(PermissionDeniedError, match=re.escape(expected)):
        client.get_statuses("alice@example.com")
