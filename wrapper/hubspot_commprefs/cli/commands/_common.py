"""What the commands share: the global options, the client's options from the flags and the environment,
and how errors exit. It imports the client only (loaded at start-up anyway), so the parsers can use it."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from hubspot_commprefs._exit_codes import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NO_ANSWER,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
)
from hubspot_commprefs.client import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_TIMEOUT,
    port_problem,
    prepare_recording_dir,
    resolve_base_url,
)
from hubspot_commprefs.client import ENV_ACCESS_TOKEN as TOKEN_ENV
from hubspot_commprefs.client import ENV_BASE_URL as BASE_URL_ENV

__all__ = [
    "BASE_URL_ENV",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NO_ANSWER",
    "EXIT_OK",
    "EXIT_STOPPED",
    "EXIT_USAGE",
    "TOKEN_ENV",
]


def fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"hubspot-commprefs: {message}", file=sys.stderr)
    return code


def warn(message: str) -> None:
    """Something the user should know that does not change the outcome (nor the exit code)."""
    print(f"hubspot-commprefs: warning: {message}", file=sys.stderr)


def shown(text: str) -> str:
    """``text`` for a terminal: as is when printable, else escaped (``repr``), so that a control character
    in an id (an escape sequence) is never sent raw to the terminal."""
    return text if text.isprintable() else repr(text)


def base_url_option(value: str) -> str:
    """``--base-url``: refused when empty (the client would fall back to HubSpot's host and send the token
    there) or when its port is not a port; the client checks the rest."""
    if not value.strip():
        raise argparse.ArgumentTypeError(
            "the base URL is empty: leave the option out for the default (see --help)"
        )
    port = port_problem(value)
    if port is not None:
        raise argparse.ArgumentTypeError(f"the base URL {shown(value)} has an invalid port ({port})")
    return value


def seconds_option(value: str) -> float:
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


BASE_URL_HELP = (
    "the API's base URL (default: env HUBSPOT_BASE_URL, else https://api.hubapi.com; conformance uses "
    "only this flag)"
)
BUSINESS_UNIT_HELP = "the business unit to read (HubSpot's default business unit is 0)"
TIMEOUT_HELP = (
    "the longest one attempt may take in all, however slowly the server answers "
    f"(default {DEFAULT_TIMEOUT_SECONDS:g}); a lookup "
    f"makes at most {DEFAULT_MAX_RETRIES + 1} attempts (retries of 429, 5xx and no answer)"
)


def add_global_options(
    parser: argparse.ArgumentParser,
    *,
    on_command: bool = True,
    base_url_help: str = BASE_URL_HELP,
    timeout_help: str = TIMEOUT_HELP,
) -> None:
    """``--base-url``, ``--business-unit-id`` and ``--timeout``, on the main parser and on each command that
    uses them: accepted before or after the command. On the main parser each defaults to None (not given);
    on a command one not given sets nothing (``SUPPRESS``), so a value given after the command wins."""
    default = argparse.SUPPRESS if on_command else None
    group = parser.add_argument_group("global options (before or after the command)")
    group.add_argument("--base-url", type=base_url_option, default=default, metavar="URL", help=base_url_help)
    group.add_argument("--business-unit-id", type=int, default=default, metavar="ID", help=BUSINESS_UNIT_HELP)
    group.add_argument(
        "--timeout", type=seconds_option, default=default, metavar="SECONDS", help=timeout_help
    )
    if on_command:
        parser.set_defaults(uses_global_options=True)


def global_options_given(args: argparse.Namespace) -> list[str]:
    """The global options given (before the command), for a command that has no use for them."""
    names = ("base_url", "business_unit_id", "timeout")
    return ["--" + name.replace("_", "-") for name in names if getattr(args, name, None) is not None]


def stdout_to_devnull() -> None:
    """Point the standard output at the null device after writing to it failed (a closed pipe, a full disk),
    so that the interpreter's last flush at exit does not fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def add_progress_option(parser: argparse.ArgumentParser, *, shows: str) -> None:
    """``--progress`` / ``--no-progress``: ``args.progress`` is None when neither is given (draw only when
    stderr is a terminal), else True or False."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--progress",
        action="store_true",
        default=None,
        help=f"show {shows} on stderr (default: on a terminal)",
    )
    group.add_argument("--no-progress", dest="progress", action="store_false", help=f"do not show {shows}")


RECORD_HELP = (
    "save every answer in DIR/recording.jsonl (DIR is created when missing), for mock-server --replay DIR: "
    "the request, the status, the headers that matter and the body as received. It holds the portal's "
    "contact data; never the token. What the command does and prints stays the same"
)


def add_record_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--record", metavar="DIR", default=None, help=RECORD_HELP)


def check_record_dir(args: argparse.Namespace) -> None:
    """Create and check ``--record DIR`` before any request (ValueError, a usage error, naming it)."""
    if getattr(args, "record", None) is not None:
        prepare_recording_dir(args.record, "--record")


def client_options(args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    """Keyword arguments for ``CommPrefs``/``AsyncCommPrefs`` (the token stays in the environment); a
    ValueError (a usage error) for no token, a bad ``HUBSPOT_BASE_URL`` or a ``--record DIR`` refused."""
    if not os.environ.get(TOKEN_ENV, "").strip():
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
        from_env = os.environ.get(BASE_URL_ENV, "")
        if from_env.strip():
            try:
                base_url_option(from_env)
            except argparse.ArgumentTypeError as error:
                raise ValueError(f"{BASE_URL_ENV}: {error}") from None
        resolve_base_url(None)  # the client's own checks of it (set but empty, say), before any work
    return options
