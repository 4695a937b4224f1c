"""``hubspot-commprefs mock-server``: run the fake HubSpot server until Ctrl-C."""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Any

ORDER = 80
TOKEN_ENV = "HUBSPOT_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a token
EXIT_USAGE = 2
MAX_PORT = 65535


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"a port is 0 to {MAX_PORT}, not {port}")
    return port


def _check_numbers(args: argparse.Namespace) -> str | None:
    """The flags' own names in the message, not the Python parameters they become."""
    if args.fault_every < 1:
        return "--fault-every must be at least 1"
    if not 0 <= args.latency < math.inf:
        return "--latency must be a number of seconds, 0 or more"
    if args.rate_limit < 1:
        return "--rate-limit must be at least 1"
    if args.rate_limit_window_ms < 1:
        return "--rate-limit-window-ms must be at least 1"
    if args.replay is None and (args.replay_strict or args.replay_allow_drift):
        return "--replay-strict and --replay-allow-drift go with --replay DIR"
    return None


def _load_replay(args: argparse.Namespace) -> Any:
    """The recording of ``--replay``, its warnings (unreadable lines, drift allowed) printed to stderr;
    ``ReplayError`` (a usage error) when there is none or it drifted."""
    import warnings  # noqa: PLC0415 - keep --help fast

    from hubspot_commprefs.testing import ReplayWarning, load_replay  # noqa: PLC0415

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReplayWarning)
        replay = load_replay(args.replay, allow_drift=args.replay_allow_drift, option="--replay")
    for warning in caught:
        print(f"hubspot-commprefs mock-server: warning: {warning.message}", file=sys.stderr)
    return replay


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mock-server",
        help="run a fake HubSpot server, driven by the spec, for offline tests (needs the harness extra)",
        description="Serve both endpoints of the spec with seeded, deterministic contacts. It accepts the "
        f"token in {TOKEN_ENV} when set, else the fake token it prints; any other token gets 401.",
        epilog="Faults: enum-value, wrong-type, missing-field, bad-date-time, int32-overflow, int64-overflow, "
        "extra-field (drift of a 200 body); server-error, html-error, wrong-content-type, undocumented-status. "
        "Exit codes: 130 stopped with Ctrl-C (as any command interrupted), 2 a usage error (a bad flag, a "
        "bad data file, a taken port, a --replay DIR without a recording, or whose answers the spec does "
        "not allow without --replay-allow-drift).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=8089, help="the port; 0 picks a free one (default 8089)"
    )
    parser.add_argument("--data", metavar="FILE", help="a JSON dataset to serve instead of the seeded one")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="NAME", help="misbehave this way (repeatable)"
    )
    parser.add_argument(
        "--fault-every",
        type=int,
        default=1,
        metavar="N",
        help="apply the faults to every N-th answer (default 1)",
    )
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="delay every answer")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=190,
        metavar="N",
        help="requests per token per rolling window before a 429 (default 190, HubSpot's Professional tier)",
    )
    parser.add_argument(
        "--rate-limit-window-ms", type=int, default=10_000, metavar="MS", help="the window (default 10000)"
    )
    parser.add_argument(
        "--replay",
        metavar="DIR",
        help="answer each request recorded in DIR (with --record) with its recorded answer (the latest, "
        "when recorded twice), after the token check; anything else from the seeded data (or --data)",
    )
    parser.add_argument(
        "--replay-strict",
        action="store_true",
        help="with --replay: answer a request that was not recorded with a 404, not from the seeded data",
    )
    parser.add_argument(
        "--replay-allow-drift",
        action="store_true",
        help="with --replay: serve recorded answers the spec does not allow (listed on stderr) instead of "
        "refusing the recording",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hubspot_commprefs._extras import harness_problem  # noqa: PLC0415 - keep --help fast

    missing = harness_problem("mock-server")
    if missing is not None:
        print(f"hubspot-commprefs: {missing}", file=sys.stderr)
        return EXIT_USAGE
    from hubspot_commprefs.testing import (  # noqa: PLC0415 - keep --help fast
        DEFAULT_TOKEN,
        DEFAULT_TOKEN_WITHOUT_SCOPE,
        DatasetError,
        FakeHubSpot,
        FakeServerError,
        RateLimit,
        ReplayError,
        load_dataset,
    )
    from hubspot_commprefs.testing._bodies import SCOPES  # noqa: PLC0415

    problem = _check_numbers(args)
    if problem:
        print(f"hubspot-commprefs mock-server: {problem}", file=sys.stderr)
        return EXIT_USAGE
    env_token = os.environ.get(TOKEN_ENV)
    try:
        dataset = load_dataset(args.data) if args.data else None
        replay = _load_replay(args) if args.replay is not None else None
        rate_limit = RateLimit(max_requests=args.rate_limit, interval_ms=args.rate_limit_window_ms)
        tokens = {env_token or DEFAULT_TOKEN: (SCOPES[0],), DEFAULT_TOKEN_WITHOUT_SCOPE: ()}
        server = FakeHubSpot(
            dataset=dataset,
            tokens=tokens,
            faults=args.fault,
            fault_every=args.fault_every,
            latency=args.latency,
            rate_limit=rate_limit,
            host=args.host,
            port=args.port,
            replay=replay,
            replay_strict=args.replay_strict,
        )
        server.bind()
    except (DatasetError, ReplayError, ValueError, FakeServerError) as exc:
        print(f"hubspot-commprefs mock-server: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Fake HubSpot on {server.base_url}  (Ctrl-C stops it)")
    if env_token:
        print(f"  token: the one in {TOKEN_ENV}")
    else:
        print(f"  token: {DEFAULT_TOKEN}  (a fake one; set {TOKEN_ENV} to use your own)")
    print(f"  token without the scope (403): {DEFAULT_TOKEN_WITHOUT_SCOPE}")
    print(f"  contacts: {len(server.state.dataset.contacts)}, faults: {', '.join(args.fault) or 'none'}")
    if replay is not None:
        rest = "a 404 (--replay-strict)" if args.replay_strict else "the seeded data"
        print(
            f"  replay: {len(replay)} recorded answers from {args.replay}"
            + (
                f" ({len(replay.ignored)} not served: sent without the token, or not an endpoint)"
                if replay.ignored
                else ""
            )
            + f"; anything else: {rest}"
        )
    sys.stdout.flush()
    server.serve_forever()
    return 0
