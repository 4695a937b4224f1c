"""``hubspot-commprefs statuses SUBSCRIBER`` and ``hubspot-commprefs unsubscribe-all SUBSCRIBER``.

A readable table by default; with ``--json`` HubSpot's body as received, byte for byte (``--pretty``
indents it, keys in its order, date-times as sent), not the model's re-serialisation. The access token is
the one thing never printed as received: an answer that echoes it (in any field, raw or JSON-escaped)
shows ``[redacted]`` instead, said on stderr.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, TypeVar

import hubspot_commprefs
from hubspot_commprefs._errors import APIError, CommPrefsError
from hubspot_commprefs._logging import REDACTED, escape_surrogates, scrub, secret_from
from hubspot_commprefs.cli.commands._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    TOKEN_ENV,
    client_options,
    fail,
    shown,
    stdout_to_devnull,
    warn,
)
from hubspot_commprefs.client import (
    DEFAULT_CHANNEL,
    SubscriptionStatuses,
    UnsubscribeAllStatus,
    normalise_subscriber_id,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterable, Sequence

    from hubspot_commprefs.client import CommPrefs

Result = SubscriptionStatuses | UnsubscribeAllStatus
ResultT = TypeVar("ResultT", SubscriptionStatuses, UnsubscribeAllStatus)


def _text(value: Any) -> str:
    """A model's field for a table: raw enum values (known or not), '-' when absent."""
    if value is None or type(value).__name__ == "Unset":
        return "-"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(getattr(value, "value", value))


def _rows(items: Iterable[Any], fields: Sequence[str]) -> list[tuple[str, ...]]:
    return [tuple(_text(getattr(item, field)) for field in fields) for item in items]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [header, *rows]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _lookup(args: argparse.Namespace, ask: Callable[[CommPrefs], ResultT]) -> tuple[int, ResultT | None]:
    """``ask`` the client made from the flags and the environment: the exit code, and the result."""
    try:
        # The id the client sends (the one rule: whitespace around it removed) is the one shown.
        args.subscriber = normalise_subscriber_id(args.subscriber)
        # Looked up at each call (not imported by name), so that a test can replace it.
        with hubspot_commprefs.CommPrefs(**client_options(args)) as client:
            result = ask(client)
    except (ValueError, TypeError) as error:
        return fail(str(error), EXIT_USAGE), None
    except APIError as error:
        return fail(f"{type(error).__name__}: {error}"), None
    except CommPrefsError as error:  # not about an answer (no token is a ValueError, above)
        return fail(str(error), EXIT_USAGE), None
    return EXIT_OK, result


def _finish(args: argparse.Namespace, result: Result, text: str) -> int:
    secret = secret_from(os.environ.get(TOKEN_ENV))  # the token the lookup sent: never printed
    shown_text = body_as_received(result, pretty=args.pretty) if args.json or args.pretty else text
    printed = scrub(shown_text, secret)
    replaced = printed is not shown_text
    try:
        print(printed)
        sys.stdout.flush()
    except OSError as error:  # a closed pipe (``| head``) or a full disk: no traceback, never 0
        stdout_to_devnull()
        return fail(f"cannot write the answer to standard output: {error.strerror or error}", EXIT_FAILED)
    if replaced:
        warn(f"HubSpot's answer holds the access token (echoed back): it is shown as {REDACTED}")
    # Only DEFAULT_CHANNEL is asked about: statuses for another channel are shown, but never unremarked.
    others = sorted({_text(item.channel) for item in result} - {DEFAULT_CHANNEL})
    if others:
        warn(
            scrub(
                f"HubSpot's answer holds statuses for channel{'s' if len(others) > 1 else ''} "
                f"{', '.join(others)}, not {DEFAULT_CHANNEL}, the channel asked about (shown as received)",
                secret,
            )
        )
    reason = result.cannot_tell  # the result type's one rule of "cannot tell"
    if reason is not None:
        return fail(scrub(f"cannot tell: {reason}", secret))
    return EXIT_OK


def body_as_received(result: Result, *, pretty: bool = False) -> str:
    """HubSpot's JSON body as received, its bytes as text (UTF-16 JSON shown in the terminal's encoding);
    ``pretty``: indented, keys in their order, values as sent, non-ASCII readable. A lone surrogate is
    written as JSON's own escape, so the text reads back equal."""
    if pretty:
        text = json.dumps(result.body, indent=2, ensure_ascii=False)
    else:  # json.loads read these bytes already: they decode as it decoded them
        content = result.content
        text = content.decode(json.detect_encoding(content), "surrogatepass").removesuffix("\n")
    return escape_surrogates(text)


def _unit(args: argparse.Namespace) -> str:
    unit = args.business_unit_id
    return "the default business unit" if unit is None else f"business unit {unit}"


def run_statuses(args: argparse.Namespace) -> int:
    code, result = _lookup(
        args, lambda client: client.get_statuses(args.subscriber, business_unit_id=args.business_unit_id)
    )
    if result is None:
        return code
    rows = _rows(
        result, ("subscription_id", "subscription_name", "status", "legal_basis", "source", "timestamp")
    )
    counts = (
        f"{len(result.subscribed)} subscribed, {len(result.unsubscribed)} unsubscribed, "
        f"{len(rows)} subscription types"
    )
    if result.cannot_tell is None:
        text = f"{shown(args.subscriber)}, {_unit(args)}: {counts}"
    else:  # what an incomplete answer holds is not the contact's statuses
        text = f"{shown(args.subscriber)}, {_unit(args)}: CANNOT TELL ({counts} in HubSpot's answer)"
    if rows:
        text += "\n\n" + table(("ID", "SUBSCRIPTION", "STATUS", "LEGAL BASIS", "SOURCE", "UPDATED"), rows)
    return _finish(args, result, text)


def run_unsubscribe_all(args: argparse.Namespace) -> int:
    code, result = _lookup(
        args,
        lambda client: client.get_unsubscribe_all_status(
            args.subscriber, business_unit_id=args.business_unit_id, verbose=args.verbose
        ),
    )
    if result is None:
        return code
    opted_out = result.opted_out
    scopes = {_text(w.wide_status_type) for w in opted_out}
    # An answer that is not clean, or a wide status unknown to this client and none UNSUBSCRIBED, is never
    # shown as a no (the result's ``cannot_tell``; _finish says why on stderr).
    if result.cannot_tell is not None:
        verdict = "CANNOT TELL whether unsubscribed from all email"
    elif "PORTAL_WIDE" in scopes:
        verdict = "UNSUBSCRIBED from all email, portal-wide"
    elif "BUSINESS_UNIT_WIDE" in scopes:
        units = ", ".join(
            _text(w.business_unit_id) for w in opted_out if _text(w.wide_status_type) == "BUSINESS_UNIT_WIDE"
        )
        verdict = f"UNSUBSCRIBED from all email of business unit {units}"
    elif opted_out:
        verdict = "UNSUBSCRIBED from all email"
    else:
        verdict = "not unsubscribed from all email"
    text = f"{shown(args.subscriber)}, {_unit(args)}: {verdict}"
    rows = _rows(result.wide_statuses, ("wide_status_type", "business_unit_id", "status", "timestamp"))
    if rows:
        text += "\n\n" + table(("SCOPE", "BUSINESS UNIT", "STATUS", "UPDATED"), rows)
    return _finish(args, result, text)
