"""The conformance suite: does a server (HubSpot, or the fake one) still answer as the spec says?

``result = run_conformance(ConformanceOptions(base_url=..., token=..., subscribers=[...]))``, then
``console_report(result)`` and ``result.exit_code``: 0 conforms, 1 failures, 4 the server did not answer a
handful of requests in a row (``result.no_answer`` says why). Only GET requests are sent, at most
``max_requests``, at most ``rate`` a second; ``progress=ProgressLine()`` shows the run's progress on
stderr. Needs the ``harness`` extra.
"""

from hubspot_commprefs._extras import require_harness as _require_harness

_require_harness("hubspot_commprefs.conformance (the conformance suite)")

from hubspot_commprefs._exit_codes import EXIT_NO_ANSWER
from hubspot_commprefs.conformance._checks import Exchange, Finding, Kind, Severity, SpecChecker
from hubspot_commprefs.conformance._report import (
    Progress,
    ProgressLine,
    ReportDirError,
    console_report,
    junit_xml,
    prepare_report_dir,
    summary,
    write_reports,
)
from hubspot_commprefs.conformance._runner import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_REQUESTS,
    DEFAULT_RATE,
    DEFAULT_SEED,
    EXIT_CONFORMS,
    EXIT_FAILURES,
    UNGUARDED_PROBES,
    ConformanceOptions,
    ConformanceResult,
    FindingGroup,
    run_conformance,
)
from hubspot_commprefs.conformance._schemathesis import (
    RequestBudgetExhaustedError,
    RequestGuard,
    ServerNotAnsweringError,
    UnsafeRequestError,
)

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "DEFAULT_MAX_REQUESTS",
    "DEFAULT_RATE",
    "DEFAULT_SEED",
    "EXIT_CONFORMS",
    "EXIT_FAILURES",
    "EXIT_NO_ANSWER",
    "UNGUARDED_PROBES",
    "ConformanceOptions",
    "ConformanceResult",
    "Exchange",
    "Finding",
    "FindingGroup",
    "Kind",
    "Progress",
    "ProgressLine",
    "ReportDirError",
    "RequestBudgetExhaustedError",
    "RequestGuard",
    "ServerNotAnsweringError",
    "Severity",
    "SpecChecker",
    "UnsafeRequestError",
    "console_report",
    "junit_xml",
    "prepare_report_dir",
    "run_conformance",
    "summary",
    "write_reports",
]
