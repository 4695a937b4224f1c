"""The ``hubspot-commprefs`` command line.

Only the standard library is imported here at start-up, so that ``--help`` and ``--version`` answer fast;
each sub-command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from hubspot_commprefs._version import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

PROG = "hubspot-commprefs"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Ask HubSpot whether you may email a contact, and test that HubSpot still answers "
        "as its Communication Preferences API (2026-03) says.",
        epilog="The access token is read from the HUBSPOT_ACCESS_TOKEN environment variable, never from a flag.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0  # pragma: no cover - every sub-command returns its own code


if __name__ == "__main__":
    sys.exit(main())
