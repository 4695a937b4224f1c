"""Results that must not be taken for a clean answer or a "may email": numErrors without errors, unknown
wide statuses; HubSpot's own errors in a 200 read tolerantly; null in optional fields taken as absent."""

from __future__ import annotations

import httpx
import pytest
from hubspot_commprefs import IncompleteResultError, StandardError, UnexpectedResponseError
from hubspot_commprefs.schemas import CLIENT, INT_RANGES, STRICT, ProblemKind, bundled
from hubspot_commprefs_client.types import UNSET

from tests.client_fixtures import (
    FULL_ERROR,
    action_body,
    async_client,
    ok,
    status_item,
    sync_client,
    wide_item,
)
from tests.spec_helpers import load_spec

# --- numErrors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("num_errors", [1, 3, 2**31 - 1])
def test_num_errors_without_an_errors_array_is_not_a_clean_answer(num_errors):
    client, _ = sync_client(ok(action_body([], numErrors=num_errors)))
    wide = client.get_unsubscribe_all_status("alice@example.com")
    assert wide.num_errors == num_errors
    assert not wide.is_complete
    with pytest.raises(IncompleteResultError, match=f"numErrors is {num_errors} but no errors are listed"):
        wide.raise_if_incomplete()
    with pytest.raises(IncompleteResultError):
        client.is_unsubscribed_from_all("alice@example.com")


def test_num_errors_zero_is_clean():
    client, _ = sync_client(ok(action_body([], numErrors=0)))
    assert client.get_unsubscribe_all_status("alice@example.com").is_complete


@pytest.mark.parametrize("num_errors", [2**31, -(2**31) - 1, 2**40])
def test_num_errors_outside_int32_is_named(num_errors):
    client, _ = sync_client(ok(action_body([], numErrors=num_errors)))
    with pytest.raises(UnexpectedResponseError, match="numErrors: integer out of the int32 range"):
        client.get_statuses("alice@example.com")


@pytest.mark.parametrize("reading", [CLIENT, STRICT])
def test_every_integer_format_the_spec_declares_is_range_checked(reading):
    """No hand list of int32/int64 fields: each one the spec declares is checked for its format's range."""
    declared = [
        (schema_name, name, prop["format"])
        for schema_name, schema in load_spec()["components"]["schemas"].items()
        for name, prop in schema.get("properties", {}).items()
        if prop.get("format") in INT_RANGES
    ]
    assert {fmt for _, _, fmt in declared} == {"int32", "int64"}
    for schema_name, name, fmt in declared:
        compiled = bundled().validator(schema_name, reading)
        low, high = INT_RANGES[fmt]
        for value, in_range in ((low, True), (high, True), (low - 1, False), (high + 1, False)):
            ranges = [p for p in compiled.problems({name: value}) if p.kind is ProblemKind.RANGE]
            assert ranges == ([] if in_range else [ranges[0]]), (schema_name, name, value)
            assert in_range or ranges[0].path == (name,)


# --- unknown wide statuses ------------------------------------------------------------------------------


def test_an_unknown_wide_status_is_not_a_may_email():
    client, _ = sync_client(ok(action_body([wide_item(status="OPTED_OUT")])))
    wide = client.get_unsubscribe_all_status("bob@example.com")  # the call itself never fails
    assert wide.is_complete
    assert wide.wide_statuses[0].status.value == "OPTED_OUT"
    with pytest.raises(IncompleteResultError, match="'OPTED_OUT' is unknown") as caught:
        _ = wide.is_unsubscribed_from_all
    assert caught.value.result is wide
    assert "unsubscribed_from_all=unknown portal_wide=unknown" in repr(wide)
    with pytest.raises(IncompleteResultError, match="OPTED_OUT"):
        client.is_unsubscribed_from_all("bob@example.com")


def test_no_property_says_no_next_to_an_unknown_wide_status():
    """``if not result.is_portal_wide: send()`` would have sent: each says "cannot tell" instead."""
    client, _ = sync_client(ok(action_body([wide_item(status="OPTED_OUT")])))
    wide = client.get_unsubscribe_all_status("bob@example.com")
    with pytest.raises(IncompleteResultError, match="opted out of all email portal-wide"):
        _ = wide.is_portal_wide
    assert wide.is_business_unit_wide is False  # the unknown status is a portal-wide one
    assert wide.business_unit_ids == []
    unit = ok(
        action_body([wide_item(status="PAUSED", wideStatusType="BUSINESS_UNIT_WIDE", businessUnitId=7)])
    )
    client, _ = sync_client(unit)
    wide = client.get_unsubscribe_all_status("bob@example.com")
    assert wide.is_portal_wide is False
    with pytest.raises(IncompleteResultError, match="of a business unit"):
        _ = wide.is_business_unit_wide
    with pytest.raises(IncompleteResultError, match="which business units"):
        _ = wide.business_unit_ids


def test_an_unsubscribed_status_answers_even_next_to_an_unknown_one():
    body = action_body(
        [wide_item(status="OPTED_OUT"), wide_item(wideStatusType="BUSINESS_UNIT_WIDE", businessUnitId=7)]
    )
    client, _ = sync_client(ok(body))
    assert client.is_unsubscribed_from_all("bob@example.com") is True
    assert client.get_unsubscribe_all_status("bob@example.com").business_unit_ids == [7]


async def test_an_unknown_wide_status_is_not_a_may_email_async():
    client, _ = async_client(ok(action_body([wide_item(status="PAUSED")])))
    with pytest.raises(IncompleteResultError, match="PAUSED"):
        await client.is_unsubscribed_from_all("bob@example.com")


# --- HubSpot's errors in a 200, read tolerantly ---------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "shown"),
    [
        ([{"message": "boom"}], "boom"),
        ([{**FULL_ERROR, "subCategory": "SUBSCRIPTION_NOT_FOUND", "message": "string sub"}], "string sub"),
        ([{"category": "X"}], "'category': 'X'"),
        (["just a string"], "just a string"),
        ([42], "42"),
        ([FULL_ERROR, {"message": "second", "errors": "not a list"}], "second"),
    ],
)
def test_errors_in_a_200_that_break_the_spec_are_kept_not_fatal(items, shown):
    client, _ = sync_client(ok(action_body([status_item()], errors=items)))
    statuses = client.get_statuses("alice@example.com")
    assert len(statuses) == 1
    assert not statuses.is_complete
    assert [e.raw for e in statuses.errors] == items
    assert statuses.model.to_dict()["errors"] == items  # kept for to_dict()
    assert "errors" not in statuses.extra_fields
    with pytest.raises(IncompleteResultError, match="not a clean one") as caught:
        statuses.raise_if_incomplete()
    assert shown in str(caught.value)


def test_a_string_sub_category_is_visible():
    item = {**FULL_ERROR, "subCategory": "SUBSCRIPTION_NOT_FOUND"}
    client, _ = sync_client(ok(action_body([], errors=[item])))
    (error,) = client.get_unsubscribe_all_status("alice@example.com").errors
    assert error.sub_category == "SUBSCRIPTION_NOT_FOUND"
    assert error.category == "VALIDATION_ERROR"
    assert error.id is None


def test_errors_that_match_the_spec_are_also_generated_models():
    client, _ = sync_client(ok(action_body([], errors=[FULL_ERROR])))
    result = client.get_unsubscribe_all_status("alice@example.com")
    (model,) = result.model.errors
    assert isinstance(model, StandardError)
    assert model.message == result.errors[0].message == FULL_ERROR["message"]


def test_null_errors_and_empty_errors_are_clean():
    for errors in (None, []):
        client, _ = sync_client(ok(action_body([], errors=errors)))
        assert client.get_unsubscribe_all_status("alice@example.com").is_complete


# --- null in optional fields ----------------------------------------------------------------------------


def test_null_in_optional_fields_is_taken_as_absent_and_stays_visible_raw():
    body = action_body(
        [
            status_item(
                businessUnitId=None, legalBasis=None, legalBasisExplanation=None, subscriptionName=None
            ),
            status_item(subscriptionId=2, setStatusSuccessReason=None, extra=None),
        ],
        requestedAt=None,
        links=None,
        numErrors=None,
    )
    client, _ = sync_client(ok(body))
    statuses = client.get_statuses("alice@example.com")
    first, second = statuses
    assert first.business_unit_id is UNSET
    assert first.legal_basis is UNSET
    assert first.subscription_name is UNSET
    assert second.set_status_success_reason is UNSET
    assert second.additional_properties == {"extra": None}  # an unknown field keeps its null
    assert statuses.model.requested_at is UNSET
    assert statuses.is_complete
    assert statuses.body["results"][0]["legalBasis"] is None  # the raw null
    assert statuses.by_name("nope") is None  # helpers cope with the missing name


def test_null_in_optional_wide_fields_is_taken_as_absent():
    client, _ = sync_client(ok(action_body([wide_item(businessUnitId=None)])))
    wide = client.get_unsubscribe_all_status("bob@example.com")
    assert wide.wide_statuses[0].business_unit_id is UNSET
    assert wide.is_unsubscribed_from_all


@pytest.mark.parametrize("field", ["subscriptionId", "status", "timestamp"])
def test_null_in_a_required_field_is_still_named(field):
    client, _ = sync_client(ok(action_body([status_item(**{field: None})])))
    with pytest.raises(UnexpectedResponseError, match=rf"results\[0\]\.{field}: expected .*got null"):
        client.get_statuses("alice@example.com")


# --- helper arguments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "argument"), [("by_name", 5), ("by_name", None), ("by_id", "1"), ("by_id", True)]
)
def test_lookup_helpers_refuse_the_wrong_type(method, argument):
    client, _ = sync_client(ok())
    statuses = client.get_statuses("alice@example.com")
    with pytest.raises(TypeError, match="must be"):
        getattr(statuses, method)(argument)


def test_the_raw_body_is_kept_on_the_result():
    response = httpx.Response(200, json=action_body([], errors=[{"message": "boom"}]))
    client, _ = sync_client(response)
    assert client.get_unsubscribe_all_status("alice@example.com").body["errors"] == [{"message": "boom"}]
