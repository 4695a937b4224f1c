"""What the lookup and bulk commands share: the client from the environment, and how errors exit.

Standard library only at import time (see ``hubspot_commprefs.commands``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_STOPPED = 3
TOKEN_ENV = "HUBSPOT_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a token


def fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"hubspot-commprefs: {message}", file=sys.stderr)
    return code


def client_options(args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    """Keyword arguments for ``CommPrefs``/``AsyncCommPrefs``: the token stays in the environment."""
    options: dict[str, Any] = dict(extra)
    if args.base_url:
        options["base_url"] = args.base_url
    return options
