"""Results as sequences (index, slice, ``len``, iterate) and ``to_dict()``: HubSpot's body as received."""

from __future__ import annotations

import json
from collections.abc import Sequence

import httpx
import pytest
from hubspot_commprefs import SubscriptionStatuses, UnsubscribeAllStatus
from hubspot_commprefs.client._results import RateLimitInfo
from hypothesis import given
from hypothesis import strategies as st

from tests import strategies
from tests.client_fixtures import STATUSES_BODY, action_body, ok, status_item, sync_client, wide_item

slices = st.builds(
    slice,
    st.none() | st.integers(-6, 6),
    st.none() | st.integers(-6, 6),
    st.none() | st.integers(-3, 3).filter(bool),
)


def _statuses(body=None) -> SubscriptionStatuses:
    client, _ = sync_client(ok(body))
    return client.get_statuses("alice@example.com")


def _wide(body) -> UnsubscribeAllStatus:
    client, _ = sync_client(ok(body))
    return client.get_unsubscribe_all_status("bob@example.com")


def test_statuses_index_and_slice_like_a_list():
    statuses = _statuses()
    names = ["Newsletter", "Product updates", "Events"]
    assert isinstance(statuses, Sequence)
    assert len(statuses) == 3
    assert statuses[0].subscription_name == "Newsletter"
    assert statuses[-1].subscription_name == "Events"
    assert [s.subscription_name for s in statuses[1:]] == names[1:]
    assert isinstance(statuses[1:], list)
    assert statuses[::-1] == list(reversed(statuses))
    assert statuses[1] in statuses
    assert statuses.index(statuses[2]) == 2


def test_wide_statuses_index_and_slice_like_a_list():
    wide = _wide(action_body([wide_item(), wide_item(wideStatusType="BUSINESS_UNIT_WIDE", businessUnitId=7)]))
    assert isinstance(wide, Sequence)
    assert wide[1].business_unit_id == 7
    assert wide[-2].wide_status_type.value == "PORTAL_WIDE"
    assert wide[:1] == [wide[0]]
    assert _wide(action_body([]))[:] == []


@given(
    body=strategies.component("ActionResponseWithResultsPublicStatus"), where=slices, at=st.integers(-8, 8)
)
def test_indexing_agrees_with_the_list_of_results(body, where, at):
    statuses = _statuses(body)
    items = list(statuses)
    assert statuses[where] == items[where]
    if -len(items) <= at < len(items):
        assert statuses[at] is items[at]
    else:
        with pytest.raises(IndexError, match=f"SubscriptionStatuses index {at} is out of range"):
            statuses[at]


@pytest.mark.parametrize("index", ["0", 1.0, True, None, (0,)])
def test_a_bad_index_is_a_type_error_naming_the_result(index):
    with pytest.raises(TypeError, match="SubscriptionStatuses indices must be integers or slices, not"):
        _statuses()[index]
    with pytest.raises(TypeError, match="UnsubscribeAllStatus indices must be"):
        _wide(action_body([wide_item()]))[index]


def test_an_index_out_of_range_says_how_many_results_there_are():
    with pytest.raises(IndexError, match=r"index 3 is out of range \(3 results\)"):
        _statuses()[3]
    with pytest.raises(IndexError, match=r"UnsubscribeAllStatus index 0 is out of range \(0 results\)"):
        _wide(action_body([]))[0]


# --- to_dict ----------------------------------------------------------------------------------------------


def test_to_dict_is_the_body_as_received():
    """Key order, the timestamps' spelling, nulls and unknown fields: as the server sent them (the model's
    own ``to_dict()`` rewrites timestamps and drops nulls)."""
    raw = (
        b'{"results": [{"subscriptionId": 2, "timestamp": "2026-03-12t14:02:11.5z", "status": "OPTED_OUT",'
        b' "subscriberIdString": "alice@example.com", "channel": "EMAIL", "source": "s",'
        b' "subscriptionName": "N", "legalBasis": null, "brandNew": {"x": [1]}}],'
        b' "status": "COMPLETE", "startedAt": "2026-03-18T09:20:31Z", "completedAt": "2026-03-18T09:20:31.051Z",'
        b' "topLevelExtra": 1}'
    )
    client, _ = sync_client(httpx.Response(200, content=raw, headers={"Content-Type": "application/json"}))
    statuses = client.get_statuses("alice@example.com")
    as_dict = statuses.to_dict()
    assert as_dict == json.loads(raw)
    assert json.dumps(as_dict).encode() == json.dumps(json.loads(raw)).encode()  # same key order
    assert as_dict["results"][0]["timestamp"] == "2026-03-12t14:02:11.5z"
    assert as_dict["results"][0]["legalBasis"] is None
    assert statuses.model.to_dict()["results"][0]["timestamp"] != "2026-03-12t14:02:11.5z"


def test_to_dict_gives_a_new_dict_each_time():
    statuses = _statuses()
    first = statuses.to_dict()
    first["results"][0]["status"] = "changed"
    first["status"] = "changed"
    assert statuses.to_dict() == STATUSES_BODY
    assert statuses.body == STATUSES_BODY


@given(
    body=strategies.component(
        "ActionResponseWithResultsPublicWideStatus", extra_fields=True, unknown_enums=True
    )
)
def test_to_dict_of_any_wide_body_is_that_body(body):
    assert _wide(body).to_dict() == body


def test_a_result_built_from_a_model_alone_gives_the_models_dict():
    model = _statuses(action_body([status_item()])).model
    result = SubscriptionStatuses(model, rate_limit=RateLimitInfo.from_headers({}), headers=httpx.Headers())
    assert result.to_dict() == model.to_dict()
