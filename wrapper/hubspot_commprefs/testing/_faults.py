"""What the fake server can be told to get wrong, to prove that clients and the conformance suite notice.

Drift faults change the body of a 200 answer the way HubSpot has changed its answers in place before; the
others replace the answer. Each drift fault names the field it breaks (``DRIFT_FIELDS``), which is the field
the conformance suite must name when it runs against a server with that fault.
"""

from __future__ import annotations

import enum
from typing import Any

from hubspot_commprefs._schemas import INT32_MAX, INT64_MAX


class Fault(enum.StrEnum):
    # Drift: the body of a 200 answer no longer matches the spec.
    ENUM_VALUE = "enum-value"
    WRONG_TYPE = "wrong-type"
    MISSING_FIELD = "missing-field"
    BAD_DATE_TIME = "bad-date-time"
    INT32_OVERFLOW = "int32-overflow"
    INT64_OVERFLOW = "int64-overflow"
    EXTRA_FIELD = "extra-field"
    # The whole answer is wrong.
    SERVER_ERROR = "server-error"
    HTML_ERROR = "html-error"
    WRONG_CONTENT_TYPE = "wrong-content-type"
    UNDOCUMENTED_STATUS = "undocumented-status"

    @property
    def is_drift(self) -> bool:
        return self in DRIFT_FIELDS


# The field each drift fault breaks, as the conformance suite names it (``[*]``: every item of the array).
DRIFT_FIELDS: dict[Fault, str] = {
    Fault.ENUM_VALUE: "results[*].channel",  # WHATSAPP: the channel enum was EMAIL|WHATSAPP|SMS until 2025
    Fault.WRONG_TYPE: "results[*].subscriptionId",  # a string of digits instead of an integer
    Fault.MISSING_FIELD: "results[*].timestamp",  # a required field left out
    Fault.BAD_DATE_TIME: "results[*].timestamp",  # epoch milliseconds where a date-time belongs
    Fault.INT32_OVERFLOW: "numErrors",  # an int32 field beyond 2**31 - 1
    Fault.INT64_OVERFLOW: "results[*].subscriptionId",  # an int64 field beyond 2**63 - 1
    Fault.EXTRA_FIELD: "results[*].preferenceGroupId",  # a field the spec does not list (a note only)
}

FAULT_HELP: dict[Fault, str] = {
    Fault.ENUM_VALUE: "results[*].channel is WHATSAPP, a value the spec's enum lacks",
    Fault.WRONG_TYPE: "results[*].subscriptionId is a string of digits, not an integer",
    Fault.MISSING_FIELD: "results[*].timestamp, a required field, is left out",
    Fault.BAD_DATE_TIME: "results[*].timestamp is epoch milliseconds, not an RFC 3339 date-time",
    Fault.INT32_OVERFLOW: "numErrors (int32) is 2**31",
    Fault.INT64_OVERFLOW: "results[*].subscriptionId (int64) is 2**63",
    Fault.EXTRA_FIELD: "results[*] gains preferenceGroupId, a field the spec does not list",
    Fault.SERVER_ERROR: "answer 500 with a JSON error body",
    Fault.HTML_ERROR: "answer 502 with an HTML page, as a load balancer does",
    Fault.WRONG_CONTENT_TYPE: "answer 200 with the right body but Content-Type text/plain",
    Fault.UNDOCUMENTED_STATUS: "answer 202, a status the spec does not document",
}


def parse_faults(names: list[str] | tuple[str, ...]) -> tuple[Fault, ...]:
    """Faults from their names; raises ValueError naming the unknown one and listing the known ones."""
    faults = []
    for name in names:
        try:
            faults.append(Fault(name))
        except ValueError:
            known = ", ".join(f.value for f in Fault)
            raise ValueError(f"unknown fault {name!r}; known faults: {known}") from None
    return tuple(faults)


def _break_item(item: dict[str, Any], fault: Fault) -> None:
    if fault is Fault.ENUM_VALUE and "channel" in item:
        item["channel"] = "WHATSAPP"
    elif fault is Fault.WRONG_TYPE and "subscriptionId" in item:
        item["subscriptionId"] = str(item["subscriptionId"])
    elif fault is Fault.MISSING_FIELD:
        item.pop("timestamp", None)
    elif fault is Fault.BAD_DATE_TIME and "timestamp" in item:
        item["timestamp"] = "1742289242000"
    elif fault is Fault.INT64_OVERFLOW and "subscriptionId" in item:
        item["subscriptionId"] = INT64_MAX + 1
    elif fault is Fault.EXTRA_FIELD:
        item["preferenceGroupId"] = 42


def apply_drift(body: dict[str, Any], faults: tuple[Fault, ...]) -> dict[str, Any]:
    """The 200 body with every drift fault of ``faults`` applied (the body is changed in place)."""
    for fault in faults:
        if fault is Fault.INT32_OVERFLOW:
            body["numErrors"] = INT32_MAX + 1
            continue
        for item in body.get("results", []):
            _break_item(item, fault)
    return body
