"""The JSON bodies the fake server sends: HubSpot's ActionResponse of both endpoints, and its error bodies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hubspot_commprefs.testing._data import Contact, Dataset, OptOut

CHANNEL = "EMAIL"
SCOPES = ("communication_preferences.read", "communication_preferences.read_write")


def _action_response(results: list[dict[str, Any]]) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "status": "COMPLETE",
        "requestedAt": now,
        "startedAt": now,
        "completedAt": now,
        "results": results,
        "links": {},
    }


def unknown_business_unit(business_unit_id: int) -> dict[str, Any]:
    """A completed operation that carries an error, as HubSpot answers for a business unit it lacks."""
    error = {
        "status": "error",
        "category": "VALIDATION_ERROR",
        "message": f"Business unit {business_unit_id} does not exist.",
        "context": {"businessUnitId": [str(business_unit_id)]},
        "errors": [
            {"message": "Unknown business unit.", "code": "INVALID_BUSINESS_UNIT", "in": "businessUnitId"}
        ],
        "links": {},
        "subCategory": {},
    }
    return _action_response([]) | {"errors": [error], "numErrors": 1}


def _opt_outs(contact: Contact | None, business_unit_id: int) -> list[OptOut]:
    opt_outs = contact.opt_outs if contact else ()
    return [
        o for o in opt_outs if o.wide_status_type == "PORTAL_WIDE" or o.business_unit_id == business_unit_id
    ]


def statuses(dataset: Dataset, subscriber: str, business_unit_id: int) -> dict[str, Any]:
    """The contact's status for every subscription type of the business unit (NOT_SPECIFIED when unset)."""
    contact = dataset.contact(subscriber)
    by_id = {s.subscription_id: s for s in contact.statuses} if contact else {}
    opt_out = next(iter(_opt_outs(contact, business_unit_id)), None)
    results = []
    for subscription_type in dataset.subscription_types_of(business_unit_id):
        item: dict[str, Any] = {
            "channel": CHANNEL,
            "subscriberIdString": subscriber,
            "subscriptionId": subscription_type.id,
            "subscriptionName": subscription_type.name,
            "businessUnitId": business_unit_id,
        }
        known = by_id.get(subscription_type.id)
        if opt_out is not None:
            item.update(
                status="UNSUBSCRIBED",
                source="Unsubscribe from all",
                timestamp=opt_out.timestamp,
                setStatusSuccessReason="UNSUBSCRIBE_FROM_ALL_OCCURRED",
            )
        elif known is None:
            item.update(status="NOT_SPECIFIED", source="Not set", timestamp=dataset.epoch)
        else:
            item.update({key: value for key, value in known.to_dict().items() if key != "subscriptionId"})
        results.append(item)
    return _action_response(results)


def _wide_item(
    subscriber: str, status: str, timestamp: str, kind: str, business_unit_id: int
) -> dict[str, Any]:
    item = {
        "channel": CHANNEL,
        "status": status,
        "subscriberIdString": subscriber,
        "timestamp": timestamp,
        "wideStatusType": kind,
    }
    return item | {"businessUnitId": business_unit_id} if kind == "BUSINESS_UNIT_WIDE" else item


def unsubscribe_all(
    dataset: Dataset, subscriber: str, business_unit_id: int, *, verbose: bool
) -> dict[str, Any]:
    """The contact's wide opt-outs that cover the business unit; empty when none (unless ``verbose``)."""
    contact = dataset.contact(subscriber)
    results = [
        _wide_item(subscriber, "UNSUBSCRIBED", o.timestamp, o.wide_status_type, o.business_unit_id)
        for o in _opt_outs(contact, business_unit_id)
    ]
    if not results and verbose:
        kind = "PORTAL_WIDE" if business_unit_id == 0 else "BUSINESS_UNIT_WIDE"
        status = "SUBSCRIBED" if contact else "NOT_SPECIFIED"
        results.append(_wide_item(subscriber, status, dataset.epoch, kind, business_unit_id))
    return _action_response(results)


def error(category: str, message: str, **fields: Any) -> dict[str, Any]:
    """HubSpot's error body; ``fields`` adds ``context``, ``errors``, ``links``."""
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **fields,
    }


def unauthenticated() -> dict[str, Any]:
    return error(
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
        "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
    )


def missing_scopes() -> dict[str, Any]:
    return error(
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call.",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": list(SCOPES)},
            }
        ],
        links={"scopes": "https://developers.hubspot.com/scopes"},
    )


def invalid_parameter(name: str, value: str | None, expected: str, code: str) -> dict[str, Any]:
    detail = f"{name} is required" if value is None else f"{name} must be {expected}"
    return error(
        "VALIDATION_ERROR",
        f"Invalid input JSON on line 1, column 1: {detail}",
        context={name: [] if value is None else [value]},
        errors=[{"message": detail, "in": name, "code": code}],
    )


def rate_limited(policy: str) -> dict[str, Any]:
    """HubSpot's real 429 body (it has no ``category``); ``policy``: TEN_SECONDLY_ROLLING or DAILY."""
    daily = policy == "DAILY"
    return {
        "status": "error",
        "message": f"You have reached your {'daily' if daily else 'ten_secondly_rolling'} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "groupName": f"publicapi:private-app-api-calls-{'daily' if daily else 'ten-secondly'}:1234",
    }


HTML_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>502 Bad Gateway</h1><p>The fake server was told to answer like a load balancer.</p></body></html>"
)
