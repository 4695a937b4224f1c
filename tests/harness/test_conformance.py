"""The conformance suite: it passes against the faithful fake server, fails naming the field for each drift
fault, sends only GET requests within its budget, and never shows the token."""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hubspot_commprefs import conformance
from hubspot_commprefs.cli import main
from hubspot_commprefs.conformance import (
    ConformanceOptions,
    Exchange,
    Kind,
    RequestBudgetExhaustedError,
    RequestGuard,
    Severity,
    UnsafeRequestError,
    console_report,
    run_conformance,
    write_reports,
)
from hubspot_commprefs.conformance._checks import SpecChecker
from hubspot_commprefs.conformance._runner import plan
from hubspot_commprefs.openapi import endpoints, load_spec
from hubspot_commprefs.testing import DRIFT_FIELDS, FakeHubSpot, Fault, RateLimit

SUBSCRIBERS = ("alice@example.com", "bob@example.com", "nobody@example.com")
STATUSES, WIDE = (e.path_template for e in endpoints())
# Small runs: the coverage phase is complete whatever --max-examples says; fuzzing needs few examples here.
FAST = {"max_examples": 3, "rate": None, "subscribers": SUBSCRIBERS}


@pytest.fixture(scope="module")
def server():
    with FakeHubSpot(rate_limit=RateLimit(max_requests=100_000)) as running:
        yield running


def _run(server: FakeHubSpot, faults: list[Fault | str] | tuple = (), **options):
    server.configure(faults=faults)
    merged = {**FAST, "business_unit_ids": (None, 1021), **options}
    try:
        return run_conformance(ConformanceOptions(base_url=server.base_url, token=server.token, **merged))
    finally:
        server.configure(faults=())


def test_the_faithful_server_conforms_and_sees_only_get(server: FakeHubSpot) -> None:
    before = len(server.requests)
    result = _run(server, max_examples=20)
    report = console_report(result)
    assert result.exit_code == 0, report
    assert result.failures == []
    assert "PASS" in report
    seen = server.requests[before:]
    assert {r.method for r in seen} == {"GET"}
    # Everything the suite sent went through its guard; schemathesis' start-up probes add at most 2 more.
    assert result.requests_sent <= len(seen) <= result.requests_sent + 2
    assert set(result.requests_by("source")) == {"examples", "coverage", "fuzzing", "targeted"}
    assert sum(result.requests_by_phase.values()) == result.requests_sent
    # The spec declares HubSpot's real error bodies (their `status` too): no note either.
    assert result.notes == [], report


@pytest.mark.parametrize("fault", [f for f in DRIFT_FIELDS if f is not Fault.EXTRA_FIELD])
def test_each_drift_fault_fails_naming_its_field(server: FakeHubSpot, fault: Fault) -> None:
    result = _run(server, [fault])
    assert result.exit_code == 1
    named = {g.first.field_pattern for g in result.failures}
    assert DRIFT_FIELDS[fault] in named, console_report(result)
    assert DRIFT_FIELDS[fault] in console_report(result)


def test_an_extra_field_is_a_note_not_a_failure(server: FakeHubSpot) -> None:
    result = _run(server, [Fault.EXTRA_FIELD])
    assert result.exit_code == 0, console_report(result)
    assert DRIFT_FIELDS[Fault.EXTRA_FIELD] in {g.first.field_pattern for g in result.notes}


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault.SERVER_ERROR, Kind.SERVER_ERROR),
        (Fault.HTML_ERROR, Kind.CONTENT_TYPE),
        (Fault.WRONG_CONTENT_TYPE, Kind.CONTENT_TYPE),
        (Fault.UNDOCUMENTED_STATUS, Kind.UNDOCUMENTED_STATUS),
    ],
)
def test_outages_fail(server: FakeHubSpot, fault: Fault, kind: Kind) -> None:
    result = _run(server, [fault])
    assert result.exit_code == 1
    assert kind in {g.first.kind for g in result.failures}, console_report(result)


def test_the_report_counts_kinds_of_failure_names_fields_and_says_each_thing_once(server, tmp_path) -> None:
    drift = _run(server, [Fault.ENUM_VALUE, Fault.INT32_OVERFLOW, Fault.BAD_DATE_TIME])
    report = console_report(drift)
    # The same three drifts on both endpoints: three kinds, not six.
    assert "FAIL: 3 kinds of failure on 2 endpoints (6 findings).  Exit code 1." in report
    assert "FAIL  enum value the spec lacks: results[*].channel  (" in report
    write_reports(drift, tmp_path)
    summary = json.loads((tmp_path / "conformance-summary.json").read_text(encoding="utf-8"))
    assert summary["notes"] == []
    assert summary["counts"]["failures"] == 6
    assert summary["counts"]["failure_kinds"] == 3
    outage = console_report(_run(server, [Fault.SERVER_ERROR]))
    assert "came back:  status 500  (examples)" in outage
    assert "came back:  status 500  (targeted)" in outage
    assert "status 500  (status 500" not in outage  # the status is said once


def test_the_budget_bounds_the_run(server: FakeHubSpot) -> None:
    before = len(server.requests)
    result = _run(server, max_requests=15)
    assert result.requests_sent <= 15
    assert len(server.requests) - before <= 15 + 2
    assert result.budget_exhausted
    assert result.exit_code == 1
    assert "budget of 15 requests" in console_report(result)


def test_the_token_never_appears_in_output_or_reports(tmp_path, capsys, monkeypatch) -> None:
    token = "pat-na1-RECOGNISABLE-0123456789"
    with FakeHubSpot(tokens={token: ["communication_preferences.read"]}) as fake:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", token)
        fake.configure(faults=["enum-value"])  # failures print curl commands: they must not carry it
        code = main(
            ["conformance", "--base-url", fake.base_url, "--subscriber", "alice@example.com", "--rate", "0",
             "--max-examples", "3", "--report-dir", str(tmp_path)]
        )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    assert "Bearer $HUBSPOT_ACCESS_TOKEN" in captured.out
    files = list(tmp_path.iterdir())
    assert {f.name for f in files} == {"conformance-junit.xml", "conformance-summary.json"}
    for text in [captured.out, captured.err, *(f.read_text(encoding="utf-8") for f in files)]:
        assert token not in text
        assert "RECOGNISABLE" not in text


def test_reports_are_well_formed(server: FakeHubSpot, tmp_path) -> None:
    result = _run(server, [Fault.INT64_OVERFLOW])
    write_reports(result, tmp_path)
    summary = json.loads((tmp_path / "conformance-summary.json").read_text(encoding="utf-8"))
    assert summary["result"] == "fail"
    assert summary["exit_code"] == 1
    assert summary["requests"]["methods"] == ["GET"]
    failure = next(f for f in summary["failures"] if f["field"] == "results[*].subscriptionId")
    assert failure["came_back"] == str(2**63)
    assert failure["curl"].endswith('-H "Authorization: Bearer $HUBSPOT_ACCESS_TOKEN"')
    suites = ET.fromstring((tmp_path / "conformance-junit.xml").read_text(encoding="utf-8"))
    assert int(suites.get("failures")) >= 1
    names = {case.get("name") for case in suites.iter("testcase")}
    assert "date-time and int32/int64 formats" in names


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: tmp / "a-file", "it is a file, not a directory"),
        (lambda tmp: tmp / "a-file" / "reports", "Not a directory"),
    ],
)
def test_a_report_dir_that_cannot_be_written_is_refused_before_any_request(
    make, reason: str, tmp_path, capsys, monkeypatch
) -> None:
    (tmp_path / "a-file").write_text("not a directory", encoding="utf-8")
    report_dir = str(make(tmp_path))
    with FakeHubSpot() as fake:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", fake.token)
        code = main(["conformance", "--base-url", fake.base_url, "--rate", "0", "--report-dir", report_dir])
        assert fake.requests == []
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""  # no run, so no "PASS ... Exit code 0." before the error
    assert f"--report-dir: cannot write reports to {report_dir!r}: {reason}" in captured.err
    assert main(["conformance", "--report-dir", report_dir]) == 2  # against the bundled server too
    with pytest.raises(conformance.ReportDirError, match="cannot write reports to"):
        write_reports(_run_nothing(), report_dir)


def _run_nothing() -> conformance.ConformanceResult:
    options = ConformanceOptions(base_url="http://127.0.0.1:9", token="t")
    return conformance.ConformanceResult(options=options, spec_version="x", endpoints=[])


def test_the_report_dir_is_created_when_missing(tmp_path) -> None:
    paths = write_reports(_run_nothing(), tmp_path / "new" / "reports")
    assert [p.name for p in paths] == ["conformance-junit.xml", "conformance-summary.json"]
    assert sorted(p.name for p in (tmp_path / "new" / "reports").iterdir()) == [  # no write-check file left
        "conformance-junit.xml",
        "conformance-summary.json",
    ]


def _exchange(status: int, body: object, *, content_type: str = "application/json", endpoint: str = STATUSES):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(endpoint, "GET", "http://h/x", status, content_type, raw, "test")


def _ok_body(**changes: object) -> dict:
    item = {
        "channel": "EMAIL",
        "source": "API",
        "status": "SUBSCRIBED",
        "subscriberIdString": "a@example.com",
        "subscriptionId": 1,
        "timestamp": "2026-03-18t09:14:02.5z",  # RFC 3339 allows lowercase t and z
    }
    item.update(changes)
    return {
        "status": "COMPLETE",
        "startedAt": "2026-03-18T09:14:02Z",
        "completedAt": "2026-03-18T09:14:02+01:00",
        "results": [item],
    }


@pytest.mark.parametrize(
    ("change", "kind", "field"),
    [
        ({}, None, None),
        ({"subscriptionId": 2**63}, Kind.INTEGER_RANGE, "results[0].subscriptionId"),
        ({"subscriptionId": -(2**63)}, None, None),
        ({"subscriptionId": 1.5}, Kind.WRONG_TYPE, "results[0].subscriptionId"),
        ({"timestamp": "2026-03-18"}, Kind.WRONG_FORMAT, "results[0].timestamp"),
        ({"timestamp": "2026-02-30T00:00:00Z"}, Kind.WRONG_FORMAT, "results[0].timestamp"),
        ({"timestamp": "2026-03-18T09:14:02"}, Kind.WRONG_FORMAT, "results[0].timestamp"),
        ({"status": "OPTED_OUT"}, Kind.ENUM_VALUE, "results[0].status"),
    ],
)
def test_body_checks_name_kind_and_field(change: dict, kind: Kind | None, field: str | None) -> None:
    findings = [
        f
        for f in SpecChecker(load_spec()).check(_exchange(200, _ok_body(**change)))
        if f.severity is Severity.FAILURE
    ]
    if kind is None:
        assert findings == []
    else:
        assert [(f.kind, f.field) for f in findings] == [(kind, field)]


def test_a_missing_required_field_is_named() -> None:
    body = _ok_body()
    del body["results"][0]["source"]
    del body["completedAt"]
    findings = SpecChecker(load_spec()).check(_exchange(200, body))
    assert {(f.kind, f.field) for f in findings} == {
        (Kind.MISSING_FIELD, "results[0].source"),
        (Kind.MISSING_FIELD, "completedAt"),
    }


def test_hubspots_real_429_body_is_not_a_failure() -> None:
    body = {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": "3f1e2c4a-9b7d-4e6f-8a1b-2c3d4e5f6a7b",
        "policyName": "TEN_SECONDLY_ROLLING",
        "groupName": "publicapi:private-app-api-calls-ten-secondly:1234",
    }
    checker = SpecChecker(load_spec())
    # The spec declares it, with its own schema: nothing to say, not even a note.
    assert checker.check(_exchange(429, body, content_type="application/json;charset=utf-8")) == []
    # The same body as a 400 lacks the Error's documented `category`: HubSpot's guide says every field of
    # an error body is optional, so a note, not a failure.
    findings = checker.check(_exchange(400, body))
    assert [f for f in findings if f.severity is Severity.FAILURE] == []
    assert (Kind.ERROR_FIELD_ABSENT, "category") in {(f.kind, f.field) for f in findings}


def test_an_error_body_with_a_wrong_type_still_fails() -> None:
    body = {"category": "X", "message": 5, "correlationId": "not-a-uuid"}
    findings = SpecChecker(load_spec()).check(_exchange(400, body))
    assert {(f.kind, f.field) for f in findings} == {
        (Kind.WRONG_TYPE, "message"),
        (Kind.WRONG_FORMAT, "correlationId"),
    }


def test_statuses_and_content_types() -> None:
    checker = SpecChecker(load_spec())
    assert {f.kind for f in checker.check(_exchange(302, b""))} == {Kind.UNDOCUMENTED_STATUS}
    assert {f.kind for f in checker.check(_exchange(503, {"message": "down"}))} == {
        Kind.SERVER_ERROR,
        Kind.ERROR_FIELD_ABSENT,
    }
    assert {f.kind for f in checker.check(_exchange(200, b"<html>", content_type="text/html"))} == {
        Kind.CONTENT_TYPE
    }
    assert {f.kind for f in checker.check(_exchange(200, b"{oops"))} == {Kind.NOT_JSON}


def test_the_guard_refuses_other_methods_and_overspending() -> None:
    guard = RequestGuard(max_requests=2, rate=None)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        with pytest.raises(UnsafeRequestError):
            guard.admit(method)
    guard.admit("GET")
    guard.admit("get")
    with pytest.raises(RequestBudgetExhaustedError):
        guard.admit("GET")
    assert (guard.sent, guard.refused) == (2, 5)


def test_the_guard_paces_requests() -> None:
    import time

    guard = RequestGuard(max_requests=10, rate=20.0)
    started = time.monotonic()
    for _ in range(4):
        guard.admit("GET")
    assert time.monotonic() - started >= 3 / 20 - 0.01  # a lower bound: sleeping never ends early


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["conformance", "--base-url", "http://127.0.0.1:9"], "HUBSPOT_ACCESS_TOKEN"),
        (["conformance", "--base-url", "http://127.0.0.1:9", "--fault", "enum-value"], "--fault"),
        (["conformance", "--max-examples", "0"], "--max-examples"),
        (["conformance", "--rate", "-1"], "--rate"),
        (["conformance", "--rate", "nan"], "--rate"),
        (["conformance", "--timeout", "nan"], "--timeout"),
        (["conformance", "--timeout", "inf"], "--timeout"),
        (["conformance", "--base-url", ""], "argument --base-url: the base URL is empty"),
        (["conformance", "--fault", "nope"], "unknown fault"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys, monkeypatch) -> None:
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    try:
        code = main(argv)
    except SystemExit as exit_info:  # refused by argparse (--timeout and --base-url are global options)
        code = exit_info.code
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("subscriber", ["", ".", "..", "%2e%2E", "%252e.", "%2E"])
def test_a_subscriber_that_would_change_the_url_is_refused_before_any_request(
    subscriber: str, capsys, monkeypatch
) -> None:
    with FakeHubSpot() as fake:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", fake.token)
        code = main(["conformance", "--base-url", fake.base_url, "--subscriber", subscriber, "--rate", "0"])
        assert fake.requests == []
    assert code == 2
    assert "--subscriber" in capsys.readouterr().err
    assert main(["conformance", "--subscriber", subscriber]) == 2  # against the bundled server too
    with pytest.raises(
        ValueError, match=r"would change which URL is requested|empty subscriber id|not an email"
    ):
        ConformanceOptions(
            base_url="http://127.0.0.1:9", token="t", subscribers=["alice@example.com", subscriber]
        )


@pytest.mark.parametrize(
    ("subscriber", "problem"),
    [
        ("bob", "not an email address (HubSpot identifies subscribers by email)"),
        ("   ", "empty subscriber id"),
        ("alice smith@example.com", "the subscriber id contains whitespace"),
        ("a" * 1001 + "@x.com", "the subscriber id is longer than 1000 characters (1007)"),
    ],
)
def test_a_subscriber_the_client_would_refuse_is_a_usage_error(
    subscriber: str, problem: str, capsys, monkeypatch
) -> None:
    with FakeHubSpot() as fake:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", fake.token)
        argv = ["conformance", "--base-url", fake.base_url, "--subscriber", "alice@example.com"]
        assert main([*argv, "--subscriber", subscriber, "--rate", "0"]) == 2
        assert fake.requests == []
    assert capsys.readouterr().err == f"hubspot-commprefs conformance: --subscriber: {problem}\n"
    assert main(["conformance", "--subscriber", subscriber]) == 2  # against the bundled server too
    assert problem in capsys.readouterr().err
    with pytest.raises(ValueError, match=re.escape(problem)):  # and from Python, the same rule
        ConformanceOptions(base_url="http://127.0.0.1:9", token="t", subscribers=[subscriber])


def test_a_subscriber_is_sent_as_the_client_would_send_it(monkeypatch) -> None:
    from hubspot_commprefs.cli.commands import conformance as command

    seen = []
    monkeypatch.setattr(command, "_run", lambda args, options: seen.append(list(options.subscribers)) or 0)
    assert (
        main(["conformance", "--subscriber", " alice@example.com\t", "--subscriber", "bob@example.com"]) == 0
    )
    assert seen == [["alice@example.com", "bob@example.com"]]


def test_the_default_timeout_is_the_clients_one_constant(monkeypatch, capsys) -> None:
    from hubspot_commprefs.cli.commands import conformance as command
    from hubspot_commprefs.client import DEFAULT_TIMEOUT, DEFAULT_TIMEOUT_SECONDS

    assert max(DEFAULT_TIMEOUT.as_dict().values()) == DEFAULT_TIMEOUT_SECONDS  # one attempt's bound
    seen = []
    monkeypatch.setattr(command, "_run", lambda args, options: seen.append(options.timeout) or 0)
    assert main(["conformance"]) == 0
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "t")
    assert main(["conformance", "--base-url", "http://127.0.0.1:9"]) == 0
    # The same object, not an equal copy: the command, the suite and the client share the constant.
    assert [timeout is DEFAULT_TIMEOUT_SECONDS for timeout in seen] == [True, True]
    assert ConformanceOptions(base_url="http://127.0.0.1:9", token="t").timeout is DEFAULT_TIMEOUT_SECONDS
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["conformance", "--help"])
    assert f"(default {DEFAULT_TIMEOUT_SECONDS:g})" in " ".join(capsys.readouterr().out.split())


def test_subscribers_must_be_a_sequence_not_one_string() -> None:
    with pytest.raises(TypeError, match="not one str"):
        ConformanceOptions(base_url="http://127.0.0.1:9", token="t", subscribers="alice@example.com")


def _readme_block(marker: str) -> str:
    readme = (Path(__file__).resolve().parents[2] / "docs" / "harness.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    return next(block for block in blocks if marker in block)


def test_the_readmes_python_example_runs_unpaced_and_passes(capsys) -> None:
    code = _readme_block("server.conformance_options()")
    exec(compile(code, "docs/harness.md", "exec"), {})  # the docs' own example, run as written
    report = capsys.readouterr().out
    assert "PASS: every answer conforms" in report
    assert "unpaced" in report
    assert "budget 188" in report  # under the default fake server's 190 requests per 10 s


def test_conformance_options_for_a_fake_server_stay_under_its_rate_limit() -> None:
    with FakeHubSpot() as fake:
        options = fake.conformance_options()
        assert (options.base_url, options.token) == (fake.base_url, fake.token)
        assert list(options.subscribers) == [
            "alice@example.com",
            "bob@example.com",
            "carol@example.com",
            "nobody@example.com",
        ]
        assert list(options.business_unit_ids) == [None, 1021]
        assert (options.rate, options.max_requests) == (None, 188)
        # A budget the server's window could not take is paced under its limit (190 per 10 s) instead.
        paced = fake.conformance_options(max_requests=1000)
        assert paced.rate is not None
        assert paced.rate < 19
        assert fake.conformance_options(max_requests=1000, rate=0).rate is None
        assert fake.conformance_options(rate=2).rate == 2
    with FakeHubSpot(rate_limit=RateLimit(max_requests=100_000)) as fast:
        assert (fast.conformance_options().rate, fast.conformance_options().max_requests) == (None, 1000)


def test_conformance_options_default_to_a_safe_pace_and_take_0_for_none() -> None:
    assert ConformanceOptions(base_url="http://127.0.0.1:9", token="t").rate == conformance.DEFAULT_RATE == 5
    assert ConformanceOptions(base_url="http://127.0.0.1:9", token="t", rate=0).rate is None
    with pytest.raises(ValueError, match="rate must not be negative"):
        ConformanceOptions(base_url="http://127.0.0.1:9", token="t", rate=-1)


def test_without_base_url_the_bundled_server_is_checked_even_with_hubspot_base_url_set(
    capsys, monkeypatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on once this closes
        probe.bind(("127.0.0.1", 0))
        unused = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("HUBSPOT_BASE_URL", unused)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-a-live-token-not-for-the-fake-server")
    code = main(["conformance", "--max-examples", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "(the bundled fake server)" in out
    assert unused not in out
    assert "PASS: every answer conforms" in out


def test_the_public_api_is_exported() -> None:
    # "@py_..." names: pytest rewrites the asserts of a package that registers a plugin, as this one does
    assert set(conformance.__all__) == {name for name in dir(conformance) if not name.startswith(("_", "@"))}


LIVE_TOKEN = os.environ.get("HUBSPOT_ACCESS_TOKEN")
LIVE_SUBSCRIBER = os.environ.get("HUBSPOT_TEST_SUBSCRIBER")


@pytest.mark.skipif(
    not (LIVE_TOKEN and LIVE_SUBSCRIBER),
    reason="live portal: set HUBSPOT_ACCESS_TOKEN and HUBSPOT_TEST_SUBSCRIBER (a contact's email) to run",
)
def test_a_live_portal_conforms() -> None:
    assert LIVE_TOKEN
    assert LIVE_SUBSCRIBER
    options = ConformanceOptions(
        base_url=os.environ.get("HUBSPOT_BASE_URL", "https://api.hubapi.com"),
        token=LIVE_TOKEN,
        subscribers=[LIVE_SUBSCRIBER],
        max_examples=5,
        max_requests=300,
    )
    result = run_conformance(options)
    report = console_report(result)
    assert LIVE_TOKEN not in report
    assert result.exit_code == 0, report


def _closed_port_url() -> str:
    with FakeHubSpot() as gone:
        return gone.base_url  # the port is free again once the server stops


def test_a_server_that_does_not_answer_stops_the_run_with_a_verdict_of_its_own(tmp_path) -> None:
    started = time.monotonic()
    result = run_conformance(
        ConformanceOptions(base_url=_closed_port_url(), token="tok-0123456789", subscribers=["a@example.com"])
    )
    elapsed = time.monotonic() - started
    report = console_report(result)
    assert result.exit_code == 4 == conformance.EXIT_NO_ANSWER
    assert result.requests_sent == 5  # a handful in a row, then nothing more: not the whole budget
    assert elapsed < 30, elapsed  # refused at once; the default pace (5/s) is all it waits
    assert result.failures == []  # a verdict, not a list of failures
    assert result.errors == []
    assert "FAIL" not in report
    assert report.endswith(
        "NO ANSWER: the server did not answer: 5 requests in a row got no answer (last: ConnectionError: "
        "connection refused).  Exit code 4."
    )
    assert "0 answers checked: not checked" in report
    write_reports(result, tmp_path)
    summary = json.loads((tmp_path / "conformance-summary.json").read_text(encoding="utf-8"))
    assert (summary["result"], summary["exit_code"], summary["failures"]) == ("no answer", 4, [])
    assert summary["no_answer"].startswith("5 requests in a row got no answer")
    suites = ET.fromstring((tmp_path / "conformance-junit.xml").read_text(encoding="utf-8"))
    assert (suites.get("failures"), suites.get("errors")) == ("0", "1")


def test_a_server_that_accepts_but_never_answers_stops_after_five_timeouts() -> None:
    with socket.socket() as silent:  # connections queue in its backlog; nothing ever reads or answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        result = run_conformance(
            ConformanceOptions(
                base_url=url, token="t0123456789", subscribers=["a@example.com"], rate=None, timeout=0.3
            )
        )
    assert result.exit_code == 4
    assert result.requests_sent == 5
    assert "timed out" in (result.no_answer or "") or "Timeout" in (result.no_answer or ""), result.no_answer
    assert time.monotonic() - started < 30  # five timeouts of 0.3 s, not of the default 10 s


def test_the_command_exits_4_when_nothing_answers_and_its_help_says_so(capsys, monkeypatch) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-not-sent-anywhere-real")
    code = main(["conformance", "--base-url", _closed_port_url(), "--rate", "0"])
    out = capsys.readouterr().out
    assert code == 4, out
    assert "NO ANSWER: the server did not answer" in out
    with pytest.raises(SystemExit):
        main(["conformance", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "4 the server did not answer" in help_text


def test_one_finding_never_hides_the_rest(server: FakeHubSpot) -> None:
    """Every phase sends its whole budget whatever it finds: a drifting server gets as many requests per
    phase as a faithful one, and every answer of the drift is counted."""
    faithful = _run(server, max_examples=10)
    drifting = _run(server, [Fault.ENUM_VALUE], max_examples=10)
    assert drifting.exit_code == 1
    assert drifting.requests_by_phase == faithful.requests_by_phase
    (group,) = [g for g in drifting.failures if g.first.endpoint == STATUSES]
    with_items = [
        e
        for e in drifting.exchanges
        if e.endpoint == STATUSES and e.status == 200 and json.loads(e.body)["results"]
    ]
    assert group.count == len(with_items) > 10  # every answer with an item to break, not only the first


def _screen_failures(report: str) -> list[str]:
    return [line for line in report.splitlines() if line.startswith("  FAIL  ")]


def test_screen_junit_and_json_count_the_same_failures(server: FakeHubSpot, tmp_path) -> None:
    result = _run(server, [Fault.ENUM_VALUE, Fault.MISSING_FIELD, Fault.UNDOCUMENTED_STATUS])
    report = console_report(result)
    write_reports(result, tmp_path)
    summary = json.loads((tmp_path / "conformance-summary.json").read_text(encoding="utf-8"))
    suites = ET.fromstring((tmp_path / "conformance-junit.xml").read_text(encoding="utf-8"))
    failing_cases = [case for case in suites.iter("testcase") if case.find("failure") is not None]
    counts = result.counts
    assert counts["failures"] >= 4
    assert (
        len(_screen_failures(report)) == len(failing_cases) == len(summary["failures"]) == counts["failures"]
    )
    assert int(suites.get("failures")) == counts["failures"]
    assert sum(int(s.get("failures")) for s in suites.iter("testsuite")) == counts["failures"]
    assert summary["counts"] == counts
    kinds, endpoints_ = counts["failure_kinds"], counts["failing_endpoints"]
    assert (
        f"FAIL: {kinds} kinds of failure on {endpoints_} endpoints ({counts['failures']} findings)" in report
    )
    # The same findings, not only the same number: endpoint, kind and what each is about.
    on_screen = {(g.first.endpoint, g.first.kind.value, g.first.subject) for g in result.failures}
    in_json = {
        (f["endpoint"].removeprefix("GET "), f["kind"], f["field"] or f["spec_says"])
        for f in summary["failures"]
    }
    in_junit = {
        (case.get("classname").removeprefix("GET "), case.find("failure").get("message").rsplit(" (", 1)[0])
        for case in failing_cases
    }
    assert on_screen == in_json
    assert {(e, k) for e, k, _ in on_screen} == in_junit


def test_two_different_checks_on_one_endpoint_are_two_findings() -> None:
    exchange = _exchange(200, _ok_body())
    findings = [
        conformance.Finding(Kind.SCHEMATHESIS, STATUSES, "", check, "x", exchange)
        for check in ("ignored_auth", "positive_data_acceptance", "ignored_auth")
    ]
    result = conformance.ConformanceResult(
        options=ConformanceOptions(base_url="http://127.0.0.1:9", token="t"),
        spec_version="x",
        endpoints=[STATUSES],
        exchanges=[exchange],
        findings=findings,
    )
    assert [g.first.expected for g in result.groups] == ["ignored_auth", "positive_data_acceptance"]
    assert result.counts["failures"] == 2


def test_targeted_expectations_come_from_the_spec() -> None:
    spec = load_spec()
    options = ConformanceOptions(base_url="http://127.0.0.1:9", token="t", subscribers=["a@example.com"])
    cases = {(c.query.get("channel"), c.query.get("verbose"), c.with_token): c for c in plan(spec, options)}
    invalid_channel = cases[("SMS", None, True)].allowed
    # 400 is declared for a validation error and `default` for any other error: any 4xx keeps the spec.
    assert 400 in invalid_channel
    assert 422 in invalid_channel
    assert 200 not in invalid_channel
    assert 500 not in invalid_channel
    assert 422 in cases[("EMAIL", "maybe", True)].allowed
    assert cases[("EMAIL", None, False)].allowed == {401}  # declared for a missing token
    valid = cases[("EMAIL", None, True)].allowed
    assert valid == {200, 429}  # 429: declared for a rate limit, says nothing about the request
    # Without a declared 401 or `default`, the spec's declared 4xx are all a request without a token can get.
    narrow = copy.deepcopy(spec)
    for item in narrow["paths"].values():
        for code in ("401", "default"):
            del item["get"]["responses"][code]
    lenient = {c.with_token: c for c in plan(narrow, options)}
    assert lenient[False].allowed == {400, 403, 429}


def test_hypothesis_keeps_its_tables_in_a_per_user_cache_not_the_working_directory(
    tmp_path, monkeypatch
) -> None:
    """Its Unicode tables cost 2.2 s and 200 MiB to build: built once per user, not once per run."""
    from hubspot_commprefs.conformance._schemathesis import hypothesis_home

    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    expected = tmp_path / "cache" / "hubspot-commprefs" / "hypothesis"
    with hypothesis_home() as home:
        import hypothesis.configuration

        assert home == expected
        assert hypothesis.configuration.storage_directory("x").path == expected / "x"
    assert not (tmp_path / ".hypothesis").exists()


def test_an_unwritable_cache_falls_back_to_a_scratch_directory(tmp_path, monkeypatch) -> None:
    from hubspot_commprefs.conformance._schemathesis import hypothesis_home

    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with hypothesis_home() as home:
        assert home is not None
        assert home.exists()
        assert "hubspot-commprefs-" in home.name
    assert not home.exists()


def test_a_fatal_schemathesis_error_is_reported_by_what_went_wrong() -> None:
    from hubspot_commprefs.conformance._schemathesis import _error_text
    from schemathesis.engine import events

    assert _error_text(events.FatalError(exception=ValueError("boom"))) == "ValueError: boom"
