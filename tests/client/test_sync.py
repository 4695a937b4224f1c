"""CommPrefs on an in-process transport: construction, the three calls, retries, timeouts."""

from __future__ import annotations

import httpx
import pytest
from hubspot_commprefs import (
    DEFAULT_TIMEOUT,
    APIConnectionError,
    APITimeoutError,
    AsyncCommPrefs,
    BadRequestError,
    CommPrefs,
    CommPrefsError,
    IncompleteResultError,
    InternalServerError,
    MissingTokenError,
    NotFoundError,
    RateLimitError,
    SubscriptionStatus,
    UnexpectedResponseError,
)
from hubspot_commprefs.client import RetryPolicy
from hubspot_commprefs.client._client import STATUSES, generated

from tests.client_fixtures import (
    STATUSES_BODY,
    TOKEN,
    action_body,
    ok,
    patch_sleeps,
    status_item,
    sync_client,
    wide_item,
)

_DEFAULTS = RetryPolicy(0)  # the client's backoff
INITIAL_RETRY_DELAY, MAX_RETRY_DELAY, RETRY_JITTER = (
    _DEFAULTS.first_backoff,
    _DEFAULTS.max_backoff,
    _DEFAULTS.jitter,
)
API_VERSION_PATH = STATUSES.get_kwargs("x", channel=generated("models", "Channel")("EMAIL"))[
    "url"
].removesuffix("/x")


@pytest.fixture
def sleeps(monkeypatch):
    return patch_sleeps(monkeypatch)


# --- construction -------------------------------------------------------------------------------------


def test_a_missing_token_is_a_clear_error_naming_the_variable(monkeypatch):
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    for make in (CommPrefs, AsyncCommPrefs):
        with pytest.raises(
            MissingTokenError, match=r"pass access_token=\.\.\. or set the HUBSPOT_ACCESS_TOKEN"
        ) as caught:
            make()
        # A bad argument, as every other one is a TypeError or ValueError; and a CommPrefsError, as it was.
        assert isinstance(caught.value, ValueError)
        assert isinstance(caught.value, CommPrefsError)


@pytest.mark.parametrize("token", ["", " ", "\t\n"])
def test_an_empty_or_blank_token_is_a_value_error_saying_so(monkeypatch, token):
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)  # given, so never replaced by the variable's
    for make in (CommPrefs, AsyncCommPrefs):
        with pytest.raises(ValueError, match=r"access_token is empty \(or only whitespace\)") as caught:
            make(access_token=token)
        assert isinstance(caught.value, MissingTokenError)
        assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_token_variable_is_a_value_error_naming_it(monkeypatch, value):
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", value)
    for make in (CommPrefs, AsyncCommPrefs):
        with pytest.raises(MissingTokenError, match="HUBSPOT_ACCESS_TOKEN is set but empty"):
            make()


@pytest.mark.parametrize("token", [0, b"", b"a-token-as-bytes"])
def test_a_token_that_is_not_a_str_is_a_type_error_even_when_falsy(token):
    with pytest.raises(TypeError, match="access_token must be a str"):
        CommPrefs(access_token=token)


def test_token_and_base_url_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("HUBSPOT_BASE_URL", "http://127.0.0.1:9/proxy/")
    recorder_client, recorder = sync_client(ok(), access_token=None)
    recorder_client.get_statuses("alice@example.com")
    request = recorder.requests[0]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert str(request.url).startswith("http://127.0.0.1:9/proxy/communication-preferences/")


def test_the_default_base_url_is_hubspots(monkeypatch):
    monkeypatch.delenv("HUBSPOT_BASE_URL", raising=False)
    client, recorder = sync_client(ok())
    client.get_statuses("alice@example.com")
    assert recorder.requests[0].url.host == "api.hubapi.com"
    assert recorder.requests[0].url.scheme == "https"


@pytest.mark.parametrize("url", ["ftp://example.com", "not a url", "https://", "https://h/?q=1"])
def test_a_bad_base_url_is_refused(url):
    with pytest.raises(ValueError, match="base_url"):
        CommPrefs(access_token=TOKEN, base_url=url)


@pytest.mark.parametrize("token", ["has space", "new\nline", "caf\u00e9"])
def test_a_token_that_cannot_be_a_header_is_refused_without_echoing_it(token):
    with pytest.raises(ValueError, match="access token") as caught:
        CommPrefs(access_token=token)
    assert token not in str(caught.value)


def test_the_token_is_not_in_repr_or_str():
    client, _ = sync_client(ok())
    assert TOKEN not in repr(client)
    assert TOKEN not in str(client)
    assert TOKEN not in repr(client._headers)


def test_an_own_http_client_is_used_and_not_closed():
    client, recorder = sync_client(ok())
    http = client._http
    with client:
        client.get_statuses("alice@example.com")
    assert not http.is_closed
    assert len(recorder.requests) == 1


def test_a_client_we_create_is_closed_with_us():
    with CommPrefs(access_token=TOKEN) as client:
        http = client._http
    assert http.is_closed


def test_http_client_of_the_wrong_kind_is_refused():
    with pytest.raises(TypeError, match=r"httpx\.Client"):
        CommPrefs(access_token=TOKEN, http_client=httpx.AsyncClient())  # type: ignore[arg-type]


def test_timeouts_default_explicitly_and_can_be_overridden():
    own = CommPrefs(access_token=TOKEN)
    assert own.timeout == DEFAULT_TIMEOUT
    assert DEFAULT_TIMEOUT.as_dict() == {"connect": 5.0, "read": 10.0, "write": 10.0, "pool": 10.0}
    client, recorder = sync_client(ok(), timeout=2.5)
    client.get_statuses("alice@example.com")
    assert recorder.requests[0].extensions["timeout"] == httpx.Timeout(2.5).as_dict()
    # With a caller's client and no timeout given, that client's own timeout applies.
    http = httpx.Client(transport=httpx.MockTransport(lambda r: ok()), timeout=7.0)
    seen = []
    http.event_hooks["request"] = [seen.append]
    CommPrefs(access_token=TOKEN, http_client=http).get_statuses("alice@example.com")
    assert seen[0].extensions["timeout"] == httpx.Timeout(7.0).as_dict()


def test_default_headers_are_sent_and_cannot_replace_the_token():
    client, recorder = sync_client(ok(), default_headers={"X-Trace": "1"})
    client.get_statuses("alice@example.com")
    headers = recorder.requests[0].headers
    assert headers["x-trace"] == "1"
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["user-agent"].startswith("hubspot-commprefs/")
    with pytest.raises(ValueError, match="Authorization"):
        CommPrefs(access_token=TOKEN, default_headers={"Authorization": "Bearer other"})


# --- the three calls ----------------------------------------------------------------------------------


def test_get_statuses_sends_the_documented_request_and_returns_typed_results():
    client, recorder = sync_client(ok(**{"X-HubSpot-RateLimit-Remaining": "188"}))
    statuses = client.get_statuses("alice@example.com")
    request = recorder.requests[0]
    assert request.method == "GET"
    assert request.url.raw_path.decode() == f"{API_VERSION_PATH}/alice%40example.com?channel=EMAIL"
    assert [s.subscription_id for s in statuses] == [1, 2, 3]
    assert statuses.is_complete
    assert statuses.rate_limit.remaining == 188
    assert statuses.by_id(2).status is SubscriptionStatus.UNSUBSCRIBED
    assert statuses.by_name("newsletter").subscription_id == 1


def test_business_unit_and_channel_are_sent():
    client, recorder = sync_client(ok())
    client.get_statuses("alice@example.com", business_unit_id=1021, channel="EMAIL")
    assert recorder.requests[0].url.params == httpx.QueryParams(
        {"channel": "EMAIL", "businessUnitId": "1021"}
    )


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"business_unit_id": "1"}, TypeError),
    ({"business_unit_id": True}, TypeError),
    ({"business_unit_id": 2**63}, ValueError),
    ({"channel": 3}, TypeError),
])  # fmt: skip
def test_bad_arguments_fail_before_any_request(kwargs, error):
    client, recorder = sync_client(ok())
    with pytest.raises(error):
        client.get_statuses("alice@example.com", **kwargs)
    assert recorder.requests == []


def test_get_unsubscribe_all_status_and_the_boolean_helper():
    body = action_body([wide_item()])
    client, recorder = sync_client(ok(body))
    wide = client.get_unsubscribe_all_status("bob@example.com", verbose=True, business_unit_id=0)
    assert recorder.requests[0].url.path.endswith("/bob@example.com/unsubscribe-all")
    assert recorder.requests[0].url.params["verbose"] == "true"
    assert wide.is_unsubscribed_from_all
    assert wide.is_portal_wide
    assert not wide.is_business_unit_wide
    assert client.is_unsubscribed_from_all("bob@example.com") is True
    assert recorder.requests[1].url.params["verbose"] == "false"


def test_not_unsubscribed_from_all_when_results_are_empty():
    client, _ = sync_client(ok(action_body([])))
    assert client.is_unsubscribed_from_all("carol@example.com") is False


def test_verbose_must_be_a_bool():
    client, _ = sync_client(ok())
    with pytest.raises(TypeError, match="verbose"):
        client.get_unsubscribe_all_status("a@example.com", verbose="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    [
        action_body([wide_item()], status="PENDING"),
        action_body([wide_item()], status="SOMETHING_NEW"),
        action_body(
            [wide_item()],
            errors=[
                {"category": "X", "context": {}, "errors": [], "links": {}, "message": "m", "status": "error"}
            ],
        ),
    ],
)
def test_an_incomplete_operation_is_never_taken_for_a_clean_answer(body):
    client, _ = sync_client(ok(body))
    wide = client.get_unsubscribe_all_status("bob@example.com")
    assert not wide.is_complete
    with pytest.raises(IncompleteResultError) as caught:
        wide.raise_if_incomplete()
    assert caught.value.result is wide
    with pytest.raises(IncompleteResultError):
        client.is_unsubscribed_from_all("bob@example.com")


def test_unknown_enum_values_and_extra_fields_never_fail_and_stay_visible():
    body = action_body(
        [status_item(status="PAUSED", channel="WHATSAPP", legalBasis="NEW_BASIS", brandNew={"a": 1})],
        status="COMPLETE",
        newTopLevel=[1, 2],
    )
    client, _ = sync_client(ok(body))
    statuses = client.get_statuses("alice@example.com")
    (item,) = statuses
    assert item.status.value == "PAUSED"
    assert not item.status.is_known
    assert item.channel.value == "WHATSAPP"
    assert item.legal_basis.value == "NEW_BASIS"
    assert item.additional_properties == {"brandNew": {"a": 1}}
    assert statuses.extra_fields == {"newTopLevel": [1, 2]}
    assert statuses.unknown_statuses == [item]
    assert statuses.subscribed == statuses.unsubscribed == []


# --- answers that are not 200 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "error", "attempts"),
    [
        (httpx.Response(400, json={"message": "bad", "category": "VALIDATION_ERROR"}), BadRequestError, 1),
        (httpx.Response(404, json={"message": "nope"}), NotFoundError, 1),
        (httpx.Response(500, json={"message": "boom"}), InternalServerError, 1),
        (httpx.Response(503, text="<html>down</html>"), InternalServerError, 3),
        (httpx.Response(429, json={"message": "slow"}), RateLimitError, 3),
        (httpx.Response(204), UnexpectedResponseError, 1),
        (httpx.Response(301, headers={"Location": "https://elsewhere.test/"}), UnexpectedResponseError, 1),
    ],
)
def test_errors_and_how_often_they_are_tried(sleeps, response, error, attempts):
    client, recorder = sync_client(response)
    with pytest.raises(error):
        client.get_statuses("alice@example.com")
    assert len(recorder.requests) == attempts
    assert len(sleeps) == attempts - 1


def test_retries_back_off_exponentially_with_jitter_and_then_succeed(sleeps):
    client, recorder = sync_client(httpx.Response(502), httpx.Response(504), ok(), max_retries=5)
    assert client.get_statuses("alice@example.com").is_complete
    assert len(recorder.requests) == 3
    first, second = sleeps
    assert INITIAL_RETRY_DELAY <= first <= INITIAL_RETRY_DELAY + RETRY_JITTER
    assert 2 * INITIAL_RETRY_DELAY <= second <= min(MAX_RETRY_DELAY, 2 * INITIAL_RETRY_DELAY + RETRY_JITTER)


def test_backoff_is_capped(sleeps):
    client, _ = sync_client(httpx.Response(503), max_retries=8)
    with pytest.raises(InternalServerError):
        client.get_statuses("alice@example.com")
    assert len(sleeps) == 8
    assert max(sleeps) == MAX_RETRY_DELAY


def test_retry_after_is_honoured(sleeps):
    limited = httpx.Response(429, json={"message": "slow"}, headers={"Retry-After": "3"})
    client, recorder = sync_client(limited, ok())
    client.get_statuses("alice@example.com")
    assert sleeps == [3.0]
    assert len(recorder.requests) == 2


def test_an_exhausted_ten_second_window_is_waited_out(sleeps):
    headers = {"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
    client, _ = sync_client(
        httpx.Response(429, json={"policyName": "TEN_SECONDLY_ROLLING"}, headers=headers), ok()
    )
    client.get_statuses("alice@example.com")
    assert sleeps == [10.0]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(429, json={"policyName": "DAILY", "message": "daily"}),
        httpx.Response(429, json={}, headers={"X-HubSpot-RateLimit-Daily-Remaining": "0"}),
        httpx.Response(429, json={}, headers={"Retry-After": "3600"}),
    ],
)
def test_waits_that_cannot_help_or_are_too_long_are_not_attempted(sleeps, response):
    client, recorder = sync_client(response)
    with pytest.raises(RateLimitError):
        client.get_statuses("alice@example.com")
    assert len(recorder.requests) == 1
    assert sleeps == []


def test_max_retries_zero_means_one_attempt(sleeps):
    client, recorder = sync_client(httpx.Response(503), max_retries=0)
    with pytest.raises(InternalServerError):
        client.get_statuses("alice@example.com")
    assert len(recorder.requests) == 1


def test_connection_errors_and_timeouts_are_typed_and_retried(sleeps):
    client, recorder = sync_client(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), ok())
    assert client.get_statuses("alice@example.com").is_complete
    assert len(recorder.requests) == 3
    client, recorder = sync_client(httpx.ConnectTimeout("slow"), max_retries=1)
    with pytest.raises(APITimeoutError) as timeout:
        client.get_statuses("alice@example.com")
    assert len(recorder.requests) == 2
    assert isinstance(timeout.value, APIConnectionError)
    assert isinstance(timeout.value.__cause__, httpx.ConnectTimeout)
    client, _ = sync_client(httpx.RemoteProtocolError("broken"), max_retries=0)
    with pytest.raises(APIConnectionError, match="RemoteProtocolError"):
        client.get_statuses("alice@example.com")


def test_a_body_that_breaks_the_spec_names_the_field():
    body = action_body([status_item(), status_item(subscriptionId="7")])
    client, _ = sync_client(ok(body))
    with pytest.raises(UnexpectedResponseError, match=r"results\[1\]\.subscriptionId: expected an integer"):
        client.get_statuses("alice@example.com")


def test_statuses_body_fixture_is_valid():
    client, _ = sync_client(ok(STATUSES_BODY))
    assert len(client.get_statuses("alice@example.com")) == 3
