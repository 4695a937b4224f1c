"""The conformance suite against servers that misbehave below HTTP: it ends, within bounds, with a verdict,
never a hang (a trickle held it forever, Ctrl-C included) nor a crash (a gzip bomb took 2.7 GB, then
MemoryError)."""

from __future__ import annotations

import time
import tracemalloc

import httpx
from hubspot_commprefs.conformance import run_conformance
from hubspot_commprefs.conformance._bounded import MAX_ANSWER_BYTES
from hubspot_commprefs.testing import FakeHubSpot
from schemathesis.transport import requests as schemathesis_requests

from tests.spec_helpers import operations

STATUSES = operations()["getStatuses"][0]


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
    """It patches a private function of the pinned schemathesis: this fails loudly if that function moves."""
    from hubspot_commprefs.conformance._bounded import _bounded_request, bounded_schemathesis_reads
    from schemathesis.engine import context

    original, sessions = schemathesis_requests._request, context.make_session
    with bounded_schemathesis_reads():
        assert schemathesis_requests._request is _bounded_request
        assert context.make_session is not sessions
    assert schemathesis_requests._request is original
    assert context.make_session is sessions
