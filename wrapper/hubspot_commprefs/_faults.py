"""What the fake server can be told to get wrong, to prove that clients and the conformance suite notice:
drift (a 200 body changed as HubSpot has changed its answers; ``DRIFT_FIELDS`` names the field the suite
must name), a wrong answer instead, or (network faults) the answer sent badly. Outside
``hubspot_commprefs.testing``, so that ``mock-server --help`` lists them without loading the server.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from hubspot_commprefs.schemas import INT32_MAX, INT64_MAX

if TYPE_CHECKING:
    from collections.abc import Iterable

DEFAULT_TRICKLE_INTERVAL = 2.0
MAX_TRICKLE_INTERVAL = 3600
DEFAULT_BOMB_SIZE = 2**30
MAX_BOMB_SIZE = 2**36  # 64 GiB of spaces take about two minutes to compress
DEFAULT_OVERSIZED_BODY_SIZE = 300_000_000
MAX_OVERSIZED_BODY_SIZE = 2**40


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
    # The network misbehaves: the answer is sent badly.
    TRICKLE = "trickle"
    GZIP_BOMB = "gzip-bomb"
    GZIP_BOMB_NESTED = "gzip-bomb-nested"
    OVERSIZED_BODY = "oversized-body"
    CONNECTION_RESET = "connection-reset"
    ABSURD_NUMBER_HEADER = "absurd-number-header"
    ABSURD_RETRY_AFTER = "absurd-retry-after"


# The faults that send the body badly, in the order they win when several are configured.
BODY_FAULTS = (
    Fault.CONNECTION_RESET,
    Fault.GZIP_BOMB_NESTED,
    Fault.GZIP_BOMB,
    Fault.OVERSIZED_BODY,
    Fault.TRICKLE,
)

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
    Fault.TRICKLE: "answer 200: the headers at once, then the body one byte every trickle_interval s (2)",
    Fault.GZIP_BOMB: "answer 200 with Content-Encoding gzip: about 1 MB that decodes to bomb_size (1 GiB)",
    Fault.GZIP_BOMB_NESTED: "answer 200 with Content-Encoding gzip, gzip: a few KB that decode to bomb_size",
    Fault.OVERSIZED_BODY: "answer 200 with a valid body padded to oversized_body_size bytes (300 MB), streamed",
    Fault.CONNECTION_RESET: "answer 200 with half the body, then reset the TCP connection",
    Fault.ABSURD_NUMBER_HEADER: "answer 200 with X-HubSpot-RateLimit-Max and -Remaining of 5,000 digits",
    Fault.ABSURD_RETRY_AFTER: "answer 429 with a Retry-After (and rate-limit headers) of 5,000 digits",
}


def parse_faults(names: Iterable[Fault | str]) -> tuple[Fault, ...]:
    """Faults from their names; a ValueError names an unknown one and lists the known ones."""
    given = tuple(names)
    unknown = next((name for name in given if name not in FAULT_HELP), None)
    if unknown is not None:
        raise ValueError(f"unknown fault {unknown!r}; known faults: {', '.join(FAULT_HELP)}")
    return tuple(Fault(name) for name in given)


def apply_drift(body: dict[str, Any], faults: tuple[Fault, ...]) -> dict[str, Any]:
    """The 200 body with every drift fault of ``faults`` applied (the body is changed in place)."""
    if Fault.INT32_OVERFLOW in faults:
        body["numErrors"] = INT32_MAX + 1
    for fault in faults:
        for item in body.get("results", []):
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
    return body
