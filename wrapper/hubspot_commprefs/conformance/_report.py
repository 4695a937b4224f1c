"""What a run shows: its progress on stderr as it runs (on a terminal one line redrawn in place and erased at
the end; elsewhere plain lines, at most one a second), then a console report, JUnit XML and a JSON summary.
The three count from ``ConformanceResult.counts`` and list the same findings: one ``FAIL`` line, one failing
test case, one item of ``failures`` per kind of failure at one field of one endpoint. Every text goes
through ``redact``: the token appears nowhere.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from hubspot_commprefs._logging import scrub
from hubspot_commprefs._tokens import DEFAULT_TOKEN, DEFAULT_TOKEN_WITHOUT_SCOPE
from hubspot_commprefs.conformance._checks import Kind, Severity

if TYPE_CHECKING:
    from collections.abc import Callable

    from hubspot_commprefs.conformance._checks import Exchange
    from hubspot_commprefs.conformance._runner import ConformanceOptions, ConformanceResult, FindingGroup

WIDTH = 100
PUBLIC_FAKE_TOKENS = frozenset({DEFAULT_TOKEN, DEFAULT_TOKEN_WITHOUT_SCOPE})
PHASES = ("examples", "coverage", "fuzzing", "targeted")
STARTING = "starting"  # the phase before the first request: schemathesis loads the spec
TERMINAL_EVERY = 0.25  # seconds between two redraws of the terminal's line
LINES_EVERY = 1.0  # seconds between two plain lines of one phase

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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run is: its phase (``starting``, then schemathesis' ``examples``, ``coverage`` and
    ``fuzzing``, then ``targeted``), the requests sent of its budget, and the findings so far."""

    phase: str
    sent: int
    budget: int
    failures: int
    notes: int
    elapsed: float

    def line(self) -> str:
        return (
            f"conformance [{self.phase}] {self.sent}/{self.budget} requests, "
            f"{_plural(self.failures, 'failure')}, {_plural(self.notes, 'note')} so far, {self.elapsed:.0f} s"
        )


class ProgressLine:
    """Draws ``Progress`` on ``stream`` (stderr by default); ``enabled=None`` draws only when the stream
    is a terminal. Call it with each ``Progress`` (from any thread), then ``close()``."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty()
        self.enabled = self.terminal if enabled is None else enabled
        self._clock = clock
        self._lock = threading.Lock()
        self._drawn_at = -float("inf")
        self._drawn_phase: str | None = None
        self._pending: Progress | None = None  # the latest, when it was not drawn
        self._width = 0  # of the terminal's line drawn last

    def __call__(self, progress: Progress) -> None:
        with self._lock:
            if not self.enabled:
                return
            now = self._clock()
            every = TERMINAL_EVERY if self.terminal else LINES_EVERY
            if progress.phase == self._drawn_phase and now - self._drawn_at < every:
                self._pending = progress
                return
            self._draw(progress, now)

    def close(self) -> None:
        """The run ended: erase the terminal's line; in plain lines, write the last state if not yet."""
        with self._lock:
            if not self.enabled:
                return
            if self.terminal and self._width:
                self._write("\r" + " " * self._width + "\r")
            elif not self.terminal and self._pending is not None:
                self._draw(self._pending, self._clock())
            self._pending = None
            self._width = 0

    def _draw(self, progress: Progress, now: float) -> None:
        self._drawn_at = now
        self._drawn_phase = progress.phase
        self._pending = None
        line = progress.line()
        if self.terminal:  # cut to the width (a wrapped line is not redrawn in place); spaces over the rest
            line = line[: shutil.get_terminal_size().columns - 1]
            self._write("\r" + line + " " * max(0, self._width - len(line)))
            self._width = len(line)
        else:
            self._write(line + "\n")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # closed, a broken pipe: a progress display never stops the run
            self.enabled = False


def redact(text: str, token: str) -> str:
    """``text`` without ``token`` (the package's one rule, ``scrub``: JSON-escaped echoes too); the bundled
    fake server's public tokens stay (a reproduce command needs them, and they open nothing else)."""
    return text if token in PUBLIC_FAKE_TOKENS else scrub(text, token)


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
    label = "FAIL" if group.severity is Severity.FAILURE else "note"
    # "field the spec does not list: status (in an error body)": the field is named as a field, never
    # "... at status", which reads like an HTTP status.
    where = f": {finding.field_pattern}" if finding.field else ""
    where += " (in an error body)" if finding.in_error_body else ""
    noun = "request" if finding.kind is Kind.TRANSPORT else "answer"
    context = []
    if exchange.status and finding.kind not in STATUS_KINDS:  # those name the status already
        context.append(f"status {exchange.status}")
    if finding.field and finding.field != finding.field_pattern:
        context.append(f"at {finding.field}")
    shown = " ".join(context)
    return [
        f"  {label}  {finding.kind.value}{where}  ({_plural(group.count, noun)})",
        f"        spec says:  {finding.expected}",
        f"        came back:  {finding.actual}  ({shown + ', ' if shown else ''}{exchange.source})",
        f"        reproduce:  {reproduce(exchange, options)}",
    ]


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
        parts = []
        kinds, findings = counts["failure_kinds"], counts["failures"]
        # "3 kinds of failure on 2 endpoints (6 findings)": one drift on two endpoints is one kind.
        if findings:
            endpoints = _plural(counts["failing_endpoints"], "endpoint")
            tally = f"{_plural(kinds, 'kind')} of failure on {endpoints}"
            parts.append(tally if findings == kinds else f"{tally} ({_plural(findings, 'finding')})")
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
    sources = ", ".join(f"{phase} {count}" for phase, count in result.requests_by_phase.items())
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
    if options.reproduce_setup and groups:
        lines += [
            "",
            "To reproduce a finding after this run: its server stopped with it. Start the same one again, then",
            "run the finding's curl in another shell (the token is HUBSPOT_ACCESS_TOKEN, else the fake one):",
            f"  {options.reproduce_setup}",
        ]
    answered = Counter(e.endpoint for e in result.exchanges if e.status)
    for endpoint in result.endpoints:
        mine = [g for g in groups if g.first.endpoint == endpoint]
        failing = any(g.severity is Severity.FAILURE for g in mine)
        verdict = "FAILS" if failing else "conforms" if answered[endpoint] else "not checked"
        lines += ["", f"GET {endpoint}", f"  {answered[endpoint]} answers checked: {verdict}"]
        for group in sorted(mine, key=lambda g: (g.severity is not Severity.FAILURE, g.first.kind.value)):
            lines += _group_lines(group, options)
    if result.errors:
        lines += ["", "Errors (requests that got no answer, or a run that could not finish):"]
        lines += [f"  {error}" for error in dict.fromkeys(result.errors)]
    if result.no_answer is not None:
        stopped = (
            f"The server did not answer: {result.no_answer}. The run stopped there; is the URL right, the "
            "server up, the network reachable? (An answer cut short, reset or slower than --timeout counts "
            "as no answer too.)"
        )
        lines += ["", stopped]
    if result.budget_exhausted:
        stopped = (
            f"The run stopped at its budget of {options.max_requests} requests before it finished: raise "
            "--max-requests, or lower --max-examples."
        )
        lines += ["", stopped]
    lines += ["", _verdict(result)]
    return redact("\n".join(lines), options.token)


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
            "by_source": result.requests_by_phase,
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


def _count_cases(element: ET.Element) -> None:
    """Set the tests, failures and errors of a test suite (or of all) from its test cases."""
    cases = list(element.iter("testcase"))
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(case.find("failure") is not None for case in cases)))
    element.set("errors", str(sum(case.find("error") is not None for case in cases)))


def junit_xml(result: ConformanceResult) -> str:
    """One test suite per endpoint; per check, one passing test case, or one failing test case per finding
    (so the failures counted here are the findings counted on screen and in the JSON summary)."""
    suites = ET.Element("testsuites", name="hubspot-commprefs conformance")
    groups = result.groups
    for endpoint in result.endpoints:
        name = f"GET {endpoint}"
        mine = [g for g in groups if g.first.endpoint == endpoint]
        suite = ET.SubElement(suites, "testsuite", name=name)
        for check, kinds in CHECKS.items():
            failing = [g for g in mine if g.first.kind in kinds and g.severity is Severity.FAILURE]
            if not failing:
                ET.SubElement(suite, "testcase", classname=name, name=check)
            for group in failing:
                finding = group.first
                where = f": {finding.subject}" if finding.subject else ""
                body = " (in an error body)" if finding.in_error_body else ""
                title = f"{check}: {finding.kind.value}{where}{body}"
                case = ET.SubElement(suite, "testcase", classname=name, name=title)
                message = f"{finding.kind.value} ({_plural(group.count, 'answer')})"
                failure = ET.SubElement(case, "failure", message=message, type="drift")
                failure.text = "\n".join(_group_lines(group, result.options))
        notes = [g for g in mine if g.severity is Severity.NOTE]
        if notes:
            notes_text = ("\n".join(_group_lines(g, result.options)) for g in notes)
            ET.SubElement(suite, "system-out").text = "\n".join(notes_text)
        _count_cases(suite)
    problems = sorted(set(result.errors))
    if result.no_answer is not None:
        problems = [f"the server did not answer: {result.no_answer}"]
    if result.budget_exhausted:
        problems.append(f"the request budget of {result.options.max_requests} ran out")
    if problems:
        suite = ET.SubElement(suites, "testsuite", name="run")
        for problem in problems:
            case = ET.SubElement(suite, "testcase", classname="run", name=problem)
            ET.SubElement(case, "error", message=problem).text = problem
        _count_cases(suite)
    _count_cases(suites)
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
    junit, summary_path = target / "conformance-junit.xml", target / "conformance-summary.json"
    try:
        junit.write_text(redact(junit_xml(result), token), encoding="utf-8")
        summary_path.write_text(redact(json.dumps(summary(result), indent=2), token) + "\n", encoding="utf-8")
    except OSError as exc:
        where = str(exc.filename or target)
        raise ReportDirError(f"cannot write {where!r}: {exc.strerror or type(exc).__name__}") from None
    return [junit, summary_path]
