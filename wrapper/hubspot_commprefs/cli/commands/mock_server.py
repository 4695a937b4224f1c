"""``hubspot-commprefs mock-server``: run the fake HubSpot server until Ctrl-C."""

from __future__ import annotations

import functools
import os
import shlex
import sys
import warnings
from typing import TYPE_CHECKING

from hubspot_commprefs import testing
from hubspot_commprefs._tokens import DEFAULT_TOKEN, DEFAULT_TOKEN_WITHOUT_SCOPE
from hubspot_commprefs.cli.commands._common import BASE_URL_ENV, EXIT_USAGE, TOKEN_ENV, shown
from hubspot_commprefs.schemas import api_version

if TYPE_CHECKING:
    import argparse

    from hubspot_commprefs.testing import Dataset, Replay


# FakeHubSpot's arguments that are the flags of the same name; and the RateLimit's, named otherwise.
_AS_GIVEN = ("fault_every", "latency", "trickle_interval", "bomb_size", "oversized_body_size", "host", "port")
_FLAGS = {"max_requests": "--rate-limit", "interval_ms": "--rate-limit-window-ms"}
_SETTINGS = {*_AS_GIVEN, *_FLAGS}


def _in_flags(message: str) -> str:
    """A refused setting's message (it starts with the Python parameter) naming the flag instead."""
    name, _, rest = message.partition(" ")
    if name not in _SETTINGS:
        return message
    return f"{_FLAGS.get(name, '--' + name.replace('_', '-'))} {rest}"


def _load_replay(args: argparse.Namespace) -> Replay | None:
    """The recording of ``--replay``, its warnings (unreadable lines, drift allowed) printed to stderr."""
    if args.replay is None:
        if args.replay_strict or args.replay_allow_drift:
            raise testing.ReplayError("--replay-strict and --replay-allow-drift go with --replay DIR")
        return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", testing.ReplayWarning)
        replay = testing.load_replay(args.replay, allow_drift=args.replay_allow_drift, option="--replay")
    for warning in caught:
        print(f"hubspot-commprefs mock-server: warning: {warning.message}", file=sys.stderr)
    return replay


MAX_STATUSES_SHOWN = 3  # per contact line: a --data file's contact may hold hundreds


def _what_it_shows(dataset: Dataset, email: str) -> str:
    """What the lookups show for ``email``, in a few words, from the data the server answers from."""
    contact = dataset.contact(email)
    if contact is None:
        return "not in the data: every subscription NOT_SPECIFIED"
    kinds = {opt_out.wide_status_type for opt_out in contact.opt_outs}
    if "PORTAL_WIDE" in kinds:
        return "opted out of all email, portal-wide: every subscription UNSUBSCRIBED"
    units = sorted({opt_out.business_unit_id for opt_out in contact.opt_outs})
    if units:
        named = [
            f"{unit} ({getattr(dataset.business_unit(unit), 'name', 'not in the data')})" for unit in units
        ]
        return f"opted out of all email of business unit {', '.join(named)}: ask with --business-unit-id {units[0]}"
    types = {subscription.id: subscription for subscription in dataset.subscription_types}
    parts = []
    for status in contact.statuses[:MAX_STATUSES_SHOWN]:  # each of a type of the data, as loaded
        subscription = types[status.subscription_id]
        unit = subscription.business_unit_id
        parts.append(f"{subscription.name} {status.status}" + (f" (business unit {unit})" if unit else ""))
    more = len(contact.statuses) - MAX_STATUSES_SHOWN
    statuses = ", ".join(parts) + (f" and {more} more" if more > 0 else "") if parts else "no status set"
    return f"{statuses}; not opted out of all email"


def first_steps(base_url: str, dataset: Dataset, *, own_token: bool, contacts: bool = True) -> list[str]:
    """The banner's lines: the variables to export (never the user's own token); with ``contacts``, a contact
    of each kind the data holds with what it shows, and a first command."""
    export = f"export {BASE_URL_ENV}={shlex.quote(base_url)}"
    if own_token:
        export += f"  # and {TOKEN_ENV}: yours, as set where this server runs (never printed)"
    else:
        export += f" {TOKEN_ENV}={DEFAULT_TOKEN}"
    emails = testing.one_of_each_kind(dataset)
    width = max(len(shown(email)) for email in emails)
    portal_wide = (
        email
        for email in emails
        if any(o.wide_status_type == "PORTAL_WIDE" for o in getattr(dataset.contact(email), "opt_outs", ()))
    )
    first = next(portal_wide, emails[0])
    lines = ["", "Point the command line at it (in another terminal):", f"  {export}"]
    if contacts:
        lines += [
            f"Contacts, one of each kind ({len(dataset.contacts)} in the data):",
            *(f"  {shown(email).ljust(width)}  {_what_it_shows(dataset, email)}" for email in emails),
            f"Try: hubspot-commprefs unsubscribe-all {shlex.quote(first)}",
        ]
    return lines


def run(args: argparse.Namespace) -> int:
    env_token = os.environ.get(TOKEN_ENV)
    try:
        dataset = testing.load_dataset(args.data) if args.data else None
        replay = _load_replay(args)
        server = testing.FakeHubSpot(
            dataset=dataset,
            tokens={env_token or DEFAULT_TOKEN: (testing.SCOPES[0],), DEFAULT_TOKEN_WITHOUT_SCOPE: ()},
            faults=args.fault,
            rate_limit=testing.RateLimit(max_requests=args.rate_limit, interval_ms=args.rate_limit_window_ms),
            replay=replay,
            replay_strict=args.replay_strict,
            request_log=None if args.quiet else functools.partial(print, file=sys.stderr, flush=True),
            **{name: getattr(args, name) for name in _AS_GIVEN},
        )
        server.bind()
    except (ValueError, testing.FakeServerError) as exc:  # a DatasetError, a ReplayError too
        print(f"hubspot-commprefs mock-server: {_in_flags(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Fake HubSpot on {server.base_url}  (API version {api_version()}; Ctrl-C stops it)")
    fake = f"{DEFAULT_TOKEN}  (a fake one; set {TOKEN_ENV} to use your own)"
    print(f"  token: {f'the one in {TOKEN_ENV}' if env_token else fake}")
    print(f"  token without the scope (403): {DEFAULT_TOKEN_WITHOUT_SCOPE}")
    print(f"  contacts: {len(server.state.dataset.contacts)}, faults: {', '.join(args.fault) or 'none'}")
    if replay is not None:
        rest = "a 404 (--replay-strict)" if args.replay_strict else "the seeded data"
        ignored = f" ({len(replay.ignored)} not served: sent without the token, or not an endpoint)"
        served = f"{len(replay)} recorded answers from {args.replay}{ignored if replay.ignored else ''}"
        print(f"  replay: {served}; anything else: {rest}")
    if not args.quiet:
        print("  requests: one line each on stderr (--quiet for none)")
    steps = first_steps(
        server.base_url, server.state.dataset, own_token=bool(env_token), contacts=replay is None
    )
    print("\n".join(steps), flush=True)
    server.serve_forever()
    return 0
