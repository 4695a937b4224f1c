"""``hubspot-commprefs spec-diff OTHER``: compare the bundled spec with another OpenAPI document of this API.

The rules that classify each difference are in ``hubspot_commprefs.spec_diff._compare``; the exit code's
in ``hubspot_commprefs.spec_diff._report``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from hubspot_commprefs.cli.commands._common import EXIT_USAGE

if TYPE_CHECKING:
    import argparse

ORDER = 75


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "spec-diff",
        help="compare the bundled spec with another OpenAPI document (HubSpot's next definitions; needs the harness extra)",
        description="Compare the spec this client was generated from with OTHER (JSON or YAML, OpenAPI 3.0 "
        "or 3.1; it may hold many other operations): for each of our operations, matched by method and "
        "path (a different version segment is allowed and reported), list every difference in parameters, "
        "response fields, responses and security scopes, classified by its effect on this client: "
        "breaking, tolerated (the client copes, the spec should learn it), cosmetic, or deliberate (marked "
        "x-deliberate-difference in our spec). Schema names never matter, only structure.",
        epilog="Exit codes: 0 nothing to change (only cosmetic or deliberate differences); 1 the spec needs "
        "an edit (a breaking or tolerated difference); 2 a usage error (a file that cannot be read, is not "
        "JSON or YAML, is not OpenAPI 3.0/3.1, or holds a remote or broken $ref).",
    )
    parser.add_argument(
        "other", metavar="OTHER", help="the other OpenAPI document (.json, else read as YAML)"
    )
    parser.add_argument(
        "--ours",
        metavar="SPEC",
        help="compare this spec instead of the bundled one (e.g. spec/communication-preferences-*.yaml)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON for CI (the differences, their counts, the verdict)"
    )
    parser.add_argument(
        "--cosmetic", action="store_true", help="list cosmetic differences too (by default only counted)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hubspot_commprefs.spec_diff import (  # noqa: PLC0415 - keep --help fast
        SpecDocumentError,
        diff_specs,
        load_bundled_spec,
    )

    try:
        ours = args.ours if args.ours is not None else load_bundled_spec()
        diff = diff_specs(ours, args.other)
    except SpecDocumentError as exc:
        print(f"hubspot-commprefs spec-diff: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(diff.to_json() if args.json else diff.to_text(cosmetic=args.cosmetic))
    return diff.exit_code
