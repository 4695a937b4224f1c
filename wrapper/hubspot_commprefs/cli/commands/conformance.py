"""``hubspot-commprefs conformance``: check that a server still answers as the spec says.

Without a base URL it starts the bundled fake server and runs against it (that is ``scripts/demo``).
Exit codes: 0 conforms, 1 failures, 2 usage, 4 the server did not answer (a handful of requests in a row).
"""

from __future__ import annotations

import math
import os
import shlex
import sys
from typing import TYPE_CHECKING, Any

from hubspot_commprefs.cli.commands._common import (
    EXIT_USAGE,
    TOKEN_ENV,
    add_global_options,
    add_progress_option,
    add_record_option,
    check_record_dir,
)
from hubspot_commprefs.client import DEFAULT_TIMEOUT_SECONDS

if TYPE_CHECKING:
    import argparse

    from hubspot_commprefs.conformance import ConformanceOptions

ORDER = 70
FAKE_RATE_LIMIT = 100_000  # the bundled server's limit: high, so that an unpaced run is never answered 429
REPRODUCE_PORT = 8089  # mock-server's default port: where the report's curls find the fake server again


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "conformance",
        help="check that HubSpot (or the fake server) still answers as the spec says (needs the harness extra)",
        description="Drive schemathesis over the spec (examples, coverage and fuzzing phases) and send "
        "targeted requests for the given subscribers; check every answer's status, content type, body, "
        "enums, date-times and int32/int64 ranges. Only GET requests are sent, at a bounded pace and count. "
        f"The token is read from {TOKEN_ENV}. Without --base-url it runs against the bundled fake server.",
        epilog="Exit codes: 0 every answer conforms; 1 something does not (or the run could not finish: "
        "a transport error, the request budget reached); 2 a usage error; 4 the server did not answer "
        "(5 requests in a row refused, reset or timed out: the run stops there, with that verdict instead "
        "of a list of failures); 130 interrupted. A field the spec does not list is a note, not a failure.",
    )
    parser.add_argument(
        "--subscriber",
        action="append",
        default=[],
        metavar="ID",
        help="a contact's email address for the targeted cases (repeatable); use real contacts on a portal",
    )
    parser.add_argument(
        "--max-examples", type=int, default=20, metavar="N", help="fuzzing examples per endpoint (default 20)"
    )
    parser.add_argument("--report-dir", metavar="DIR", help="write JUnit XML and a JSON summary here")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        metavar="PER_SECOND",
        help="at most this many requests a second (default 5 against --base-url; 0 for no pacing, the "
        "default against the bundled fake server)",
    )
    parser.add_argument(
        "--max-requests", type=int, default=1000, metavar="N", help="stop after N requests (default 1000)"
    )
    parser.add_argument("--seed", type=int, default=None, metavar="N", help="the generation seed")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="only without --base-url: tell the bundled fake server to misbehave (see mock-server --help)",
    )
    add_progress_option(
        parser,
        shows="the run's progress (phase, requests sent of the budget, findings so far; one line redrawn on "
        "a terminal, plain lines elsewhere)",
    )
    add_record_option(parser)
    add_global_options(
        parser,
        base_url_help="the server to check, e.g. https://api.hubapi.com (default: start the bundled fake "
        "server; HUBSPOT_BASE_URL is not read, so that a run never reaches a portal unasked)",
        timeout_help=f"the longest one request may take (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    parser.set_defaults(run=run)


def _usage(message: str) -> int:
    print(f"hubspot-commprefs conformance: {message}", file=sys.stderr)
    return EXIT_USAGE


def _check_subscribers(args: argparse.Namespace) -> str | None:
    """Each ``--subscriber`` by the client's one rule for ids, as the lookups and bulk apply it, before any
    request: one that is not an email address, or would change the URL (``..``, ``%2e``), is a usage error.
    The ids kept are the ones the client would send (surrounding whitespace removed)."""
    from hubspot_commprefs.client import normalise_subscriber_id  # noqa: PLC0415 - keep --help fast

    try:
        args.subscriber = [normalise_subscriber_id(subscriber) for subscriber in args.subscriber]
    except ValueError as exc:
        return f"--subscriber: {exc}"
    return None


def _check_numbers(args: argparse.Namespace) -> str | None:
    if args.max_examples < 1:
        return "--max-examples must be at least 1"
    if args.max_requests < 1:
        return "--max-requests must be at least 1"
    if args.rate is not None and not 0 <= args.rate < math.inf:
        return "--rate must be a number, 0 or more (0: no pacing)"
    return None


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The options every run takes from the flags, whatever the server; an unset --rate keeps the default
    (5/s for ConformanceOptions, unpaced from FakeHubSpot.conformance_options)."""
    from hubspot_commprefs.conformance import DEFAULT_SEED  # noqa: PLC0415 - keep --help fast

    settings: dict[str, Any] = {
        "max_examples": args.max_examples,
        "max_requests": args.max_requests,
        "seed": DEFAULT_SEED if args.seed is None else args.seed,
        "timeout": DEFAULT_TIMEOUT_SECONDS if args.timeout is None else args.timeout,
    }
    if args.rate is not None:
        settings["rate"] = args.rate
    if args.record is not None:
        settings["record_to"] = args.record
    return settings


def run(args: argparse.Namespace) -> int:
    from hubspot_commprefs._extras import harness_problem  # noqa: PLC0415 - keep --help fast

    problem = harness_problem("conformance") or _check_numbers(args) or _check_subscribers(args)
    if problem:
        return _usage(problem)
    if args.report_dir is not None:
        from hubspot_commprefs.conformance import (  # noqa: PLC0415 - keep --help fast
            ReportDirError,
            prepare_report_dir,
        )

        try:  # before any request: a run must not end with its reports lost
            prepare_report_dir(args.report_dir)
        except ReportDirError as exc:
            return _usage(f"--report-dir: {exc}")
    try:  # before any request, as --report-dir
        check_record_dir(args)
    except ValueError as exc:
        return _usage(str(exc))
    # The flags only, never HUBSPOT_BASE_URL: without --base-url the suite checks the bundled fake server.
    base_url = args.base_url.strip() if args.base_url is not None else None
    business_units = [args.business_unit_id] if args.business_unit_id is not None else []
    if base_url:
        return _against(args, base_url, business_units)
    return _against_fake_server(args, business_units)


def _against(args: argparse.Namespace, base_url: str, business_units: list[int]) -> int:
    if args.fault:
        return _usage("--fault applies to the bundled fake server only; leave out --base-url")
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        return _usage(f"set {TOKEN_ENV} to a token with the communication_preferences.read scope")
    from hubspot_commprefs.conformance import ConformanceOptions  # noqa: PLC0415 - keep --help fast

    try:
        options = ConformanceOptions(
            base_url=base_url,
            token=token,
            subscribers=args.subscriber,
            business_unit_ids=[None, *business_units],
            **_settings(args),
        )
    except ValueError as exc:
        return _usage(str(exc).replace(token, "***"))
    return _run(args, options)


def _against_fake_server(args: argparse.Namespace, business_units: list[int]) -> int:
    from hubspot_commprefs.testing import (  # noqa: PLC0415 - keep --help fast
        DEFAULT_TOKEN,
        FakeHubSpot,
        RateLimit,
    )

    try:
        server = FakeHubSpot(faults=args.fault, rate_limit=RateLimit(max_requests=FAKE_RATE_LIMIT))
    except ValueError as exc:
        return _usage(str(exc))
    chosen = _settings(args)
    chosen["target_label"] = "the bundled fake server" + (
        f", faults: {', '.join(args.fault)}" if args.fault else ""
    )
    # The server stops with the run: the report's curls go to the same server started again on a fixed port.
    chosen["reproduce_setup"] = shlex.join(
        ["hubspot-commprefs", "mock-server", "--port", str(REPRODUCE_PORT)]
        + [part for fault in args.fault for part in ("--fault", fault)]
    )
    chosen["reproduce_base_url"] = f"http://127.0.0.1:{REPRODUCE_PORT}"
    chosen["reproduce_token"] = "${HUBSPOT_ACCESS_TOKEN:-" + DEFAULT_TOKEN + "}"
    if args.subscriber:
        chosen["subscribers"] = args.subscriber
    if business_units:
        chosen["business_unit_ids"] = [None, *business_units]
    with server:
        try:
            options = server.conformance_options(**chosen)
        except ValueError as exc:
            return _usage(str(exc))
        return _run(args, options)


def _run(args: argparse.Namespace, options: ConformanceOptions) -> int:
    from hubspot_commprefs.conformance import (  # noqa: PLC0415 - keep --help fast
        ProgressLine,
        console_report,
        run_conformance,
        write_reports,
    )

    progress = ProgressLine(sys.stderr, enabled=args.progress)
    try:
        result = run_conformance(options, progress=progress)
    except ValueError as exc:
        return _usage(str(exc).replace(options.token, "***"))
    finally:  # also on Ctrl-C: what is printed next starts on a clean line
        progress.close()
    print(console_report(result))
    if args.report_dir:
        try:
            paths = write_reports(result, args.report_dir)
        except OSError as exc:  # checked before the run: it went away or filled up since
            print(f"hubspot-commprefs conformance: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"Reports: {', '.join(str(p) for p in paths)}")
    return result.exit_code
