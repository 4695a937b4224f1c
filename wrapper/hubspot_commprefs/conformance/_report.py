"""The run's reports: a console report for a person, JUnit XML for CI, and a JSON summary.

Every text goes through :func:`redact` before it is printed or written: the token can appear nowhere.
"""

from __future__ import annotations

import json
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubspot_commprefs.conformance._findings import Kind

if TYPE_CHECKING:
    from hubspot_commprefs.conformance._runner import ConformanceResult, FindingGroup

JUNIT_FILE = "conformance-junit.xml"
SUMMARY_FILE = "conformance-summary.json"
WIDTH = 100

# Kinds whose "came back" is the status itself: the report does not repeat it.
STATUS_KINDS = frozenset({Kind.SERVER_ERROR, Kind.UNDOCUMENTED_STATUS, Kind.UNEXPECTED_STATUS})
# The checks each endpoint is reported under (JUnit test cases), and which kinds of finding fail each one.
CHECKS: dict[str, frozenset[Kind]] = {
    "no server errors": frozenset({Kind.SERVER_ERROR, Kind.TRANSPORT}),
    "documented status": frozenset({Kind.UNDOCUMENTED_STATUS}),
    "content type": frozenset({Kind.CONTENT_TYPE, Kind.NOT_JSON}),
    "body matches the schema": frozenset({Kind.ENUM_VALUE, Kind.MISSING_FIELD, Kind.WRONG_TYPE, Kind.SCHEMA}),
    "date-time and int32/int64 formats": frozenset({Kind.WRONG_FORMAT, Kind.INTEGER_RANGE}),
    "schemathesis checks (input handling, authentication)": frozenset({Kind.SCHEMATHESIS}),
    "targeted cases": frozenset({Kind.UNEXPECTED_STATUS}),
}


def redact(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _group_lines(group: FindingGroup) -> list[str]:
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
    lines.append(f"        reproduce:  {exchange.curl}")
    return lines


def _tally(groups: list[FindingGroup], noun: str) -> str:
    """ "3 kinds of failure on 2 endpoints (6 findings)": the same drift on two endpoints is one kind."""
    kinds = len({g.first.what for g in groups})
    endpoints = len({g.first.endpoint for g in groups})
    text = f"{kinds} kind{'s' if kinds != 1 else ''} of {noun} on {_plural(endpoints, 'endpoint')}"
    return text if len(groups) == kinds else f"{text} ({_plural(len(groups), 'finding')})"


def _verdict(result: ConformanceResult) -> str:
    """The last line: PASS or FAIL, what failed counted by kind, and the exit code."""
    if result.conforms:
        verdict = "PASS: every answer conforms to the spec"
    elif not result.exchanges:
        verdict = "FAIL: no answer came back"
    else:
        parts = [_tally(result.failures, "failure")] if result.failures else []
        if result.errors:
            parts.append(_plural(len(set(result.errors)), "error"))
        if result.budget_exhausted:
            parts.append("the request budget ran out")
        verdict = f"FAIL: {', '.join(parts)}"
    notes = len({g.first.what for g in result.notes})
    if notes:
        verdict += f"; {_plural(notes, 'note')} ({'not a failure' if notes == 1 else 'not failures'})"
    return f"{verdict}.  Exit code {result.exit_code}."


def console_report(result: ConformanceResult) -> str:
    options = result.options
    by_source = result.requests_by("source")
    order = ["examples", "coverage", "fuzzing", "targeted"]
    sources = ", ".join(f"{s} {by_source[s]}" for s in order if s in by_source)
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
    groups = result.groups
    by_endpoint = Counter(e.endpoint for e in result.exchanges if e.status)
    for endpoint in result.endpoints:
        mine = [g for g in groups if g.first.endpoint == endpoint]
        failing = [g for g in mine if g.severity.value == "failure"]
        verdict = "FAILS" if failing else "conforms"
        lines.append("")
        lines.append(f"GET {endpoint}")
        lines.append(f"  {by_endpoint.get(endpoint, 0)} answers checked: {verdict}")
        for group in sorted(mine, key=lambda g: (g.severity.value != "failure", g.first.kind.value)):
            lines += _group_lines(group)
    if result.errors:
        lines.append("")
        lines.append("Errors (requests that got no answer, or a run that could not finish):")
        seen: set[str] = set()
        for error in result.errors:
            if error not in seen:
                seen.add(error)
                lines.append(f"  {error}")
    if result.budget_exhausted:
        lines.append("")
        lines.append(
            f"The run stopped at its budget of {options.max_requests} requests before it finished: raise "
            "--max-requests, or lower --max-examples."
        )
    lines.append("")
    lines.append(_verdict(result))
    return redact("\n".join(lines), options.token)


def _finding_json(group: FindingGroup) -> dict[str, Any]:
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
        "curl": exchange.curl,
    }


def summary(result: ConformanceResult) -> dict[str, Any]:
    options = result.options
    return {
        "result": "pass" if result.conforms else "fail",
        "exit_code": result.exit_code,
        "spec_version": result.spec_version,
        "base_url": options.base_url,
        "elapsed_seconds": round(result.elapsed, 3),
        "requests": {
            "sent": result.requests_sent,
            "methods": sorted({e.method for e in result.exchanges}),
            "by_source": result.requests_by("source"),
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
        "failures": [_finding_json(g) for g in result.failures],
        "notes": [_finding_json(g) for g in result.notes],
        "errors": sorted(set(result.errors)),
    }


def junit_xml(result: ConformanceResult) -> str:
    suites = ET.Element("testsuites", name="hubspot-commprefs conformance")
    total_failures = 0
    for endpoint in result.endpoints:
        groups = [g for g in result.groups if g.first.endpoint == endpoint]
        suite = ET.SubElement(suites, "testsuite", name=f"GET {endpoint}")
        failures = 0
        for check, kinds in CHECKS.items():
            case = ET.SubElement(suite, "testcase", classname=f"GET {endpoint}", name=check)
            failing = [g for g in groups if g.first.kind in kinds and g.severity.value == "failure"]
            if failing:
                failures += 1
                text = "\n".join("\n".join(_group_lines(g)) for g in failing)
                failure = ET.SubElement(
                    case, "failure", message=f"{len(failing)} kind(s) of failure", type="drift"
                )
                failure.text = text
        notes = [g for g in groups if g.severity.value == "note"]
        if notes:
            out = ET.SubElement(suite, "system-out")
            out.text = "\n".join("\n".join(_group_lines(g)) for g in notes)
        suite.set("tests", str(len(CHECKS)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total_failures += failures
    if result.errors or result.budget_exhausted:
        suite = ET.SubElement(suites, "testsuite", name="run", tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname="run", name="the run finished")
        error = ET.SubElement(case, "error", message="the run could not check everything")
        error.text = "\n".join(sorted(set(result.errors))) or "request budget reached"
    suites.set("failures", str(total_failures))
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
