"""The conformance suite against servers that misbehave below HTTP: it ends, within bounds, with a verdict,
never a hang (a trickle held it forever, Ctrl-C included) nor a crash (a gzip bomb took 2.7 GB, then
MemoryError). Its check of one answer, which replay uses too, costs the same whatever the body's shape,
reports a key held twice, and takes a leap second as RFC 3339 does."""

from __future__ import annotations

import json
import time
import tracemalloc
from typing import TYPE_CHECKING

import httpx
import pytest
from hubspot_commprefs.client._recording import Recorder
from hubspot_commprefs.conformance import Exchange, Kind, Severity, SpecChecker, run_conformance
from hubspot_commprefs.conformance._schemathesis import MAX_ANSWER_BYTES
from hubspot_commprefs.schemas import MAX_PROBLEMS
from hubspot_commprefs.testing import FakeHubSpot, ReplayDriftError, load_replay

from tests.client_fixtures import action_body, status_item
from tests.spec_helpers import load_spec, operations

if TYPE_CHECKING:
    from pathlib import Path

STATUSES = operations()["getStatuses"][0]
EMPTY_OBJECTS = json.dumps(action_body([{}] * 300_000), separators=(",", ":")).encode()


def test_a_trickling_server_ends_the_run_with_no_answer_in_bounded_time() -> None:
    with FakeHubSpot(faults=["trickle"], trickle_interval=0.2) as server:
        started = time.monotonic()
        result = run_conformance(server.conformance_options(timeout=1.0, max_examples=2))
        elapsed = time.monotonic() - started
    assert result.no_answer is not None
    assert result.exit_code == 4
    assert elapsed < 60  # 5 requests of at most ~1 s each, then the verdict; unbounded, it never ended


def test_a_gzip_bomb_is_an_error_of_the_request_not_a_crash() -> None:
    with FakeHubSpot(faults=["gzip-bomb-nested"], bomb_size=200 * 2**20) as server:
        url = f"{server.base_url}{STATUSES.format(subscriberIdString='a%40b.c')}?channel=EMAIL"
        with httpx.stream("GET", url, headers={"Authorization": f"Bearer {server.token}"}, timeout=60):
            pass  # the server builds its bomb once: not the suite's memory
        tracemalloc.start()
        try:
            result = run_conformance(server.conformance_options(max_examples=2))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.exit_code == 1
    assert any(f"over the suite's limit of {MAX_ANSWER_BYTES:,} bytes" in error for error in result.errors)
    assert peak < 8 * MAX_ANSWER_BYTES


def test_the_bounded_read_replaces_schemathesis_own_only_during_a_run() -> None:
    """It patches the session class of the pinned schemathesis that its test cases, its checks' extra
    requests and its start-up probes all read through: this fails loudly if that class moves."""
    import schemathesis
    from hubspot_commprefs.conformance import RequestGuard
    from hubspot_commprefs.conformance._schemathesis import patched_schemathesis
    from schemathesis.engine.context import make_session
    from schemathesis.transport.requests import SameHostRedirectsSession

    original = SameHostRedirectsSession.send
    assert isinstance(make_session(schemathesis.Config().projects.default), SameHostRedirectsSession)
    with patched_schemathesis(RequestGuard(max_requests=1, rate=None), None, "t"):
        assert SameHostRedirectsSession.send is not original
    assert SameHostRedirectsSession.send is original


# --- one answer's check, as the suite and replay make it ------------------------------------------------


def _exchange(body: bytes) -> Exchange:
    return Exchange(STATUSES, "GET", "http://h/x", 200, "application/json", body, "test")


def _failures(body: bytes) -> list[tuple[Kind, str]]:
    findings = SpecChecker(load_spec()).check(_exchange(body))
    return [(f.kind, f.field) for f in findings if f.severity is Severity.FAILURE]


def test_300000_empty_objects_are_reported_at_once_and_in_bounds() -> None:
    started = time.monotonic()
    failures = _failures(EMPTY_OBJECTS)
    assert time.monotonic() - started < 10
    assert len(failures) == MAX_PROBLEMS
    assert failures[0] == (Kind.MISSING_FIELD, "results[0].channel")


def _text(*members: str) -> bytes:
    return ("{" + ",".join(members) + "}").encode()


_TIMES = ('"startedAt":"2026-03-18T09:20:31Z"', '"completedAt":"2026-03-18T09:20:31Z"')
_UNSUBSCRIBED = '"results":[' + json.dumps(status_item(status="UNSUBSCRIBED")) + "]"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_text('"status":"PENDING"', '"status":"COMPLETE"', *_TIMES, _UNSUBSCRIBED), "status"),
        (_text('"status":"COMPLETE"', *_TIMES, _UNSUBSCRIBED, '"results":[]'), "results"),
        (_text('"status":"COMPLETE"', *_TIMES, _UNSUBSCRIBED, '"numErrors":1', '"numErrors":0'), "numErrors"),
        (
            _text(
                '"status":"COMPLETE"',
                *_TIMES,
                _UNSUBSCRIBED.replace(
                    '"status": "UNSUBSCRIBED"', '"status": "UNSUBSCRIBED", "status": "SUBSCRIBED"'
                ),
            ),
            "results[0].status",
        ),
    ],
)
def test_a_key_held_twice_is_a_failure(body: bytes, field: str) -> None:
    assert _failures(body) == [(Kind.DUPLICATE_KEY, field)]


def test_a_leap_second_conforms() -> None:
    body = action_body(
        [status_item(timestamp="2016-12-31T23:59:60Z")], completedAt="1990-12-31T15:59:60-08:00"
    )
    assert _failures(json.dumps(body).encode()) == []


def _recording(directory: Path, body: bytes) -> Path:
    Recorder(directory).record(
        method="GET",
        path=STATUSES.replace("{subscriberIdString}", "alice%40example.com"),
        query="channel=EMAIL",
        with_token=True,
        status=200,
        headers=[("Content-Type", "application/json")],
        body=body,
        secret=None,
    )
    return directory


def test_replay_checks_a_recording_of_300000_empty_objects_in_bounds(tmp_path: Path) -> None:
    recording = _recording(tmp_path, EMPTY_OBJECTS)
    started = time.monotonic()
    with pytest.raises(ReplayDriftError) as raised:
        load_replay(recording)
    assert time.monotonic() - started < 10
    assert len(raised.value.problems) == MAX_PROBLEMS
    assert "results[0].channel: missing required field" in raised.value.problems[0]


def test_replay_refuses_a_recorded_key_held_twice_and_serves_a_leap_second(tmp_path: Path) -> None:
    twice = _text('"status":"PENDING"', '"status":"COMPLETE"', *_TIMES, _UNSUBSCRIBED)
    with pytest.raises(ReplayDriftError, match="status: key held twice in one object"):
        load_replay(_recording(tmp_path / "twice", twice))
    leap = json.dumps(action_body([status_item(timestamp="2016-12-31T23:59:60Z")])).encode()
    assert len(load_replay(_recording(tmp_path / "leap", leap))) == 1
