"""The run's reports: a console report for a person, JUnit XML for CI, and a JSON summary.

All three count from :attr:`ConformanceResult.counts` and list the same findings: one ``FAIL`` line on
screen, one failing JUnit test case and one item of the summary's ``failures`` per finding (one kind of
failure at one field of one endpoint). Every text goes through :func:`redact` before it is printed or
written: the token can appear nowhere.
"""

from __future__ import annotations

import json
import shlex
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubspot_commprefs._logging import scrub
from hubspot_commprefs._tokens import DEFAULT_TOKEN, DEFAULT_TOKEN_WITHOUT_SCOPE
from hubspot_commprefs.conformance._findings import Kind

if TYPE_CHECKING:
    from hubspot_commprefs.conformance._findings import Exchange
    from hubspot_commprefs.conformance._runner import ConformanceOptions, ConformanceResult, FindingGroup

JUNIT_FILE = "conformance-junit.xml"
SUMMARY_FILE = "conformance-summary.json"
WIDTH = 100
PUBLIC_FAKE_TOKENS = frozenset({DEFAULT_TOKEN, DEFAULT_TOKEN_WITHOUT_SCOPE})

# Kinds whose "came back" is the status itself: the report does not repeat it.
STATUS_KINDS = frozenset({Kind.SERVER_ERROR, Kind.UNDOCUMENTED_STATUS, Kind.UNEXPECTED_STATUS})
# The checks each endpoint is reported under (JUnit test cases), and which kinds of finding fail each one.
CHECKS: dict[str, frozenset[Kind]] = {
    "no server errors": frozenset({Kind.SERVER_ERROR, Kind.TRANSPORT}),
    "documented status": frozenset({Kind.UNDOCUMENTED_STATUS}),
    "content type": frozenset({Kind.CONTENT_TYPE, Kind.NOT_JSON}),
    "body matches the schema": frozenset(
        {Kind.ENUM_VALUE, Kind.MISSING_FIELD, Kind.WRONG_TYPE, Kind.SCHEMA, Kind.DUPLICATE_KEY}
    ),
    "date-time and int32/int64 formats": frozenset({Kind.WRONG_FORMAT, Kind.INTEGER_RANGE}),
    "schemathesis checks (input handling, authentication)": frozenset({Kind.SCHEMATHESIS}),
    "targeted cases": frozenset({Kind.UNEXPECTED_STATUS}),
}


def redact(text: str, token: str) -> str:
    """``text`` without ``token`` (the package's one rule, ``scrub``: JSON-escaped echoes too); the bundled
    fake server's public tokens stay (a reproduce command needs them, and they open nothing else)."""
    return text if token in PUBLIC_FAKE_TOKENS else scrub(text, token)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def reproduce(exchange: Exchange, options: ConformanceOptions) -> str:
    """The curl command that repeats ``exchange`` after the run: against the server started again when the
    run's one is gone (``options.reproduce_base_url`` in place of ``options.base_url``), the token as
    ``options.reproduce_token`` says (shell text in double quotes: a variable, never the token itself)."""
    url, base = exchange.url, options.base_url.rstrip("/")
    if options.reproduce_base_url is not None and options.base_url and url.startswith(base):
        url = options.reproduce_base_url.rstrip("/") + url[len(base) :]
    command = f"curl -X {exchange.method} {shlex.quote(url)}"
    if exchange.authorized:
        command += f' -H "Authorization: Bearer {options.reproduce_token}"'
    return command


def _group_lines(group: FindingGroup, options: ConformanceOptions) -> list[str]:
    finding = group.first
    exchange = finding.exchange
    label = "FAIL" if group.severity.value == "failure" else "note"
    # "field the spec does not list: status (in an error body)": the field is named as a field, never
    # "... at status", which reads like an HTTP status.
    where = f": {finding.field_pattern}" if finding.field else ""
    if finding.in_error_body:
        where += " (in an error body)"
    noun = "request" if finding.kind is Kind.TRANSPORT else "answer"
    lines = [f"  {label}  {finding.kind.value}{where}  ({_plural(group.count, noun)})"]
    lines.append(f"        spec says:  {finding.expected}")
    context = []
    if exchange.status and finding.kind not in STATUS_KINDS:  # those name the status already
        context.append(f"status {exchange.status}")
    if finding.field and finding.field != finding.field_pattern:
        context.append(f"at {finding.field}")
    shown = " ".join(context)
    lines.append(f"        came back:  {finding.actual}  ({shown + ', ' if shown else ''}{exchange.source})")
    lines.append(f"        reproduce:  {reproduce(exchange, options)}")
    return lines


def _tally(counts: dict[str, int]) -> str:
    """ "3 kinds of failure on 2 endpoints (6 findings)": the same drift on two endpoints is one kind."""
    kinds, findings = counts["failure_kinds"], counts["failures"]
    text = f"{kinds} kind{'s' if kinds != 1 else ''} of failure on {_plural(counts['failing_endpoints'], 'endpoint')}"
    return text if findings == kinds else f"{text} ({_plural(findings, 'finding')})"


def _verdict(result: ConformanceResult) -> str:
    """The last line: PASS, FAIL or NO ANSWER, what failed counted by kind, and the exit code."""
    counts = result.counts
    if result.no_answer is not None:
        verdict = f"NO ANSWER: the server did not answer: {result.no_answer}"
    elif result.conforms:
        verdict = "PASS: every answer conforms to the spec"
    elif not result.exchanges:
        verdict = "FAIL: no answer came back"
    else:
        parts = [_tally(counts)] if counts["failures"] else []
        if counts["errors"]:
            parts.append(_plural(counts["errors"], "error"))
        if result.budget_exhausted:
            parts.append("the request budget ran out")
        verdict = f"FAIL: {', '.join(parts)}"
    notes = counts["note_kinds"]
    if notes:
        verdict += f"; {_plural(notes, 'note')} ({'not a failure' if notes == 1 else 'not failures'})"
    return f"{verdict}.  Exit code {result.exit_code}."


def console_report(result: ConformanceResult) -> str:
    options = result.options
    sources = ", ".join(f"{phase} {count}" for phase, count in requests_by_phase(result).items())
    pace = "unpaced" if options.rate is None else f"at most {options.rate:g} requests/s"
    target = f" ({options.target_label})" if options.target_label else ""
    lines = [
        "=" * WIDTH,
        f"Conformance of HubSpot Communication Preferences {result.spec_version} to the spec",
        f"  server:   {options.base_url}{target}",
        (
            f"  sent:     {result.requests_sent} GET requests in {result.elapsed:.1f} s ({sources}); {pace}; "
            f"budget {options.max_requests}"
        ),
        (
            "  checked:  status, content type, body schema, enums, required fields, date-time and int32/int64 "
            "formats; schemathesis' input-handling and authentication checks"
        ),
        "=" * WIDTH,
    ]
    if options.reproduce_setup and result.groups:
        lines += ["", *_reproduce_note(options)]
    groups = result.groups
    by_endpoint = Counter(e.endpoint for e in result.exchanges if e.status)
    for endpoint in result.endpoints:
        mine = [g for g in groups if g.first.endpoint == endpoint]
        failing = [g for g in mine if g.severity.value == "failure"]
        answered = by_endpoint.get(endpoint, 0)
        verdict = "FAILS" if failing else "conforms" if answered else "not checked"
        lines.append("")
        lines.append(f"GET {endpoint}")
        lines.append(f"  {answered} answers checked: {verdict}")
        for group in sorted(mine, key=lambda g: (g.severity.value != "failure", g.first.kind.value)):
            lines += _group_lines(group, options)
    if result.errors:
        lines.append("")
        lines.append("Errors (requests that got no answer, or a run that could not finish):")
        seen: set[str] = set()
        for error in result.errors:
            if error not in seen:
                seen.add(error)
                lines.append(f"  {error}")
    if result.no_answer is not None:
        lines.append("")
        lines.append(
            f"The server did not answer: {result.no_answer}. The run stopped there; is the URL right, the "
            "server up, the network reachable? (An answer cut short, reset or slower than --timeout counts "
            "as no answer too.)"
        )
    if result.budget_exhausted:
        lines.append("")
        lines.append(
            f"The run stopped at its budget of {options.max_requests} requests before it finished: raise "
            "--max-requests, or lower --max-examples."
        )
    lines.append("")
    lines.append(_verdict(result))
    return redact("\n".join(lines), options.token)


def _reproduce_note(options: ConformanceOptions) -> list[str]:
    return [
        "To reproduce a finding after this run: its server stopped with it. Start the same one again, then",
        "run the finding's curl in another shell (the token is HUBSPOT_ACCESS_TOKEN, else the fake one):",
        f"  {options.reproduce_setup}",
    ]


PHASES = ("examples", "coverage", "fuzzing", "targeted")


def requests_by_phase(result: ConformanceResult) -> dict[str, int]:
    """Requests sent (answered or not) per phase, in the order the phases run; they add up to the total."""
    sent = dict(result.requests_by_phase)
    ordered = {phase: sent.pop(phase) for phase in PHASES if phase in sent}
    return ordered | sent


def _finding_json(group: FindingGroup, options: ConformanceOptions) -> dict[str, Any]:
    finding = group.first
    exchange = finding.exchange
    return {
        "endpoint": f"GET {finding.endpoint}",
        "kind": finding.kind.value,
        "field": finding.field_pattern,
        "example_field": finding.field,
        "in_error_body": finding.in_error_body,
        "spec_says": finding.expected,
        "came_back": finding.actual,
        "answers": group.count,
        "status": exchange.status,
        "source": exchange.source,
        "request": {"method": exchange.method, "url": exchange.url},
        "curl": reproduce(exchange, options),
    }


def summary(result: ConformanceResult) -> dict[str, Any]:
    options = result.options
    verdict = "no answer" if result.no_answer is not None else "pass" if result.conforms else "fail"
    return {
        "result": verdict,
        "exit_code": result.exit_code,
        "no_answer": result.no_answer,
        "counts": result.counts,
        "spec_version": result.spec_version,
        "base_url": options.base_url,
        "elapsed_seconds": round(result.elapsed, 3),
        "requests": {
            "sent": result.requests_sent,
            "methods": sorted({e.method for e in result.exchanges}),
            "by_source": requests_by_phase(result),
            "by_endpoint": {f"GET {k}": v for k, v in result.requests_by("endpoint").items()},
            "budget": options.max_requests,
            "budget_exhausted": result.budget_exhausted,
            "rate_per_second": options.rate,
        },
        "settings": {
            "max_examples": options.max_examples,
            "seed": options.seed,
            "subscribers": list(options.subscribers),
            "business_unit_ids": list(options.business_unit_ids),
        },
        "failures": [_finding_json(g, options) for g in result.failures],
        "notes": [_finding_json(g, options) for g in result.notes],
        "reproduce_setup": options.reproduce_setup or None,
        "errors": sorted(set(result.errors)),
    }


def _case_name(check: str, group: FindingGroup) -> str:
    finding = group.first
    where = f": {finding.subject}" if finding.subject else ""
    body = " (in an error body)" if finding.in_error_body else ""
    return f"{check}: {finding.kind.value}{where}{body}"


def junit_xml(result: ConformanceResult) -> str:
    """One test suite per endpoint; per check, one passing test case, or one failing test case per finding
    (so the failures counted here are the findings counted on screen and in the JSON summary)."""
    suites = ET.Element("testsuites", name="hubspot-commprefs conformance")
    total_tests = total_failures = total_errors = 0
    groups = result.groups
    for endpoint in result.endpoints:
        mine = [g for g in groups if g.first.endpoint == endpoint]
        suite = ET.SubElement(suites, "testsuite", name=f"GET {endpoint}")
        tests = failures = 0
        for check, kinds in CHECKS.items():
            failing = [g for g in mine if g.first.kind in kinds and g.severity.value == "failure"]
            if not failing:
                ET.SubElement(suite, "testcase", classname=f"GET {endpoint}", name=check)
                tests += 1
            for group in failing:
                case = ET.SubElement(
                    suite, "testcase", classname=f"GET {endpoint}", name=_case_name(check, group)
                )
                failure = ET.SubElement(
                    case, "failure", message=f"{group.first.kind.value} ({_plural(group.count, 'answer')})"
                )
                failure.set("type", "drift")
                failure.text = "\n".join(_group_lines(group, result.options))
                tests += 1
                failures += 1
        notes = [g for g in mine if g.severity.value == "note"]
        if notes:
            out = ET.SubElement(suite, "system-out")
            out.text = "\n".join("\n".join(_group_lines(g, result.options)) for g in notes)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total_tests += tests
        total_failures += failures
    problems = sorted(set(result.errors))
    if result.no_answer is not None:
        problems = [f"the server did not answer: {result.no_answer}"]
    if result.budget_exhausted:
        problems.append(f"the request budget of {result.options.max_requests} ran out")
    if problems:
        suite = ET.SubElement(suites, "testsuite", name="run", tests=str(len(problems)), failures="0")
        suite.set("errors", str(len(problems)))
        for problem in problems:
            case = ET.SubElement(suite, "testcase", classname="run", name=problem)
            ET.SubElement(case, "error", message=problem).text = problem
        total_tests += len(problems)
        total_errors += len(problems)
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    suites.set("errors", str(total_errors))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


class ReportDirError(OSError):
    """The report directory cannot be created or written; the message names it and says why."""


def prepare_report_dir(directory: str | Path) -> Path:
    """Create ``directory`` if needed and check that files can be written there, before a run sends
    anything: a run should not end with its reports lost. Raises :class:`ReportDirError`."""
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise ReportDirError(f"cannot write reports to {str(target)!r}: it is a file, not a directory")
    try:
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target, prefix=".write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ReportDirError(f"cannot write reports to {str(target)!r}: {reason}") from None
    return target


def write_reports(result: ConformanceResult, directory: str | Path) -> list[Path]:
    """Write the JUnit XML and the JSON summary into ``directory`` (created if needed); returns the paths.

    Raises :class:`ReportDirError` naming the directory when it cannot be written."""
    target = prepare_report_dir(directory)
    token = result.options.token
    junit = target / JUNIT_FILE
    summary_path = target / SUMMARY_FILE
    try:
        junit.write_text(redact(junit_xml(result), token), encoding="utf-8")
        summary_path.write_text(redact(json.dumps(summary(result), indent=2), token) + "\n", encoding="utf-8")
    except OSError as exc:
        where = str(exc.filename or target)
        raise ReportDirError(f"cannot write {where!r}: {exc.strerror or type(exc).__name__}") from None
    return [junit, summary_path]
