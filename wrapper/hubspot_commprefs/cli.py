"""The ``hubspot-commprefs`` command line.

Only the standard library is imported at start-up, so that ``--help`` and ``--version`` answer fast; each
sub-command (a module of ``hubspot_commprefs.commands``) imports what it needs when it runs.

Exit codes: 0 success; 1 the command ran and found a failure (it says which); 2 a usage error;
3 ``bulk`` stopped early (token refused or daily limit used up; ``--resume`` continues); 4 ``conformance``
got no answer from the server (a handful of requests in a row refused, reset or timed out); 130
interrupted (Ctrl-C). Commands may document more codes in their own ``--help``. A closed standard output (``| head``)
ends a command with 1 (``bulk``: 3), without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import TYPE_CHECKING

from hubspot_commprefs import commands
from hubspot_commprefs._config import MAX_TIMEOUT
from hubspot_commprefs._version import __version__
from hubspot_commprefs.commands._common import EXIT_FAILED, base_url_problem, stdout_to_devnull

if TYPE_CHECKING:
    from collections.abc import Sequence

PROG = "hubspot-commprefs"
EXIT_INTERRUPTED = 130


def _base_url(value: str) -> str:
    """``--base-url``: refused when empty (the client would fall back to HubSpot's host and send the token
    there) or when its port is not a port; the client checks the rest."""
    problem = base_url_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value


def _seconds(value: str) -> float:
    """``--timeout``: a positive, finite number of seconds (at most a day)."""
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0 < seconds <= MAX_TIMEOUT:  # also refuses NaN and infinity
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {MAX_TIMEOUT:g} seconds, not {value}"
        )
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Ask HubSpot whether you may email a contact, and test that HubSpot still answers "
        "as its Communication Preferences API (2026-03) says.",
        epilog="The access token is read from the HUBSPOT_ACCESS_TOKEN environment variable, never from a "
        "flag. Exit codes: 0 success, 1 a failure the command reports, 2 a usage error, 3 bulk stopped early "
        "(see bulk --help), 4 conformance got no answer from the server (see conformance --help), "
        "130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--base-url",
        type=_base_url,
        default=None,  # not the environment's: conformance starts its own server unless given this flag
        metavar="URL",
        help="the API's base URL (for statuses, unsubscribe-all and bulk, else env HUBSPOT_BASE_URL, "
        "else https://api.hubapi.com; conformance uses only this flag)",
    )
    parser.add_argument(
        "--business-unit-id",
        type=int,
        default=None,
        metavar="ID",
        help="the business unit to read (HubSpot's default business unit is 0)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="the longest one request may take in all, however slowly the server answers (statuses, "
        "unsubscribe-all and bulk; default 10)",
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
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
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


if __name__ == "__main__":
    sys.exit(main())
