"""Error classification: every status code 100-599 with any body gives the right class, never a raw
KeyError, ValueError, JSONDecodeError or httpx exception."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from hubspot_commprefs import (
    APIError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    CommPrefsError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SubscriptionStatuses,
    UnexpectedResponseError,
)
from hubspot_commprefs import _errors as errors_module
from hypothesis import given
from hypothesis import strategies as st

from tests import strategies
from tests.client_fixtures import CORRELATION_ID, TOKEN, sync_client

EXPECTED = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}
WRONG_TYPES = st.none() | st.booleans() | st.integers() | st.lists(st.integers(), max_size=2) | st.just({})


@st.composite
def error_bodies(draw: st.DrawFn) -> bytes:
    """Error bodies as HubSpot might send them: valid, with fields missing, extra or of the wrong type,
    other JSON values, HTML, arbitrary bytes."""
    kind = draw(st.sampled_from(["object", "json", "html", "bytes"]))
    if kind == "object":
        body = draw(strategies.component("Error", extra_fields=True))
        for key in draw(st.lists(st.sampled_from(sorted(body)), unique=True)) if body else []:
            if draw(st.booleans()):
                del body[key]
            else:
                body[key] = draw(WRONG_TYPES)
        return json.dumps(body).encode()
    if kind == "json":
        return json.dumps(draw(strategies.JSON_VALUES)).encode()
    if kind == "html":
        return f"<html><body><h1>{draw(st.text(max_size=20))}</h1></body></html>".encode()
    return draw(st.binary(max_size=60))


def _outcome(client) -> object:
    try:
        return client.get_statuses("alice@example.com")
    except CommPrefsError as error:
        return error


@given(code=st.integers(100, 599), content=error_bodies())
def test_every_status_code_and_body_gives_the_right_class(code, content):
    client, recorder = sync_client(httpx.Response(code, content=content), max_retries=0)
    outcome = _outcome(client)
    assert len(recorder.requests) == 1
    if code == 200:
        assert isinstance(outcome, SubscriptionStatuses | UnexpectedResponseError)
        return
    if not 400 <= code <= 599:
        assert type(outcome) is UnexpectedResponseError
        assert outcome.status_code == code
        return
    expected = EXPECTED.get(code, InternalServerError if code >= 500 else APIStatusError)
    assert type(outcome) is expected
    assert outcome.status_code == code
    assert isinstance(outcome.message, str)
    assert outcome.message.strip()
    assert TOKEN not in str(outcome)
    body = _json_object(content)
    category, correlation = body.get("category"), body.get("correlationId")
    assert outcome.category == (category if isinstance(category, str) else None)
    assert outcome.correlation_id == (correlation if isinstance(correlation, str) else None)


def _json_object(content: bytes) -> dict:
    try:
        value = json.loads(content)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def test_hubspots_own_429_body_without_category():
    body = {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": CORRELATION_ID,
        "policyName": "TEN_SECONDLY_ROLLING",
        "groupName": "publicapi:private-app-api-calls-ten-secondly:1234",
    }
    headers = {
        "Retry-After": "1",
        "X-HubSpot-RateLimit-Max": "100",
        "X-HubSpot-RateLimit-Remaining": "0",
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
    }
    client, _ = sync_client(httpx.Response(429, json=body, headers=headers), max_retries=0)
    with pytest.raises(RateLimitError) as caught:
        client.get_statuses("alice@example.com")
    error = caught.value
    assert error.category is None
    assert error.policy_name == "TEN_SECONDLY_ROLLING"
    assert error.retry_after == 1.0
    assert error.rate_limit.max == 100
    assert error.rate_limit.window_exhausted
    assert error.correlation_id == CORRELATION_ID
    assert error.body == body
    assert str(error) == f"HTTP 429: {body['message']} (correlation id {CORRELATION_ID})"


def test_an_html_502_keeps_its_text():
    client, _ = sync_client(httpx.Response(502, text="<html>Bad gateway</html>"), max_retries=0)
    with pytest.raises(InternalServerError, match="not a JSON error object") as caught:
        client.get_statuses("alice@example.com")
    assert caught.value.body == "<html>Bad gateway</html>"
    assert caught.value.category is None


def test_a_non_iana_code_is_an_internal_server_error():
    client, _ = sync_client(httpx.Response(520, json={"message": "unknown"}), max_retries=0)
    with pytest.raises(InternalServerError):
        client.get_statuses("alice@example.com")


def test_the_tree_in_the_docs_matches_the_classes():
    """The tree is drawn once, in docs/client.md (the module's docstring points there)."""
    doc = (Path(__file__).parents[2] / "docs" / "client.md").read_text(encoding="utf-8")
    assert "docs/client.md" in errors_module.__doc__
    for name in [
        "CommPrefsError", "IncompleteResultError", "APIError", "APIStatusError", "BadRequestError",
        "AuthenticationError", "PermissionDeniedError", "NotFoundError", "RateLimitError",
        "InternalServerError", "APIConnectionError", "APITimeoutError", "UnexpectedResponseError",
    ]:  # fmt: skip
        cls = getattr(errors_module, name)
        assert issubclass(cls, CommPrefsError)
        assert name in doc
    assert issubclass(errors_module.APITimeoutError, errors_module.APIConnectionError)
    assert issubclass(errors_module.UnexpectedResponseError, APIError)
    for cls in EXPECTED.values():
        assert issubclass(cls, APIStatusError)
