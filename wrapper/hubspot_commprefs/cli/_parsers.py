"""Every command's parser, and where the function that runs it is: ``runs="MODULE.FUNCTION"`` names a
module of ``hubspot_commprefs.cli.commands``, which ``hubspot_commprefs.cli`` imports only when that
command runs. So ``--help`` and a usage error load no command's dependencies (bulk, the fake server, the
conformance suite), and each command module imports what it needs at its top. ``needs_harness`` marks the
commands that need the harness extra: they say so, with exit 2, before their module is imported.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from hubspot_commprefs._faults import DEFAULT_BOMB_SIZE as BOMB_SIZE
from hubspot_commprefs._faults import DEFAULT_OVERSIZED_BODY_SIZE as OVERSIZED_BODY_SIZE
from hubspot_commprefs._faults import DEFAULT_TRICKLE_INTERVAL as TRICKLE_INTERVAL
from hubspot_commprefs._faults import FAULT_HELP, Fault
from hubspot_commprefs.cli.commands._common import (
    TOKEN_ENV,
    add_global_options,
    add_progress_option,
    add_record_option,
)
from hubspot_commprefs.client import DEFAULT_TIMEOUT_SECONDS
from hubspot_commprefs.spec_diff import MAX_DOCUMENT_BYTES

if TYPE_CHECKING:
    from hubspot_commprefs.cli._arguments import CommandLineParser

    Subparsers = argparse._SubParsersAction[CommandLineParser]


EXIT_CODES = (
    "Exit codes: 0 HubSpot answered (the answer is printed); 1 HubSpot answered with an error, or with an "
    "operation that is not COMPLETE or carries errors (printed as CANNOT TELL / INCOMPLETE, with a warning on "
    "stderr), or with a wide status this client does not know, or could not be reached, or the answer could "
    f"not be written (a closed pipe, a full disk); 2 a usage error (a missing {TOKEN_ENV}, an empty or "
    "blank subscriber id, or one that cannot be sent, a bad --base-url or --record); 130 interrupted."
)


def add_lookups(subparsers: Subparsers) -> None:
    for name, summary, description in (
        (
            "statuses",
            "a contact's status for every subscription type",
            "Ask HubSpot for SUBSCRIBER's status for every subscription type (email channel).",
        ),
        (
            "unsubscribe-all",
            "whether a contact opted out of all email",
            "Ask HubSpot whether SUBSCRIBER opted out of all email, portal-wide or for a business unit.",
        ),
    ):
        parser = subparsers.add_parser(
            name,
            help=summary,
            description=f"{description} The token is read from {TOKEN_ENV}.",
            epilog=EXIT_CODES,
        )
        parser.add_argument("subscriber", metavar="SUBSCRIBER", help="the contact's email address")
        if name == "unsubscribe-all":
            parser.add_argument(
                "--verbose",
                action="store_true",
                help="ask HubSpot for the wide statuses even when not opted out",
            )
        parser.add_argument(
            "--json", action="store_true", help="print HubSpot's JSON body as received, byte for byte"
        )
        parser.add_argument(
            "--pretty",
            action="store_true",
            help="print HubSpot's JSON body indented (its keys in their order, its values as sent; implies --json)",
        )
        add_record_option(parser)
        add_global_options(parser)
        parser.set_defaults(runs="lookup.run_" + name.replace("-", "_"))


BULK_DESCRIPTION = f"""\
Look up every subscriber of INPUT and write one row per input row, in input order: INPUT's --keep columns,
then the row number, the id, the outcome (ok, error, cannot-tell, invalid, duplicate), whether the contact
is unsubscribed from all email (empty when HubSpot's answer cannot tell), its subscription statuses and
the error of a row that failed. INPUT: a CSV whose email column is found by name or given with --column,
a file of one id per line, or - for stdin. OUTPUT starts with a byte-order mark when a CSV INPUT does, and
ends its lines as INPUT does. Requests stay under --rate in every rolling window, slowing down on HubSpot's
rate-limit headers and 429s. Every finished row is on disk at once (early ones in OUTPUT.journal): after
Ctrl-C or a crash, --resume does only the rows not done. The token is read from {TOKEN_ENV}."""
BULK_EPILOG = """\
rates: REQUESTS/WINDOW (100/10s, 50/s, 20/500ms) or a HubSpot tier: free and starter = 100/10s,
professional and enterprise = 190/10s, api-limit-increase = 250/10s (default 100/10s).

exit codes: 0 every row done, none an error or cannot tell (empty, invalid and duplicate ids are counted
apart: with --strict they make it 1); 1 some rows are errors or cannot tell; 2 a usage error (a bad option
or --keep column, unreadable INPUT, OUTPUT exists without --resume or --overwrite, is being written by
another run, does not belong to INPUT or was made with another --check or --keep, or cannot be written);
3 stopped early, rows not done (the token was refused, the daily limit is used up, a 429 asked to wait
over 60 s, the server looks down, a row could not be written): run again with --resume; 130 interrupted
(Ctrl-C): finished rows are on disk, run again with --resume."""


def add_bulk(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "bulk",
        help="look many contacts up, at the rate limit, resumably",
        description=BULK_DESCRIPTION,
        epilog=BULK_EPILOG,
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
    parser.add_argument(
        "--column",
        metavar="NAME|N",
        help="the CSV column that holds the email address: its header's name, or its number from 1",
    )
    parser.add_argument(
        "--no-header",
        action="store_true",
        help="the CSV's first row is data (the email column: --column N, else the first holding an email)",
    )
    parser.add_argument(
        "--keep",
        metavar="COLUMNS",
        help="copy these columns of INPUT (header names, comma-separated, or all) into each output row, "
        "before the check's own, in INPUT's order",
    )
    parser.add_argument(
        "--encoding",
        metavar="NAME",
        help="INPUT's text encoding, e.g. cp1252 for a CSV saved by Excel on Windows (default utf-8)",
    )
    parser.add_argument("--rate", default="100/10s", help="at most this many requests per rolling window")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=10,
        metavar="N",
        help="the most requests in flight at once (default 10)",
    )
    parser.add_argument(
        "--check",
        choices=("both", "unsubscribe-all", "statuses"),
        default="both",
        help="what to ask per contact (default both: two requests per contact)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 also when a row holds an empty, invalid or duplicate id"
    )
    parser.add_argument("--resume", action="store_true", help="continue OUTPUT: do only the rows not done")
    parser.add_argument(
        "--retry-errors",
        action="store_true",
        help="with --resume: look the error and cannot-tell rows up again",
    )
    parser.add_argument("--overwrite", action="store_true", help="start OUTPUT over if it exists")
    add_progress_option(parser, shows="the progress bar")
    add_record_option(parser)
    add_global_options(parser)
    parser.set_defaults(runs="bulk.run")


def add_conformance(subparsers: Subparsers) -> None:
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
    parser.set_defaults(runs="conformance.run", needs_harness=True)


MIB = 1024 * 1024
MAX_MIB = 1024


def add_spec_diff(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "spec-diff",
        help="compare the bundled spec with another OpenAPI document (HubSpot's next definitions; needs the harness extra)",
        description="Compare the spec this client was generated from with OTHER (JSON or YAML, OpenAPI 3.0 "
        "or 3.1; it may hold many other operations): for each of our operations, matched by method and "
        "path (a different version segment is allowed and reported), list every difference in parameters, "
        "response fields, responses, security schemes and scopes, classified by its effect on this client: "
        "breaking, tolerated (the client copes, the spec should learn it), informational (theirs promises "
        "less in what they send: keep ours), cosmetic, or deliberate (described by an "
        "x-deliberate-difference marker of our spec). Schema names never matter, only structure.",
        epilog="Exit codes: 0 nothing to change (only informational, deliberate or cosmetic differences); 1 "
        "the spec needs an edit (a breaking or tolerated difference); 2 a document that cannot be read or "
        "compared (unreadable, larger than --max-size, nested too deeply, not JSON or YAML, not OpenAPI "
        "3.0/3.1, a remote or broken $ref, a malformed marker, too costly to compare).",
    )
    parser.add_argument(
        "other", metavar="OTHER", help="the other OpenAPI document (.json, else read as YAML)"
    )
    parser.add_argument(
        "--ours",
        metavar="SPEC",
        help="compare this spec instead of the bundled one (e.g. spec/communication-preferences-*.yaml)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON for CI (the differences, their counts, the verdict)"
    )
    parser.add_argument(
        "--cosmetic", action="store_true", help="list cosmetic differences too (by default only counted)"
    )
    parser.add_argument(
        "--max-size",
        metavar="MIB",
        type=_mebibytes,
        default=None,
        help=f"refuse a document larger than this many MiB (default {MAX_DOCUMENT_BYTES // MIB}), before "
        "reading it",
    )
    parser.set_defaults(runs="spec_diff.run")


def _mebibytes(text: str) -> int:
    try:
        size = float(text)
    except ValueError:
        size = -1.0
    if not 0 < size <= MAX_MIB:
        raise argparse.ArgumentTypeError(f"must be a number of MiB above 0, at most {MAX_MIB}: {text!r}")
    return int(size * MIB)


MAX_PORT = 65535


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"a port is 0 to {MAX_PORT}, not {port}")
    return port


_FAULTS = "; ".join(f"{fault.value} ({FAULT_HELP[fault]})" for fault in Fault)
"""The fault list of ``--help``, from the one list (``hubspot_commprefs._faults``)."""


def add_mock_server(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "mock-server",
        help="run a fake HubSpot server, driven by the spec, for offline tests (needs the harness extra)",
        description="Serve both endpoints of the spec with seeded, deterministic contacts. It accepts the "
        f"token in {TOKEN_ENV} when set, else the fake token it prints; any other token gets 401.",
        epilog=f"Faults: {_FAULTS}. Exit codes: 130 stopped with Ctrl-C (as any command interrupted), 2 a usage error (a bad flag, a "
        "bad data file, a taken port, a --replay DIR without a recording, or whose answers HTTP does not let "
        "it send as recorded (framing headers, a 1xx, a 204/304 with a body, a content-encoding the body does "
        "not match), or whose answers the spec does not allow without --replay-allow-drift).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=8089, help="the port; 0 picks a free one (default 8089)"
    )
    parser.add_argument("--data", metavar="FILE", help="a JSON dataset to serve instead of the seeded one")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="NAME", help="misbehave this way (repeatable)"
    )
    parser.add_argument(
        "--fault-every",
        type=int,
        default=1,
        metavar="N",
        help="apply the faults to every N-th answer (default 1)",
    )
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="delay every answer")
    parser.add_argument(
        "--trickle-interval",
        type=float,
        default=TRICKLE_INTERVAL,
        metavar="SECONDS",
        help=f"trickle: seconds between two bytes of the body (default {TRICKLE_INTERVAL:g})",
    )
    parser.add_argument(
        "--bomb-size",
        type=int,
        default=BOMB_SIZE,
        metavar="BYTES",
        help=f"gzip-bomb, gzip-bomb-nested: bytes the body decodes to (default {BOMB_SIZE}, 1 GiB)",
    )
    parser.add_argument(
        "--oversized-body-size",
        type=int,
        default=OVERSIZED_BODY_SIZE,
        metavar="BYTES",
        help=f"oversized-body: bytes of the body (default {OVERSIZED_BODY_SIZE})",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=190,
        metavar="N",
        help="requests per token per rolling window before a 429 (default 190, HubSpot's Professional tier)",
    )
    parser.add_argument(
        "--rate-limit-window-ms", type=int, default=10_000, metavar="MS", help="the window (default 10000)"
    )
    parser.add_argument(
        "--replay",
        metavar="DIR",
        help="answer each request recorded in DIR (with --record) with its recorded answer (the latest, "
        "when recorded twice), after the token check; anything else from the seeded data (or --data)",
    )
    parser.add_argument(
        "--replay-strict",
        action="store_true",
        help="with --replay: answer a request that was not recorded with a 404, not from the seeded data",
    )
    parser.add_argument(
        "--replay-allow-drift",
        action="store_true",
        help="with --replay: serve recorded answers the spec does not allow (listed on stderr) instead of "
        "refusing the recording",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no request log (by default one line per request on stderr: method, path with query, "
        "status and duration; never a header or the token)",
    )
    parser.set_defaults(runs="mock_server.run", needs_harness=True)
