"""The one reading of the spec (``hubspot_commprefs.schemas._compiled``): its date-time rule is exactly what the
generated models can read, the client's tolerances are the ones it always had, and what the client checks
is what it builds, without changing the body it keeps."""

from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from hubspot_commprefs import UnexpectedResponseError
from hubspot_commprefs.schemas._compiled import (
    CLIENT,
    CLOSED,
    STRICT,
    ProblemKind,
    bundled,
    is_date_time,
    transform,
)
from hubspot_commprefs.schemas._validation import strip_optional_nulls
from hypothesis import given
from hypothesis import strategies as st

from tests import strategies
from tests.client_fixtures import action_body, ok, status_item, sync_client

# The rule the client and the conformance suite each typed by hand before: RFC 3339's syntax, then
# whatever datetime.fromisoformat reads (upper-cased, for RFC 3339's lowercase "t" and "z").
_OLD_SYNTAX = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def _python_reads(text: str) -> bool:
    if _OLD_SYNTAX.fullmatch(text) is None:
        return False
    try:
        dt.datetime.fromisoformat(text.upper())
    except ValueError:
        return False
    return True


NEAR_DATE_TIMES = st.from_regex(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(\.[0-9]{1,12})?([Zz]|[+-][0-9]{2}:?[0-9]{2})?",
    fullmatch=True,
)


@given(text=NEAR_DATE_TIMES | strategies.DATE_TIMES | st.text(max_size=30))
def test_the_date_time_rule_is_what_the_generated_models_can_read(text: str) -> None:
    assert is_date_time(text) == _python_reads(text), text


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2026-03-18T09:14:02Z", True),
        ("2026-03-18t09:14:02.5z", True),  # RFC 3339 allows lowercase t and z
        ("2024-02-29T00:00:00+23:59", True),
        ("2025-02-29T00:00:00Z", False),  # no such day
        ("2016-12-31T23:59:60Z", False),  # a leap second: RFC 3339 has them, datetime does not
        ("0000-01-01T00:00:00Z", False),  # year 0: the same
        ("2026-03-18T09:14:02", False),  # no offset
        ("2026-03-18 09:14:02Z", False),
        ("\uff12\uff10\uff12\uff16-03-18T09:14:02Z", False),  # digits, but not ASCII ones
    ],
)
def test_date_times(text: str, valid: bool) -> None:
    assert is_date_time(text) is valid


def test_a_number_with_a_fraction_part_is_not_an_integer_for_the_client() -> None:
    client, _ = sync_client(ok(action_body([status_item(subscriptionId=1.0)])))
    with pytest.raises(
        UnexpectedResponseError, match=r"results\[0\]\.subscriptionId: expected an integer, got a number"
    ):
        client.get_statuses("alice@example.com")
    client, _ = sync_client(ok(action_body([status_item(extra=1.5)], numErrors=0)))
    assert client.get_statuses("alice@example.com").all[0].additional_properties == {"extra": 1.5}


@pytest.mark.parametrize("reading", [STRICT, CLOSED, CLIENT])
def test_a_uuid_is_checked_in_every_reading(reading) -> None:
    error = bundled().validator("Error", reading)
    body = {"category": "X", "message": "m", "correlationId": "3f1e2c4a-9b7d-4e6f-8a1b-2c3d4e5f6a7b"}
    assert error.is_valid(body)
    problems = error.telling_problems({**body, "correlationId": "not-a-uuid"})
    assert [(p.path, p.kind) for p in problems] == [(("correlationId",), ProblemKind.FORMAT)]


def test_the_readings_differ_only_by_the_tolerances() -> None:
    schemas = bundled()
    body = action_body([status_item(status="SNOOZED", legalBasis=None, extra=1)], links=None)
    assert [
        p.kind
        for p in schemas.validator("ActionResponseWithResultsPublicStatus", CLIENT).telling_problems(body)
    ] == []
    strict = schemas.validator("ActionResponseWithResultsPublicStatus", STRICT).telling_problems(body)
    assert {(p.path, p.kind) for p in strict} == {
        (("results", 0, "status"), ProblemKind.ENUM),
        (("results", 0, "legalBasis"), ProblemKind.TYPE),
        (("links",), ProblemKind.TYPE),
    }
    closed = schemas.validator("ActionResponseWithResultsPublicStatus", CLOSED).telling_problems(body)
    assert (("results", 0, "extra"), ProblemKind.EXTRA) in {(p.path, p.kind) for p in closed}


def test_the_transform_leaves_the_spec_unchanged() -> None:
    components = bundled().components
    before = repr(components)
    for reading in (STRICT, CLOSED, CLIENT):
        transform(components, reading, components["ActionResponseWithResultsPublicStatus"])
    assert repr(components) == before


def test_stripping_nulls_copies_only_what_holds_one() -> None:
    untouched = status_item(subscriptionId=2)
    body = action_body([status_item(legalBasis=None, extra=None), untouched], links=None)
    stripped = strip_optional_nulls("ActionResponseWithResultsPublicStatus", body)
    assert "links" not in stripped
    assert "legalBasis" not in stripped["results"][0]
    assert stripped["results"][0]["extra"] is None  # not a field of the spec: kept as it came
    assert stripped["results"][1] is untouched
    assert body["links"] is None  # the body itself is never changed
    assert body["results"][0]["legalBasis"] is None
    clean = action_body([untouched])
    assert strip_optional_nulls("ActionResponseWithResultsPublicStatus", clean) is clean


def test_every_thread_sees_the_one_model_of_a_result() -> None:
    client, _ = sync_client(ok(action_body([status_item(subscriptionId=i) for i in range(50)])))
    result = client.get_statuses("alice@example.com")
    barrier = threading.Barrier(8)

    def model(_: int) -> object:
        barrier.wait()
        return result.model

    with ThreadPoolExecutor(8) as pool:
        models = list(pool.map(model, range(8)))
    assert all(m is models[0] for m in models)
    assert [s.subscription_id for s in result] == list(range(50))
