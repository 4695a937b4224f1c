"""``hubspot-commprefs statuses SUBSCRIBER`` and ``hubspot-commprefs unsubscribe-all SUBSCRIBER``.

A readable table by default; with ``--json`` HubSpot's body as received, byte for byte (``--pretty``
indents it, keys in its order, date-times as sent), not the model's re-serialisation. The access token is
the one thing never printed as received: an answer that echoes it (in any field, raw or JSON-escaped)
shows ``[redacted]`` instead, said on stderr.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any

from hubspot_commprefs._logging import REDACTED, scrub, secret_from
from hubspot_commprefs.cli.commands._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    TOKEN_ENV,
    add_global_options,
    add_record_option,
    client_options,
    fail,
    shown,
    stdout_to_devnull,
    warn,
)
from hubspot_commprefs.client import DEFAULT_CHANNEL

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

ORDER = 10
EXIT_CODES = (
    "Exit codes: 0 HubSpot answered (the answer is printed); 1 HubSpot answered with an error, or with an "
    "operation that is not COMPLETE or carries errors (printed as CANNOT TELL / INCOMPLETE, with a warning on "
    "stderr), or with a wide status this client does not know, or could not be reached, or the answer could "
    f"not be written (a closed pipe, a full disk); 2 a usage error (a missing {TOKEN_ENV}, an empty or "
    "blank subscriber id, or one that cannot be sent, a bad --base-url or --record); 130 interrupted."
)


def register(subparsers: Any) -> None:
    statuses = subparsers.add_parser(
        "statuses",
        help="a contact's status for every subscription type",
        description="Ask HubSpot for SUBSCRIBER's status for every subscription type (email channel). "
        f"The token is read from {TOKEN_ENV}.",
        epilog=EXIT_CODES,
    )
    statuses.add_argument("subscriber", metavar="SUBSCRIBER", help="the contact's email address")
    add_json_options(statuses)
    add_record_option(statuses)
    add_global_options(statuses)
    statuses.set_defaults(run=run_statuses)

    wide = subparsers.add_parser(
        "unsubscribe-all",
        help="whether a contact opted out of all email",
        description="Ask HubSpot whether SUBSCRIBER opted out of all email, portal-wide or for a business "
        f"unit. The token is read from {TOKEN_ENV}.",
        epilog=EXIT_CODES,
    )
    wide.add_argument("subscriber", metavar="SUBSCRIBER", help="the contact's email address")
    wide.add_argument(
        "--verbose", action="store_true", help="ask HubSpot for the wide statuses even when not opted out"
    )
    add_json_options(wide)
    add_record_option(wide)
    add_global_options(wide)
    wide.set_defaults(run=run_unsubscribe_all)


def add_json_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print HubSpot's JSON body as received, byte for byte"
    )
    parser.add_argument(
        "--pretty",
        action="store_true",
        help="print HubSpot's JSON body indented (its keys in their order, its values as sent; implies --json)",
    )


def _text(value: Any) -> str:
    """A model's field for a table: raw enum values (known or not), '-' when absent."""
    if value is None or type(value).__name__ == "Unset":
        return "-"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(getattr(value, "value", value))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [header, *rows]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _lookup(args: argparse.Namespace, operation: str) -> tuple[int, Any]:
    from hubspot_commprefs import APIError, CommPrefs, CommPrefsError  # noqa: PLC0415 - keep --help fast
    from hubspot_commprefs.client import normalise_subscriber_id  # noqa: PLC0415

    result: Any
    try:
        # The id the client sends (the one rule: whitespace around it removed) is the one shown.
        args.subscriber = normalise_subscriber_id(args.subscriber)
        with CommPrefs(**client_options(args)) as client:
            if operation == "statuses":
                result = client.get_statuses(args.subscriber, business_unit_id=args.business_unit_id)
            else:
                result = client.get_unsubscribe_all_status(
                    args.subscriber, business_unit_id=args.business_unit_id, verbose=args.verbose
                )
    except (ValueError, TypeError) as error:
        return fail(str(error), EXIT_USAGE), None
    except APIError as error:
        return fail(f"{type(error).__name__}: {error}"), None
    except CommPrefsError as error:  # not about an answer (no token is a ValueError, above)
        return fail(str(error), EXIT_USAGE), None
    return EXIT_OK, result


def _secret() -> str | None:
    """The token the lookup sent (from the environment), as every text printed here is scrubbed of it."""
    return secret_from(os.environ.get(TOKEN_ENV))


def _finish(args: argparse.Namespace, result: Any, text: str) -> int:
    secret = _secret()
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


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def body_as_received(result: Any, *, pretty: bool = False) -> str:
    """HubSpot's JSON body as received: its bytes as text (a body that is not UTF-8 JSON, say UTF-16, is
    shown in the terminal's encoding); ``pretty``: indented, its keys in their order, its strings
    (date-times included) unchanged, nulls and fields the spec lacks kept, non-ASCII readable. A lone
    surrogate (valid JSON, not UTF-8) is written as JSON's own escape, so the text reads back equal."""
    if pretty:
        text = json.dumps(result.body, indent=2, ensure_ascii=False)
    else:  # json.loads read these bytes already: they decode as it decoded them
        content = result.content
        text = content.decode(json.detect_encoding(content), "surrogatepass").removesuffix("\n")
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _unit(args: argparse.Namespace) -> str:
    return (
        "the default business unit"
        if args.business_unit_id is None
        else f"business unit {args.business_unit_id}"
    )


def run_statuses(args: argparse.Namespace) -> int:
    code, result = _lookup(args, "statuses")
    if result is None:
        return code
    rows = [
        (
            _text(status.subscription_id),
            _text(status.subscription_name),
            _text(status.status),
            _text(status.legal_basis),
            _text(status.source),
            _text(status.timestamp),
        )
        for status in result
    ]
    counts = (
        f"{len(result.subscribed)} subscribed, {len(result.unsubscribed)} unsubscribed, "
        f"{len(rows)} subscription types"
    )
    if result.cannot_tell is None:
        text = f"{shown(args.subscriber)}, {_unit(args)}: {counts}"
    else:  # what an incomplete answer holds is not the contact's statuses
        text = f"{shown(args.subscriber)}, {_unit(args)}: CANNOT TELL, HubSpot's answer is incomplete ({counts} in it)"
    if rows:
        text += "\n\n" + table(("ID", "SUBSCRIPTION", "STATUS", "LEGAL BASIS", "SOURCE", "UPDATED"), rows)
    return _finish(args, result, text)


def run_unsubscribe_all(args: argparse.Namespace) -> int:
    code, result = _lookup(args, "unsubscribe-all")
    if result is None:
        return code
    opted_out = [w for w in result.wide_statuses if _text(w.status) == "UNSUBSCRIBED"]
    scopes = {_text(w.wide_status_type) for w in opted_out}
    # The result type's rule (``cannot_tell``): an answer that is not clean (an unknown business unit...),
    # or a wide status unknown to this client (e.g. OPTED_OUT) and none UNSUBSCRIBED, is never shown as a no.
    if result.cannot_tell is not None:  # why is said on stderr, by _finish
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
    rows = [
        (
            _text(wide.wide_status_type),
            _text(wide.business_unit_id),
            _text(wide.status),
            _text(wide.timestamp),
        )
        for wide in result.wide_statuses
    ]
    if rows:
        text += "\n\n" + table(("SCOPE", "BUSINESS UNIT", "STATUS", "UPDATED"), rows)
    return _finish(args, result, text)
