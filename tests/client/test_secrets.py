"""The token never shows, even when a server or proxy echoes it back: in exception messages, str and repr,
the excerpts of bodies kept on exceptions, and the header values in debug logs."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from hubspot_commprefs import (
    APIConnectionError,
    AuthenticationError,
    CommPrefs,
    CommPrefsError,
    IncompleteResultError,
    InternalServerError,
    UnexpectedResponseError,
)
from hubspot_commprefs._logging import LOGGER_NAME, scrub

from tests.client_fixtures import TOKEN, action_body, ok, patch_sleeps, status_item, sync_client

ECHO = f"Authorization: Bearer {TOKEN}"


def _shown(error: BaseException) -> str:
    """Everything a user is likely to print of an exception."""
    parts = [str(error), repr(error), str(getattr(error, "message", ""))]
    parts += [str(getattr(error, name, "")) for name in ("text", "category", "correlation_id", "result")]
    parts.append(repr(getattr(error, "missing_scopes", "")))
    return "\n".join(parts)


def _error_of(*answers: object, **options: object) -> CommPrefsError:
    client, _ = sync_client(*answers, max_retries=0, **options)
    with pytest.raises(CommPrefsError) as caught:
        client.get_statuses("alice@example.com")
    return caught.value


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(401, text=f"<html><pre>{ECHO}</pre></html>"),
        httpx.Response(401, text="x" * 160 + f"Bearer {TOKEN}"),  # the excerpt's cut would fall inside it
        httpx.Response(
            401, json={"message": f"bad token {TOKEN}", "category": TOKEN, "correlationId": TOKEN}
        ),
        httpx.Response(403, json={"message": "m", "errors": [{"context": {"requiredScopes": [TOKEN]}}]}),
        httpx.Response(500, json={}, headers={"X-HubSpot-Correlation-Id": TOKEN}),
    ],
)
def test_an_echoed_token_never_shows_in_status_errors(response):
    error = _error_of(response)
    assert TOKEN not in _shown(error)
    assert "test-token" not in _shown(error)  # not even a piece of it


def test_a_token_echoed_with_json_escaped_slashes_never_shows():
    token = "pat/na1/0000/1111/secret"
    echoed = json.dumps({"token": token}).replace("/", "\\/")
    assert token not in echoed
    transport = httpx.MockTransport(lambda r: httpx.Response(502, text=f"<pre>{echoed}</pre>"))
    client = CommPrefs(access_token=token, max_retries=0, http_client=httpx.Client(transport=transport))
    with pytest.raises(InternalServerError) as caught:
        client.get_statuses("alice@example.com")
    assert "secret" not in str(caught.value)


def test_the_raw_body_and_headers_stay_available():
    error = _error_of(httpx.Response(401, text=ECHO))
    assert isinstance(error, AuthenticationError)
    assert error.body == ECHO
    assert "[redacted]" in str(error)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text=f"<html>{ECHO}</html>"),
        httpx.Response(200, text="x" * 160 + f"Bearer {TOKEN}"),
        httpx.Response(200, text=f"<p>{ECHO}</p>", headers={"Content-Type": f"text/html; {TOKEN}"}),
        ok(action_body([status_item(timestamp=f"{TOKEN}{TOKEN}")])),
        ok(action_body([status_item(timestamp=f"2026-03-12T14:02:11Z{TOKEN}")])),
        httpx.Response(302, text=ECHO, headers={"Location": "https://elsewhere.test/"}),
    ],
)
def test_an_echoed_token_never_shows_in_unexpected_response_errors(response):
    error = _error_of(response)
    assert isinstance(error, UnexpectedResponseError)
    assert TOKEN not in _shown(error)
    assert "test-token" not in _shown(error)
    assert TOKEN.encode() in error.content or TOKEN not in response.text


def test_an_echoed_token_never_shows_in_incomplete_result_errors():
    errors = [{"category": "X", "context": {}, "errors": [], "links": {}, "message": ECHO, "status": "error"}]
    client, _ = sync_client(ok(action_body([], status=f"PENDING {TOKEN}", errors=errors)))
    result = client.get_unsubscribe_all_status("alice@example.com")
    with pytest.raises(IncompleteResultError) as caught:
        result.raise_if_incomplete()
    assert TOKEN not in str(caught.value) + repr(caught.value) + repr(caught.value.result)
    assert "[redacted]" in str(caught.value)
    statuses = sync_client(ok(action_body([], status=f"PENDING {TOKEN}")))[0].get_statuses("a@example.com")
    assert TOKEN not in repr(statuses)
    with pytest.raises(IncompleteResultError) as caught:
        client.is_unsubscribed_from_all("alice@example.com")
    assert TOKEN not in str(caught.value)


def test_an_echoed_token_never_shows_in_connection_errors():
    error = _error_of(httpx.RemoteProtocolError(f"garbage from the server: {ECHO}"))
    assert isinstance(error, APIConnectionError)
    assert TOKEN not in _shown(error)


def test_echoed_header_values_are_scrubbed_from_debug_logs(caplog, monkeypatch):
    patch_sleeps(monkeypatch)
    caplog.set_level(logging.DEBUG)
    headers = {"X-Echo-Auth": f"Bearer {TOKEN}", "WWW-Authenticate": f'Bearer error="{TOKEN}"'}
    client, _ = sync_client(
        httpx.Response(503, text=ECHO, headers=headers), ok(None, **headers), max_retries=1
    )
    client.get_statuses("alice@example.com")
    assert "x-echo-auth" in caplog.text.lower()
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.__dict__)
    assert any(r.name == LOGGER_NAME and "[redacted]" in r.getMessage() for r in caplog.records)


def test_short_tokens_are_not_scrubbed_so_text_stays_readable():
    assert scrub("a bearer of abc news", "abc") == "a bearer of abc news"
    assert scrub(f"x{TOKEN}y{TOKEN}", TOKEN) == "x[redacted]y[redacted]"
    client = CommPrefs(access_token="abc", max_retries=0, http_client=httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(500, json={"message": "abc news"}))
    ))  # fmt: skip
    with pytest.raises(InternalServerError, match="abc news"):
        client.get_statuses("alice@example.com")
