"""The harness against software nobody here wrote: Prism, a spec-driven mock and validating proxy.

- ``prism mock -d``, which answers random bodies the spec allows, passes the conformance suite, apart from
  the findings it really earns (its own limits): it accepts any bearer token (``ignored_auth``), and it
  refuses valid int64 ``businessUnitId`` values beyond JavaScript's 2**53 (``positive_data_acceptance``).
  Every phase sends its whole budget.
- ``prism proxy`` in front of the fake server finds no violation in its answers, HubSpot's real 429, 400,
  401 and 403 included.

scripts/test installs Prism (pinned) into .tools/prism and sets HUBSPOT_COMMPREFS_PRISM; without it these
tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
from hubspot_commprefs.conformance import ConformanceOptions, Kind, console_report, run_conformance
from hubspot_commprefs.openapi import endpoints
from hubspot_commprefs.testing import FakeHubSpot, RateLimit

from tests.prism_helpers import running_prism
from tests.spec_helpers import SPEC_PATH

JS_SAFE_INTEGER = 2**53 - 1
STATUSES, WIDE = (e.path_template for e in endpoints())


def _earned(finding) -> bool:
    """A finding Prism really earns: its own limits, not a false alarm of the suite."""
    if finding.kind is not Kind.SCHEMATHESIS:
        return False
    if finding.expected == "ignored_auth":  # Prism accepts any bearer token
        return True
    if finding.expected == "positive_data_acceptance":  # a valid int64 beyond 2**53, refused by Prism
        units = parse_qs(urlsplit(finding.exchange.url).query).get("businessUnitId", [])
        return any(abs(int(unit)) > JS_SAFE_INTEGER for unit in units)
    return False


def test_a_spec_driven_mock_passes_the_suite_apart_from_what_it_earns(prism: str) -> None:
    with running_prism(prism, "mock", "-d", str(SPEC_PATH)) as base_url:
        options = ConformanceOptions(
            base_url=base_url,
            token="any-token-prism-accepts",
            subscribers=["alice@example.com", "bob@example.com"],
            business_unit_ids=[None, 1021],
            rate=None,
        )
        result = run_conformance(options)
    report = console_report(result)
    unearned = [f for f in result.findings if f.severity.value == "failure" and not _earned(f)]
    assert unearned == [], report
    assert result.errors == [], report
    assert result.no_answer is None
    assert not result.budget_exhausted
    assert result.notes == [], report
    # Prism accepts any token: a finding it earns, and one that the other findings did not hide.
    assert "ignored_auth" in {g.first.expected for g in result.failures}, report
    # One finding never hides the rest: every phase ran, on both endpoints, with its whole budget.
    phases = result.requests_by_phase
    assert set(phases) == {"examples", "coverage", "fuzzing", "targeted"}, phases
    assert phases["fuzzing"] >= 2 * options.max_examples, phases
    assert phases["targeted"] == 2 * (2 * 2 + 1) + 3
    assert result.requests_sent == sum(phases.values()) > 150
    assert {e.endpoint for e in result.exchanges} == {STATUSES, WIDE}


def _violations(answer: httpx.Response) -> list[dict]:
    raw = answer.headers.get("sl-violations")
    return json.loads(raw) if raw else []


def test_a_validating_proxy_finds_no_violation_in_the_fake_servers_answers(prism: str) -> None:
    limit = RateLimit(max_requests=8, interval_ms=60_000)
    with (
        FakeHubSpot(rate_limit=limit) as fake,
        running_prism(prism, "proxy", str(SPEC_PATH), fake.base_url) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as client,
    ):
        ok = {"Authorization": f"Bearer {fake.token}"}
        statuses = STATUSES.replace("{subscriberIdString}", "alice%40example.com")
        wide = WIDE.replace("{subscriberIdString}", "bob%40example.com")
        asks = [
            (200, statuses, {"channel": "EMAIL"}, ok, False),
            (200, wide, {"channel": "EMAIL", "verbose": "true"}, ok, False),
            (400, statuses, {"channel": "SMS"}, ok, True),
            (400, statuses, {"channel": "EMAIL", "businessUnitId": "1.5"}, ok, True),
            (400, wide, {"channel": "EMAIL", "verbose": "maybe"}, ok, True),
            (401, statuses, {"channel": "EMAIL"}, {"Authorization": "Bearer not-a-token"}, False),
            (
                403,
                statuses,
                {"channel": "EMAIL"},
                {"Authorization": f"Bearer {fake.token_without_scope}"},
                False,
            ),
        ]
        # Then spend the rest of the window: the fake server answers HubSpot's real 429.
        asks += [(200, statuses, {"channel": "EMAIL"}, ok, False)] * 3
        asks += [(429, statuses, {"channel": "EMAIL"}, ok, False)] * 2
        for status, path, params, headers, invalid_request in asks:
            answer = client.get(path, params=params, headers=headers)
            assert answer.status_code == status, (path, params, answer.text)
            violations = _violations(answer)
            on_the_answer = [v for v in violations if v["location"][0] != "request"]
            assert on_the_answer == [], (status, violations)
            # The requests made invalid on purpose are the only ones Prism flags (on the request).
            assert bool(violations) == invalid_request, (status, violations)


def test_the_validating_proxy_does_flag_a_429_against_the_old_spec(prism: str, tmp_path) -> None:
    """The proxy is not blind: with 429 left to `default` (HubSpot's Error, category required), as the spec
    was, the fake server's real 429 body is a violation."""
    import yaml

    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    for item in spec["paths"].values():
        del item["get"]["responses"]["429"]
    old = tmp_path / "spec-without-429.yaml"
    old.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with (
        FakeHubSpot(rate_limit=RateLimit(max_requests=1, interval_ms=60_000)) as fake,
        running_prism(prism, "proxy", str(old), fake.base_url) as base_url,
    ):
        url = base_url + STATUSES.replace("{subscriberIdString}", "alice%40example.com")
        headers = {"Authorization": f"Bearer {fake.token}"}
        httpx.get(url, params={"channel": "EMAIL"}, headers=headers)
        refused = httpx.get(url, params={"channel": "EMAIL"}, headers=headers)
    assert refused.status_code == 429
    assert any("category" in v["message"] for v in _violations(refused)), refused.headers
