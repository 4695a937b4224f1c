"""The ``hubspot-commprefs`` command line.

Only the standard library is imported at start-up, so that ``--help`` and ``--version`` answer fast; each
sub-command (a module of ``hubspot_commprefs.commands``) imports what it needs when it runs.

Exit codes: 0 success; 1 the command ran and found a failure (it says which); 2 a usage error;
3 ``bulk`` stopped early (token refused or daily limit used up; ``--resume`` continues); 130 interrupted
(Ctrl-C). Commands may document more codes in their own ``--help``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from typing import TYPE_CHECKING

from hubspot_commprefs import commands
from hubspot_commprefs._version import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

PROG = "hubspot-commprefs"
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Ask HubSpot whether you may email a contact, and test that HubSpot still answers "
        "as its Communication Preferences API (2026-03) says.",
        epilog="The access token is read from the HUBSPOT_ACCESS_TOKEN environment variable, never from a "
        "flag. Exit codes: 0 success, 1 a failure the command reports, 2 a usage error, 3 bulk stopped early "
        "(see bulk --help), 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("HUBSPOT_BASE_URL"),
        help="the API's base URL (env HUBSPOT_BASE_URL; default https://api.hubapi.com)",
    )
    parser.add_argument(
        "--business-unit-id",
        type=int,
        default=None,
        metavar="ID",
        help="the business unit to read (HubSpot's default business unit is 0)",
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
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


if __name__ == "__main__":
    sys.exit(main())
