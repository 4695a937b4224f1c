"""The ``hubspot-commprefs`` command line.

At start-up only the standard library and the package itself are imported (``import hubspot_commprefs``
loads the client, so httpx, as any sub-package's import does), so that ``--help`` and ``--version``
answer fast; each sub-command (a module of ``hubspot_commprefs.cli.commands``, registered by ``pkgutil``)
imports what else it needs (bulk, the fake server, the conformance suite) when it runs.

Exit codes: 0 success; 1 the command ran and found a failure (it says which); 2 a usage error;
3 ``bulk`` stopped early (token refused or daily limit used up; ``--resume`` continues); 4 ``conformance``
got no answer from the server (a handful of requests in a row refused, reset or timed out); 130
interrupted (Ctrl-C). Commands may document more codes in their own ``--help``. A closed standard output (``| head``)
ends a command with 1 (``bulk``: 3), without a traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import TYPE_CHECKING

from hubspot_commprefs._logging import unknown_level_warning
from hubspot_commprefs._version import __version__
from hubspot_commprefs.cli import commands
from hubspot_commprefs.cli._arguments import CommandLineParser
from hubspot_commprefs.cli.commands._common import (
    BASE_URL_HELP,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    TIMEOUT_HELP,
    add_global_options,
    global_options_given,
    stdout_to_devnull,
    warn,
)
from hubspot_commprefs.schemas import api_version

if TYPE_CHECKING:
    from collections.abc import Sequence

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
    modules = [
        importlib.import_module(f"{commands.__name__}.{info.name}")
        for info in pkgutil.iter_modules(commands.__path__)
        if not info.name.startswith("_")
    ]
    for module in sorted(modules, key=lambda m: (m.ORDER, m.__name__)):
        module.register(subparsers)
    return parser


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
    try:
        code: int = args.run(args)
        sys.stdout.flush()
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of stdout went away (``| head``): stop quietly, not with 0
        stdout_to_devnull()
        return EXIT_FAILED
    return code
