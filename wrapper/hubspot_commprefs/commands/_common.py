"""What the lookup and bulk commands share: the client from the environment, and how errors exit.

Standard library only at import time (see ``hubspot_commprefs.commands``).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from hubspot_commprefs._base import port_problem

if TYPE_CHECKING:
    import argparse

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_STOPPED = 3
TOKEN_ENV = "HUBSPOT_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a token
BASE_URL_ENV = "HUBSPOT_BASE_URL"


def fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"hubspot-commprefs: {message}", file=sys.stderr)
    return code


def shown(text: str) -> str:
    """``text`` for a terminal: as is when printable, else escaped (``repr``), so that a control character
    in an id (an escape sequence) is never sent raw to the terminal."""
    return text if text.isprintable() else repr(text)


def base_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a base URL the CLI accepts, or None (the client checks the rest)."""
    if not url.strip():
        return "the base URL is empty (leave the option out for HubSpot's own host)"
    port = port_problem(url)
    if port is not None:
        return f"the base URL {shown(url)} has an invalid port ({port})"
    return None


def stdout_to_devnull() -> None:
    """Point the standard output's file descriptor at the null device, after writing to it failed (a
    closed pipe, a full disk), so that the interpreter's last flush at exit does not fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


RECORD_HELP = (
    "save every answer in DIR/recording.jsonl (DIR is created when missing), for mock-server --replay DIR: "
    "the request, the status, the headers that matter and the body as received. It holds the portal's "
    "contact data; never the token. What the command does and prints stays the same"
)


def add_record_option(parser: argparse.ArgumentParser) -> None:
    """``--record DIR``, on every command that talks to a server."""
    parser.add_argument("--record", metavar="DIR", default=None, help=RECORD_HELP)


def check_record_dir(args: argparse.Namespace) -> None:
    """Create and check ``--record DIR`` before any request (ValueError, a usage error, naming it)."""
    if getattr(args, "record", None) is not None:
        from hubspot_commprefs._recording import prepare_recording_dir  # noqa: PLC0415 - keep --help fast

        prepare_recording_dir(args.record, "--record")


def client_options(args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    """Keyword arguments for ``CommPrefs``/``AsyncCommPrefs``: the token stays in the environment.

    Raises ValueError (a usage error) when there is no token, when ``HUBSPOT_BASE_URL`` (used when
    ``--base-url`` is not given) is not a base URL, or when ``--record DIR`` cannot be a recording.
    """
    if not os.environ.get(TOKEN_ENV):
        # The client's own message also says "pass access_token=...", which only makes sense in Python.
        raise ValueError(f"no HubSpot access token: set the {TOKEN_ENV} environment variable")
    options: dict[str, Any] = dict(extra)
    check_record_dir(args)
    if getattr(args, "record", None) is not None:
        options["record_to"] = args.record
    if getattr(args, "timeout", None) is not None:
        options["timeout"] = args.timeout
    if args.base_url is not None:
        options["base_url"] = args.base_url.strip()
    else:
        from_env = os.environ.get(BASE_URL_ENV)
        problem = base_url_problem(from_env) if from_env else None  # empty: HubSpot's host, as in Python
        if problem is not None:
            raise ValueError(f"{BASE_URL_ENV}: {problem}")
    return options
