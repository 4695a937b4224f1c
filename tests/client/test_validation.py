"""Typed results and body validation: every body the spec allows (with unknown enum values and extra
fields) parses; a body it does not allow is an UnexpectedResponseError naming the field and the problem;
a body that holds a key twice in one object is a DuplicateKeyError naming the key and where it is."""

from __future__ import annotations

import json

import httpx
import pytest
from hubspot_commprefs import DuplicateKeyError, IncompleteResultError, UnexpectedResponseError
from hypothesis import given
from hypothesis import strategies as st

from tests import strategies
from tests.client_fixtures import (
    FULL_ERROR,
    TOKEN,
    action_body,
    async_client,
    ok,
    status_item,
    sync_client,
    wide_item,
)
from tests.spec_helpers import load_spec

STATUSES = "ActionResponseWithResultsPublicStatus"
WIDE = "ActionResponseWithResultsPublicWideStatus"
PUBLIC_STATUS_FIELDS = frozenset(load_spec()["components"]["schemas"]["PublicStatus"]["properties"])


@given(body=strategies.component(STATUSES, extra_fields=True, unknown_enums=True))
def test_every_body_the_spec_allows_parses_and_keeps_raw_values(body):
    client, _ = sync_client(ok(body))
    statuses = client.get_statuses("alice@example.com")
    assert len(statuses) == len(body["results"])
    for parsed, raw in zip(statuses, body["results"], strict=True):
        assert parsed.status.value == raw["status"]
        assert parsed.subscription_id == raw["subscriptionId"]
        assert parsed.additional_properties == {k: v for k, v in raw.items() if k not in PUBLIC_STATUS_FIELDS}
    assert statuses.status.value == body["status"]
    assert statuses.is_complete == (
        body["status"] == "COMPLETE" and not body.get("errors") and not body.get("numErrors")
    )


@given(body=strategies.component(WIDE, extra_fields=True, unknown_enums=True))
def test_every_wide_body_the_spec_allows_parses(body):
    client, _ = sync_client(ok(body))
    wide = client.get_unsubscribe_all_status("alice@example.com")
    statuses = [r["status"] for r in body["results"]]
    if "UNSUBSCRIBED" in statuses:
        assert wide.is_unsubscribed_from_all is True
    elif set(statuses) <= {"SUBSCRIBED", "NOT_SPECIFIED"}:
        assert wide.is_unsubscribed_from_all is False
    else:  # a status this client does not know: no yes or no
        with pytest.raises(IncompleteResultError, match="unknown"):
            _ = wide.is_unsubscribed_from_all


BREAKAGES = [
    (
        lambda b: b["results"][0].pop("subscriptionId"),
        "results[0].subscriptionId",
        "required field is missing",
    ),
    (
        lambda b: b["results"][0].update(subscriptionId="12"),
        "results[0].subscriptionId",
        "expected an integer",
    ),
    (lambda b: b["results"][0].update(subscriptionId=True), "results[0].subscriptionId", "got a boolean"),
    (lambda b: b["results"][0].update(subscriptionId=2**63), "results[0].subscriptionId", "int64"),
    (lambda b: b["results"][0].update(timestamp="yesterday"), "results[0].timestamp", "RFC 3339"),
    (lambda b: b["results"][0].update(timestamp="2026-13-45T00:00:00Z"), "results[0].timestamp", "date-time"),
    (lambda b: b["results"][0].update(status=3), "results[0].status", "expected a string"),
    (lambda b: b.update(results={}), "results", "expected an array"),
    (lambda b: b.pop("completedAt"), "completedAt", "required field is missing"),
    (lambda b: b.update(links={"self": 1}), "links.self", "expected a string"),
    (lambda b: b.update(numErrors=1.5), "numErrors", "expected an integer"),
    (lambda b: b.update(errors={"message": "m"}), "errors", "expected an array"),
    (lambda b: b.update(numErrors=2**31), "numErrors", "int32"),
    (lambda b: b.update(numErrors=-(2**31) - 1), "numErrors", "int32"),
]


@pytest.mark.parametrize(("breakage", "path", "problem"), BREAKAGES)
def test_a_body_the_spec_does_not_allow_names_the_field(breakage, path, problem):
    body = action_body([status_item()])
    breakage(body)
    client, _ = sync_client(ok(body))
    with pytest.raises(UnexpectedResponseError, match="spec does not allow") as caught:
        client.get_statuses("alice@example.com")
    assert f"{path}: " in str(caught.value)
    assert problem in str(caught.value)
    assert caught.value.status_code == 200


@pytest.mark.parametrize(
    "content", [b"[]", b"null", b"42", b'"x"', b"{", b"<html>ok</html>", b"\xff\xfe\x00", b""]
)
def test_a_body_that_is_not_an_object_or_not_json(content):
    client, _ = sync_client(httpx.Response(200, content=content))
    with pytest.raises(UnexpectedResponseError):
        client.get_statuses("alice@example.com")


@given(
    body=strategies.component(STATUSES),
    field=st.sampled_from(
        ["channel", "source", "status", "subscriberIdString", "subscriptionId", "timestamp"]
    ),
    wrong=st.none() | st.booleans() | st.lists(st.integers(), max_size=1) | st.just({}),
)
def test_any_required_field_removed_or_of_a_wrong_type_is_named(body, field, wrong):
    body["results"] = [*body["results"], status_item()]
    last = len(body["results"]) - 1
    body["results"][last][field] = wrong
    client, _ = sync_client(httpx.Response(200, content=json.dumps(body).encode()))
    with pytest.raises(UnexpectedResponseError, match=rf"results\[{last}\]\.{field}: expected"):
        client.get_statuses("alice@example.com")


def test_helpers_of_subscription_statuses():
    body = action_body(
        [
            status_item(subscriptionId=1, subscriptionName="Newsletter", status="SUBSCRIBED"),
            status_item(subscriptionId=2, subscriptionName="Ads", status="UNSUBSCRIBED"),
            status_item(subscriptionId=3, subscriptionName="ads", status="NOT_SPECIFIED"),
            status_item(subscriptionId=4, status="SNOOZED"),
        ]
    )
    client, _ = sync_client(ok(body))
    statuses = client.get_statuses("alice@example.com")
    assert [s.subscription_id for s in statuses.subscribed] == [1]
    assert [s.subscription_id for s in statuses.unsubscribed] == [2]
    assert [s.subscription_id for s in statuses.not_specified] == [3]
    assert [s.subscription_id for s in statuses.unknown_statuses] == [4]
    assert statuses.by_name("ads").subscription_id == 3  # an exact match wins
    assert statuses.by_name("ADS").subscription_id == 2  # then the first ignoring case
    assert statuses.by_name("missing") is None
    assert statuses.by_id(4).status.value == "SNOOZED"
    assert statuses.by_id(99) is None
    assert len(statuses.all) == 4
    assert "subscriptions=4" in repr(statuses)
    assert statuses.raise_if_incomplete() is statuses


def test_helpers_of_the_wide_status():
    body = action_body(
        [
            wide_item(wideStatusType="BUSINESS_UNIT_WIDE", businessUnitId=7),
            wide_item(wideStatusType="BUSINESS_UNIT_WIDE", businessUnitId=8, status="SUBSCRIBED"),
        ]
    )
    client, _ = sync_client(ok(body))
    wide = client.get_unsubscribe_all_status("bob@example.com", verbose=True)
    assert wide.is_unsubscribed_from_all
    assert wide.is_business_unit_wide
    assert not wide.is_portal_wide
    assert wide.business_unit_ids == [7]
    assert wide.for_business_unit(8).status.value == "SUBSCRIBED"
    assert wide.for_business_unit(9) is None
    assert len(wide.wide_statuses) == 2


def test_errors_in_a_200_are_visible_and_raise_on_request():
    error = FULL_ERROR
    client, _ = sync_client(ok(action_body([status_item()], errors=[error], numErrors=1)))
    statuses = client.get_statuses("alice@example.com")
    assert statuses.status.value == "COMPLETE"
    assert not statuses.is_complete
    assert statuses.errors[0].message == "one subscription could not be read"
    with pytest.raises(IncompleteResultError, match="one subscription could not be read"):
        statuses.raise_if_incomplete()


# --- a key held twice -------------------------------------------------------------------------------------


def _text(*members: str) -> str:
    """An answer's text from its members as written (so that a key may come twice)."""
    return "{" + ",".join(members) + "}"


_TIMES = ('"startedAt":"2026-03-18T09:20:31Z"', '"completedAt":"2026-03-18T09:20:31Z"')
_UNSUBSCRIBED = '"results":[' + json.dumps(status_item(status="UNSUBSCRIBED")) + "]"
_TWICE = '"status": "UNSUBSCRIBED", "st\\u0061tus": "SUBSCRIBED"'  # the same key, spelt otherwise
REPEATED_KEYS = [  # each would read as "not unsubscribed" were the last key taken
    (_text('"status":"PENDING"', '"status":"COMPLETE"', *_TIMES, _UNSUBSCRIBED), "status", "status"),
    (_text('"status":"COMPLETE"', *_TIMES, _UNSUBSCRIBED, '"results":[]'), "results", "results"),
    (
        _text('"status":"COMPLETE"', *_TIMES, _UNSUBSCRIBED, '"numErrors":1', '"numErrors":0'),
        "numErrors",
        "numErrors",
    ),
    (
        _text('"status":"COMPLETE"', *_TIMES, _UNSUBSCRIBED.replace('"status": "UNSUBSCRIBED"', _TWICE)),
        "status",
        "results[0].status",
    ),
]


@pytest.mark.parametrize(("content", "key", "path"), REPEATED_KEYS)
def test_a_key_held_twice_is_a_duplicate_key_error(content: str, key: str, path: str) -> None:
    client, _ = sync_client(httpx.Response(200, content=content.encode()))
    with pytest.raises(DuplicateKeyError) as raised:
        client.get_statuses("alice@example.com")
    error = raised.value
    assert isinstance(error, UnexpectedResponseError)
    assert (error.key, error.path, error.status_code) == (key, path, 200)
    assert error.content == content.encode()
    assert f"holds a key twice in one object, {path}:" in str(error)


@pytest.mark.parametrize(("content", "key", "path"), REPEATED_KEYS[:1])
async def test_a_key_held_twice_is_a_duplicate_key_error_async(content: str, key: str, path: str) -> None:
    client, _ = async_client(httpx.Response(200, content=content.encode()))
    with pytest.raises(DuplicateKeyError, match=path):
        await client.get_unsubscribe_all_status("alice@example.com")


def test_a_repeated_key_never_shows_the_token() -> None:
    key = f"x{TOKEN}"
    content = json.dumps(action_body([status_item()])).encode()[:-1] + f',"{key}":1,"{key}":2}}'.encode()
    client, _ = sync_client(httpx.Response(200, content=content))
    with pytest.raises(DuplicateKeyError) as raised:
        client.get_statuses("alice@example.com")
    assert TOKEN not in str(raised.value)
    assert TOKEN not in raised.value.key
    assert TOKEN not in raised.value.path
