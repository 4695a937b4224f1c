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

from hubspot_commprefs.cli.commands._common import EXIT_USAGE, TOKEN_ENV, check_record_dir
from hubspot_commprefs.client import normalise_subscriber_id
from hubspot_commprefs.conformance import (
    ConformanceOptions,
    ProgressLine,
    ReportDirError,
    console_report,
    prepare_report_dir,
    run_conformance,
    write_reports,
)
from hubspot_commprefs.testing import DEFAULT_TOKEN, FakeHubSpot, RateLimit

if TYPE_CHECKING:
    import argparse

FAKE_RATE_LIMIT = 100_000  # the bundled server's limit: high, so that an unpaced run is never answered 429
REPRODUCE_PORT = 8089  # mock-server's default port: where the report's curls find the fake server again


def _usage(message: str) -> int:
    print(f"hubspot-commprefs conformance: {message}", file=sys.stderr)
    return EXIT_USAGE


def _problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the flags, found before any request (a run must not end with its reports or its
    recording lost). Each ``--subscriber`` is kept as the client would send it, by its one rule for ids."""
    for flag, value in (("--max-examples", args.max_examples), ("--max-requests", args.max_requests)):
        if value < 1:
            return f"{flag} must be at least 1"
    if args.rate is not None and not 0 <= args.rate < math.inf:
        return "--rate must be a number, 0 or more (0: no pacing)"
    try:
        args.subscriber = [normalise_subscriber_id(subscriber) for subscriber in args.subscriber]
    except ValueError as exc:
        return f"--subscriber: {exc}"
    try:
        if args.report_dir is not None:
            prepare_report_dir(args.report_dir)
    except ReportDirError as exc:
        return f"--report-dir: {exc}"
    try:
        check_record_dir(args)
    except ValueError as exc:
        return str(exc)
    return None


def run(args: argparse.Namespace) -> int:
    problem = _problem(args)
    if problem:
        return _usage(problem)
    # The flags given; the rest keeps its default (--rate: 5/s for ConformanceOptions, unpaced from
    # FakeHubSpot.conformance_options).
    chosen = {
        "max_examples": args.max_examples,
        "max_requests": args.max_requests,
        "seed": args.seed,
        "timeout": args.timeout,
        "rate": args.rate,
        "record_to": args.record,
        "subscribers": args.subscriber or None,
        "business_unit_ids": None if args.business_unit_id is None else [None, args.business_unit_id],
    }
    settings = {name: value for name, value in chosen.items() if value is not None}
    # The flags only, never HUBSPOT_BASE_URL: without --base-url the suite checks the bundled fake server.
    base_url = (args.base_url or "").strip()
    if not base_url:
        return _against_fake_server(args, settings)
    if args.fault:
        return _usage("--fault applies to the bundled fake server only; leave out --base-url")
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        return _usage(f"set {TOKEN_ENV} to a token with the communication_preferences.read scope")
    try:
        options = ConformanceOptions(base_url=base_url, token=token, **settings)
    except ValueError as exc:
        return _usage(str(exc).replace(token, "***"))
    return _run(args, options)


def _against_fake_server(args: argparse.Namespace, settings: dict[str, Any]) -> int:
    try:
        server = FakeHubSpot(faults=args.fault, rate_limit=RateLimit(max_requests=FAKE_RATE_LIMIT))
    except ValueError as exc:
        return _usage(str(exc))
    setup = ["hubspot-commprefs", "mock-server", "--port", str(REPRODUCE_PORT)]
    setup += [part for fault in args.fault for part in ("--fault", fault)]
    label = f", faults: {', '.join(args.fault)}" if args.fault else ""
    # The server stops with the run: the report's curls go to the same server started again on a fixed port.
    settings |= {
        "target_label": f"the bundled fake server{label}",
        "reproduce_setup": shlex.join(setup),
        "reproduce_base_url": f"http://127.0.0.1:{REPRODUCE_PORT}",
        "reproduce_token": "${HUBSPOT_ACCESS_TOKEN:-" + DEFAULT_TOKEN + "}",
    }
    with server:
        try:
            options = server.conformance_options(**settings)
        except ValueError as exc:
            return _usage(str(exc))
        return _run(args, options)


def _run(args: argparse.Namespace, options: ConformanceOptions) -> int:
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
            return _usage(str(exc))
        print(f"Reports: {', '.join(str(p) for p in paths)}")
    return result.exit_code
