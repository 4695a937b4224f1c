"""``hubspot-commprefs bulk INPUT``: look many contacts up at HubSpot's rate-limit ceiling, resumably."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from hubspot_commprefs.commands._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
    TOKEN_ENV,
    client_options,
    fail,
)

if TYPE_CHECKING:
    import argparse

ORDER = 30
DESCRIPTION = f"""\
Look up every subscriber of INPUT and write one row per input row, in input order: the row number, the
id, the outcome (ok, error, invalid, duplicate), whether the contact is unsubscribed from all email, its
subscription statuses, and the error of a row that failed. INPUT is a CSV file whose email column is found
by name (email, e-mail, email address, subscriber...) or named with --column, a file with one id per line,
or - for standard input. The token is read from {TOKEN_ENV}.

Requests are paced under --rate in every rolling window, as HubSpot counts them; the pace slows down when
HubSpot's rate-limit headers or a 429 say so, and rate-limited rows are retried. Every finished row is on
disk at once (rows that finish early wait in OUTPUT.journal), so after Ctrl-C or a crash, --resume does
only the rows not yet done."""
EPILOG = """\
rates: REQUESTS/WINDOW (100/10s, 50/s, 20/500ms) or a HubSpot tier: free and starter = 100/10s,
professional and enterprise = 190/10s, api-limit-increase = 250/10s (default 100/10s).

exit codes: 0 every row looked up; 1 some rows failed or hold an invalid id (each says why on its row);
2 a usage error (bad option, unreadable INPUT, OUTPUT exists without --resume or --overwrite, an OUTPUT
that does not belong to INPUT); 3 stopped early, with rows not done: every further lookup would fail the
same way (the token was refused, 401/403, the daily limit is used up, or a 429 asked to wait longer than
60 s), or a row could not be written (disk full), or an unexpected error: finished rows are on disk, run
again with --resume; 130 interrupted (Ctrl-C): finished rows are on disk, run again with --resume."""


def register(subparsers: Any) -> None:
    import argparse  # noqa: PLC0415 - only for the formatter class

    parser = subparsers.add_parser(
        "bulk",
        help="look many contacts up, at the rate limit, resumably",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "input", metavar="INPUT", help="a CSV file, a file of one id per line, or - for stdin"
    )
    parser.add_argument("-o", "--output", metavar="OUTPUT", help="where to write the rows (default stdout)")
    parser.add_argument(
        "--format",
        choices=("csv", "jsonl"),
        help="the output format (default: from OUTPUT's suffix, else csv)",
    )
    parser.add_argument("--column", metavar="NAME", help="the CSV column that holds the email address")
    parser.add_argument("--rate", default="100/10s", help="at most this many requests per rolling window")
    parser.add_argument(
        "--concurrency", type=int, default=10, metavar="N", help="requests in flight at once (default 10)"
    )
    parser.add_argument(
        "--check",
        choices=("both", "unsubscribe-all", "statuses"),
        default="both",
        help="what to ask per contact (default both: two requests per contact)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue OUTPUT: do only the rows not yet done"
    )
    parser.add_argument("--overwrite", action="store_true", help="start OUTPUT over if it exists")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress", action="store_true", default=None, help="draw the progress bar (default: on a terminal)"
    )
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    parser.set_defaults(run=run)


class _Plan(NamedTuple):
    rate: Any
    rows: list[Any]
    output: Path | None
    output_format: Any
    resume: Any


class _Usage(Exception):  # noqa: N818 - a control-flow signal inside this module
    pass


def _plan(args: argparse.Namespace) -> _Plan:
    """Check the options and read the input; raise _Usage with the message for a usage error."""
    from hubspot_commprefs._bulk_io import (  # noqa: PLC0415 - keep --help fast
        BulkInputError,
        ResumeError,
        ResumeState,
        load_resume,
        output_format_for,
        read_input,
    )
    from hubspot_commprefs._rate_limiter import Rate  # noqa: PLC0415

    if args.concurrency < 1:
        raise _Usage(f"--concurrency must be at least 1, not {args.concurrency}")
    unit = args.business_unit_id
    if unit is not None and not -(2**63) <= unit < 2**63:  # else every row would be refused alike
        raise _Usage(f"--business-unit-id {unit} is out of the int64 range")
    if args.resume and args.overwrite:
        raise _Usage("--resume and --overwrite contradict each other")
    output = Path(args.output) if args.output not in (None, "-") else None
    if output is None and args.resume:
        raise _Usage("--resume needs --output: there is nothing to resume on standard output")
    try:
        rate = Rate.parse(args.rate)
        output_format = output_format_for(args.output, args.format)
        if output is not None and args.input != "-" and output.resolve() == Path(args.input).resolve():
            raise _Usage("OUTPUT is INPUT: choose another output file")
        rows = read_input(args.input, column=args.column)
        resume = ResumeState(written=0, journaled={})
        if output is not None and output.exists() and output.stat().st_size > 0:
            if args.resume:
                resume = load_resume(output, output_format, rows)
            elif not args.overwrite:
                raise _Usage(f"{output} exists: --resume to continue it, or --overwrite to start it over")
    except (ValueError, BulkInputError, ResumeError) as error:
        raise _Usage(str(error)) from None
    return _Plan(rate, rows, output, output_format, resume)


def run(args: argparse.Namespace) -> int:
    try:
        plan = _plan(args)
    except _Usage as error:
        return fail(str(error), EXIT_USAGE)
    import asyncio  # noqa: PLC0415 - keep --help fast
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    from hubspot_commprefs import CommPrefs, CommPrefsError  # noqa: PLC0415

    try:
        client = CommPrefs(**client_options(args))
    except (CommPrefsError, ValueError) as error:
        return fail(str(error), EXIT_USAGE)
    # The blocking client in a few threads: less CPU per request than httpx's async client.
    with client, ThreadPoolExecutor(args.concurrency, thread_name_prefix="bulk-lookup") as executor:
        try:
            return asyncio.run(_run(args, client, executor, plan))
        finally:
            executor.shutdown(wait=True, cancel_futures=True)


async def _run(args: argparse.Namespace, client: Any, executor: Any, plan: _Plan) -> int:
    from hubspot_commprefs._bulk import BulkLookup  # noqa: PLC0415
    from hubspot_commprefs._bulk_api import threaded_call  # noqa: PLC0415
    from hubspot_commprefs._bulk_io import OrderedSink, RecordWriter, journal_path, open_writer  # noqa: PLC0415
    from hubspot_commprefs._progress import ProgressBar  # noqa: PLC0415

    rate, rows, output, output_format, resume = plan
    done = set(range(1, resume.written + 1)) | set(resume.journaled)
    if output is None:
        writer = RecordWriter(sys.stdout, output_format, write_header=True)
        sink = OrderedSink(writer, journal=None)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        writer = open_writer(output, output_format, resume=args.resume)
        sink = OrderedSink(
            writer, journal=journal_path(output), next_row=resume.written + 1, ready=resume.journaled
        )
    progress = ProgressBar(len(rows), done=len(done), enabled=args.progress)

    def record(outcome: Any) -> None:
        sink.finish(outcome.row, outcome.to_record())
        progress.advance(failed=outcome.outcome in ("error", "invalid"))

    engine = BulkLookup(
        threaded_call(client, executor, business_unit_id=args.business_unit_id),
        rate=rate,
        concurrency=args.concurrency,
        check=args.check,
        on_finish=record,
    )
    started = time.monotonic()
    stopped: str | None = "interrupted"
    try:
        stopped = await _drain(engine.outcomes(rows, skip=done))
    finally:
        complete = stopped is None and sink.next_row == len(rows) + 1
        try:
            sink.close(complete=complete)
        except OSError as error:
            complete = False
            stopped = stopped or f"cannot write the output: {error}"
        progress.close()
        _print_summary(
            engine.stats, plan, sink, time.monotonic() - started, done=len(done), complete=complete
        )
    if stopped is not None:
        return fail(f"stopped: {stopped}", EXIT_STOPPED)
    if not complete:  # never exit 0 with rows missing from the output
        return fail(f"stopped: {len(rows) - sink.next_row + 1} rows are not written", EXIT_STOPPED)
    by_outcome = engine.stats.by_outcome
    failed = by_outcome.get("error", 0) + by_outcome.get("invalid", 0) + resume.failed
    return EXIT_FAILED if failed else EXIT_OK


async def _drain(outcomes: Any) -> str | None:
    """Run the lookups to the end: None when nothing stopped them, else why they stopped."""
    from hubspot_commprefs._config import MAX_SERVER_DELAY  # noqa: PLC0415
    from hubspot_commprefs._errors import CommPrefsError  # noqa: PLC0415

    try:
        async for _ in outcomes:
            pass  # each row was recorded by on_finish the moment it finished
    except CommPrefsError as error:
        wait: float | None = getattr(error, "retry_after", None)
        if wait is not None and wait > MAX_SERVER_DELAY:
            return (
                f"{type(error).__name__}: {error} (HubSpot asked to wait {wait:g} s; the most this tool "
                f"waits is {MAX_SERVER_DELAY:g} s)"
            )
        return f"{type(error).__name__}: {error}"
    except OSError as error:  # writing a row failed (disk full...): that row and the rest are not done
        return f"cannot write the output: {error}"
    except Exception as error:  # noqa: BLE001 - a bug; the rows finished before it are on disk
        return f"unexpected {type(error).__name__}: {error}"
    finally:
        await outcomes.aclose()
    return None


def _print_summary(stats: Any, plan: _Plan, sink: Any, elapsed: float, *, done: int, complete: bool) -> None:
    from hubspot_commprefs._bulk_io import journal_path  # noqa: PLC0415

    output, resume = plan.output, plan.resume
    where = f" to {output}" if output is not None else ""
    counts = (
        ", ".join(f"{count} {name}" for name, count in sorted(stats.by_outcome.items())) or "none finished"
    )
    print(
        f"hubspot-commprefs: {stats.rows} rows{where} ({counts}) in {elapsed:.1f} s: "
        f"{stats.requests} requests ({stats.requests / elapsed if elapsed else 0:.1f}/s), "
        f"{stats.rate_limited} answered 429; {done} rows done before ({resume.failed} failed)",
        file=sys.stderr,
    )
    if not complete and output is not None:
        print(
            f"hubspot-commprefs: {sink.next_row - 1} rows written in order, {sink.pending} more in "
            f"{journal_path(output).name}: run again with --resume to finish",
            file=sys.stderr,
        )
