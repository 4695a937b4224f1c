"""The ``hubspot-commprefs`` command line: every parser is built at start-up (the standard library and the
client only), so that ``--help`` and usage errors answer fast; the module of the command that runs is
imported only then. Exit codes: ``hubspot_commprefs._exit_codes``; a closed standard output (``| head``)
ends a command with 1 (``bulk``: 3), without a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, cast

from hubspot_commprefs._extras import harness_problem
from hubspot_commprefs._logging import unknown_level_warning
from hubspot_commprefs._version import __version__
from hubspot_commprefs.cli import _parsers, commands
from hubspot_commprefs.cli._arguments import CommandLineParser
from hubspot_commprefs.cli.commands._common import (
    BASE_URL_HELP,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    TIMEOUT_HELP,
    add_global_options,
    fail,
    global_options_given,
    stdout_to_devnull,
    warn,
)
from hubspot_commprefs.schemas import api_version

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

PROG = "hubspot-commprefs"


def build_parser() -> CommandLineParser:
    parser = CommandLineParser(
        prog=PROG,
        description="Ask HubSpot whether you may email a contact, and test that HubSpot still answers "
        f"as version {api_version()} of its Communication Preferences API says.",
        epilog="The access token is read from the HUBSPOT_ACCESS_TOKEN environment variable, never from a "
        "flag. Exit codes: 0 success, 1 a failure the command reports, 2 a usage error, 3 bulk stopped early "
        "(see bulk --help), 4 conformance got no answer from the server (see conformance --help), "
        "130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    add_global_options(
        parser,
        on_command=False,
        base_url_help=BASE_URL_HELP + " (statuses, unsubscribe-all, bulk, conformance)",
        timeout_help=TIMEOUT_HELP + " (statuses, unsubscribe-all, bulk, conformance)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _parsers.add_lookups(subparsers)
    _parsers.add_bulk(subparsers)
    _parsers.add_conformance(subparsers)
    _parsers.add_spec_diff(subparsers)
    _parsers.add_mock_server(subparsers)
    return parser


def _runner(args: argparse.Namespace) -> Callable[[argparse.Namespace], int] | str:
    """The function that runs ``args.command`` (its module imported now), or why it cannot run."""
    if getattr(args, "needs_harness", False):
        missing = harness_problem(args.command)
        if missing is not None:
            return missing
    module, function = args.runs.split(".")
    return cast(
        "Callable[[argparse.Namespace], int]",
        getattr(importlib.import_module(f"{commands.__name__}.{module}"), function),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_command_line(argv)
    if args.command is None:
        parser.print_help()
        return 0
    unused = [] if getattr(args, "uses_global_options", False) else global_options_given(args)
    if unused:
        parser.error("; ".join(f"{flag} does not apply to {args.command}" for flag in unused))
    log_warning = unknown_level_warning()  # said here, in one line, so the client does not warn again
    if log_warning is not None:
        warn(log_warning)
    run = _runner(args)
    if isinstance(run, str):
        return fail(run, EXIT_USAGE)
    try:
        code = run(args)
        sys.stdout.flush()
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of stdout went away (``| head``): stop quietly, not with 0
        stdout_to_devnull()
        return EXIT_FAILED
    return code
