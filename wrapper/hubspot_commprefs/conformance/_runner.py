"""One conformance run: schemathesis' phases, then the targeted cases, every answer checked against the spec.

The targeted cases are requests for known subscribers (on a live portal, valid requests hit real contacts)
and a few invalid ones. What each expects comes from the spec, never from what HubSpot happens to answer: a
valid request, a declared 2xx (or a declared 429); no token, the declared 401 (else any documented 4xx);
invalid input, any 4xx the spec documents (``default`` documents any error: a 422 keeps the spec too).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import httpx

from hubspot_commprefs._exit_codes import EXIT_FAILED, EXIT_NO_ANSWER, EXIT_OK
from hubspot_commprefs.client import (
    DEFAULT_TIMEOUT_SECONDS,
    DeadlinePassedError,
    Recorder,
    bounded_http_client,
    deadline,
    normalise_subscriber_id,
    prepare_recording_dir,
    read_chunks,
)
from hubspot_commprefs.conformance._checks import Exchange, Finding, Kind, Severity, SpecChecker
from hubspot_commprefs.conformance._report import PHASES, STARTING, Progress
from hubspot_commprefs.conformance._schemathesis import (
    MAX_ANSWER_BYTES,
    UNREADABLE,
    RequestBudgetExhaustedError,
    RequestGuard,
    ServerNotAnsweringError,
    run_schemathesis,
    unreadable,
)
from hubspot_commprefs.openapi import endpoints, load_spec

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Sequence

DEFAULT_MAX_EXAMPLES = 20
DEFAULT_RATE = 5.0  # requests per second against a real portal: HubSpot allows 10 to 25
DEFAULT_MAX_REQUESTS = 1000
DEFAULT_SEED = 20260318
UNGUARDED_PROBES = 2  # schemathesis' start-up probes: GET requests sent outside the guard and its budget
EXIT_CONFORMS = EXIT_OK
EXIT_FAILURES = EXIT_FAILED
TOKEN_PLACEHOLDER = "$HUBSPOT_ACCESS_TOKEN"  # noqa: S105 - shell text that reads the variable, not a token
SOURCE = "targeted"
RATE_LIMITED = 429
ANONYMOUS = "a request without a token"


@dataclass(frozen=True, slots=True)
class ConformanceOptions:
    base_url: str
    token: str
    subscribers: Sequence[str] = ()
    business_unit_ids: Sequence[int | None] = (None,)
    max_examples: int = DEFAULT_MAX_EXAMPLES
    # Safe for any server, HubSpot included. None (or 0): no pacing, for the bundled fake server; see
    # FakeHubSpot.conformance_options(), which picks the fastest safe settings for a running fake server.
    rate: float | None = DEFAULT_RATE
    max_requests: int = DEFAULT_MAX_REQUESTS
    seed: int = DEFAULT_SEED
    timeout: float = DEFAULT_TIMEOUT_SECONDS  # per request: the client's bound for one attempt
    target_label: str = ""  # how the report names the server, e.g. "the bundled fake server"
    record_to: str | os.PathLike[str] | None = None  # a directory: every answer goes to its recording.jsonl
    # How the report's curls reach a server that stops with the run (the bundled one): the command that
    # starts it again and its base URL; the token as shell text (a variable, never the token).
    reproduce_setup: str = ""
    reproduce_base_url: str | None = None
    reproduce_token: str = TOKEN_PLACEHOLDER

    def __post_init__(self) -> None:
        # An id like ".." would make the targeted cases ask another URL, and its 404 read as the server's
        # fault; "bob" is no email address: refused here, with the client's own rule (as the command
        # line's --subscriber), before any request.
        if isinstance(self.subscribers, str):
            raise TypeError("subscribers must be a sequence of ids, not one str")
        object.__setattr__(self, "subscribers", tuple(normalise_subscriber_id(s) for s in self.subscribers))
        if self.rate is not None and self.rate < 0:
            raise ValueError("rate must not be negative (None or 0: no pacing)")
        if self.rate == 0:
            object.__setattr__(self, "rate", None)  # frozen: normalised once, here
        if self.record_to is not None:  # before any request: a run must not end with its recording lost
            prepare_recording_dir(self.record_to, "record_to")

    def __repr__(self) -> str:  # never the token
        return f"ConformanceOptions(base_url={self.base_url!r}, subscribers={list(self.subscribers)!r}, ...)"


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """Findings of one kind at one field of one endpoint: the first one, and how many answers had it."""

    first: Finding
    count: int

    @property
    def severity(self) -> Severity:
        return self.first.severity


@dataclass(slots=True)
class ConformanceResult:
    options: ConformanceOptions
    spec_version: str
    endpoints: list[str]
    exchanges: list[Exchange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests_sent: int = 0
    requests_by_phase: dict[str, int] = field(default_factory=dict)  # sent, answered or not, in phase order
    budget_exhausted: bool = False
    no_answer: str | None = None  # why the run stopped early: the server did not answer
    elapsed: float = 0.0

    @property
    def groups(self) -> list[FindingGroup]:
        answers: dict[tuple[str, str, str, bool], set[int]] = {}
        first: dict[tuple[str, str, str, bool], Finding] = {}
        for finding in self.findings:
            answers.setdefault(finding.group_key, set()).add(id(finding.exchange))
            first.setdefault(finding.group_key, finding)
        return [FindingGroup(first[key], len(answers[key])) for key in first]

    @property
    def failures(self) -> list[FindingGroup]:
        return [g for g in self.groups if g.severity is Severity.FAILURE]

    @property
    def notes(self) -> list[FindingGroup]:
        return [g for g in self.groups if g.severity is Severity.NOTE]

    @property
    def conforms(self) -> bool:
        stopped = self.budget_exhausted or self.no_answer is not None
        return bool(self.exchanges) and not (self.failures or self.errors or stopped)

    @property
    def exit_code(self) -> int:
        if self.no_answer is not None:
            return EXIT_NO_ANSWER
        return EXIT_CONFORMS if self.conforms else EXIT_FAILURES

    @property
    def counts(self) -> dict[str, int]:
        """What every report counts, from one place: so that screen, JUnit XML and JSON agree."""
        failures = self.failures
        return {
            "failures": len(failures),  # findings: one kind at one field of one endpoint
            # one drift on two endpoints: one kind
            "failure_kinds": len({g.first.group_key[1:] for g in failures}),
            "failing_endpoints": len({g.first.endpoint for g in failures}),
            "failing_answers": len({id(f.exchange) for f in self.findings if f.severity is Severity.FAILURE}),
            "notes": len(self.notes),
            "note_kinds": len({g.first.group_key[1:] for g in self.notes}),
            "errors": len(set(self.errors)),
        }

    def requests_by(self, attribute: str) -> dict[str, int]:
        return dict(Counter(str(getattr(e, attribute)) for e in self.exchanges))


def _expected(spec: dict[str, Any], endpoint: str, invalid: str = "") -> tuple[frozenset[int], str]:
    """The statuses the spec allows for a valid request to ``endpoint``, or for one that is ``invalid`` (says
    how), and how the report says it."""
    responses = spec["paths"][endpoint]["get"]["responses"]
    codes: list[int] = []
    for key in responses:  # `4XX` ranges expanded
        if key.isdigit():
            codes.append(int(key))
        elif len(key) == 3 and key[0].isdigit() and key[1:].upper() == "XX":
            codes += range(int(key[0]) * 100, int(key[0]) * 100 + 100)
    if not invalid:
        success = sorted(c for c in codes if 200 <= c < 300)
        allowed = {*success, *({RATE_LIMITED} & set(codes))}
        return frozenset(allowed), f"{' or '.join(map(str, success))} for a valid request"
    if invalid == ANONYMOUS and 401 in codes:
        return frozenset({401}), f"401 for {ANONYMOUS}"
    listed = sorted(c for c in codes if 400 <= c < 500)
    default = "default" in responses
    where = ", ".join(map(str, listed)) + (" or any other 4xx (default)" if default else "")
    allowed = set(range(400, 500)) if default else set(listed)
    return frozenset(allowed), f"a 4xx the spec documents ({where}) for {invalid}"


@dataclass(frozen=True, slots=True)
class TargetedCase:
    endpoint: str
    subscriber: str
    query: dict[str, str]
    allowed: frozenset[int]  # the statuses the spec allows
    expected: str  # how the report says it
    with_token: bool = True

    def url(self, base_url: str) -> str:
        path = self.endpoint.replace("{subscriberIdString}", quote(self.subscriber, safe=""))
        return f"{base_url.rstrip('/')}{path}?{urlencode(self.query)}"


def plan(spec: dict[str, Any], options: ConformanceOptions) -> list[TargetedCase]:
    found = endpoints(spec)
    statuses, wide = found.statuses.path_template, found.unsubscribe_all.path_template
    cases = []
    for subscriber in options.subscribers:
        for unit in options.business_unit_ids:
            query = {"channel": "EMAIL"} | ({} if unit is None else {"businessUnitId": str(unit)})
            cases += [TargetedCase(p, subscriber, query, *_expected(spec, p)) for p in (statuses, wide)]
        verbose = {"channel": "EMAIL", "verbose": "true"}
        cases.append(TargetedCase(wide, subscriber, verbose, *_expected(spec, wide)))
    for first in options.subscribers[:1]:
        no_token = _expected(spec, statuses, ANONYMOUS)
        cases.append(TargetedCase(statuses, first, {"channel": "EMAIL"}, *no_token, with_token=False))
        sms = _expected(spec, statuses, "an unsupported channel")
        cases.append(TargetedCase(statuses, first, {"channel": "SMS"}, *sms))
        maybe = _expected(spec, wide, "a verbose that is not a boolean")
        cases.append(TargetedCase(wide, first, {"channel": "EMAIL", "verbose": "maybe"}, *maybe))
    return cases


def run_targeted(
    cases: list[TargetedCase], options: ConformanceOptions, guard: RequestGuard, recorder: Recorder | None
) -> tuple[list[Exchange], list[Finding], list[str]]:
    """Send the cases; returns the exchanges, the unexpected statuses, and transport errors. Stops when the
    guard says the server does not answer, or that the budget is spent."""
    exchanges: list[Exchange] = []
    findings: list[Finding] = []
    errors: list[str] = []
    # Every socket operation bounded by the request's deadline, every body by the suite's size limit.
    with bounded_http_client() as client:
        for case in cases:
            url = case.url(options.base_url)
            headers = {"Authorization": f"Bearer {options.token}"} if case.with_token else {}
            try:
                guard.admit("GET", phase=SOURCE)
            except (ServerNotAnsweringError, RequestBudgetExhaustedError):  # the run says which
                break
            try:
                with deadline(options.timeout) as at:
                    request = client.build_request("GET", url, headers=headers, timeout=options.timeout)
                    response = client.send(request, stream=True)
                    try:
                        response._content = read_chunks(
                            response.iter_raw(), response.headers, MAX_ANSWER_BYTES, at
                        )
                    finally:
                        response.close()
            except (httpx.HTTPError, DeadlinePassedError) as exc:
                problem = "ReadTimeout" if isinstance(exc, DeadlinePassedError) else type(exc).__name__
                if isinstance(exc, httpx.TransportError | DeadlinePassedError):  # no answer
                    guard.unanswered(problem)
                errors.append(f"GET {url}: {problem}")
                continue
            except UNREADABLE as exc:
                guard.answered()
                errors.append(f"GET {url}: {unreadable(exc)}")
                continue
            guard.answered()
            status, body = response.status_code, response.content
            if recorder is not None:
                recorder.record(
                    method="GET",
                    path=response.request.url.raw_path.split(b"?", 1)[0].decode("latin-1"),
                    query=response.request.url.query.decode("latin-1"),
                    with_token=case.with_token,
                    status=status,
                    headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw],
                    body=body,
                    secret=options.token,
                )
            content_type = response.headers.get("content-type")
            exchange = Exchange(
                case.endpoint, "GET", url, status, content_type, body, SOURCE, case.with_token
            )
            exchanges.append(exchange)
            if status not in case.allowed:
                actual = f"status {status}"
                findings.append(
                    Finding(Kind.UNEXPECTED_STATUS, case.endpoint, "", case.expected, actual, exchange)
                )
    return exchanges, findings, errors


def run_conformance(
    options: ConformanceOptions,
    *,
    spec: dict[str, Any] | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> ConformanceResult:
    """Run the whole suite against ``options.base_url``; never raises for what the server answers.
    ``progress`` (a ``ProgressLine``, say) is called at the start, after each request's turn and as answers
    are checked, from the thread that sends or checks."""
    spec = load_spec() if spec is None else spec
    checker = SpecChecker(spec)
    version = str(spec.get("info", {}).get("version", "?"))
    result = ConformanceResult(options, version, [e.path_template for e in endpoints(spec)])
    found: dict[Severity, set[Any]] = {Severity.FAILURE: set(), Severity.NOTE: set()}

    def report() -> None:
        if progress is not None:
            counts = len(found[Severity.FAILURE]), len(found[Severity.NOTE]), time.monotonic() - started
            progress(Progress(guard.phase or STARTING, guard.sent, options.max_requests, *counts))

    def count(findings: list[Finding]) -> None:
        result.findings += findings
        for finding in findings:  # grouped as the report groups them
            found[finding.severity].add(finding.group_key)
        report()

    def check(exchange: Exchange, findings: list[Finding]) -> None:
        result.exchanges.append(exchange)
        count(checker.check(exchange) + findings)

    guard = RequestGuard(max_requests=options.max_requests, rate=options.rate, on_admit=report)
    recorder = Recorder(options.record_to) if options.record_to is not None else None
    started = time.monotonic()
    report()
    result.errors += run_schemathesis(spec, options, guard, recorder, check)
    cases = plan(spec, options)
    exchanges, unexpected, errors = run_targeted(cases, options, guard, recorder)
    result.errors += errors
    count(unexpected)
    for exchange in exchanges:
        check(exchange, [])
    result.requests_sent = guard.sent
    sent = guard.sent_by_phase  # in the order the phases run; they add up to the total
    result.requests_by_phase = {p: sent[p] for p in PHASES if p in sent} | dict(sent)
    result.budget_exhausted = guard.refused > 0
    if guard.no_answer is not None:
        # One verdict, not a list of failures: every unanswered request says the same thing.
        result.no_answer = guard.no_answer
        result.findings = [f for f in result.findings if f.kind is not Kind.TRANSPORT]
        result.errors = []
        result.budget_exhausted = False
    result.elapsed = time.monotonic() - started
    return result
