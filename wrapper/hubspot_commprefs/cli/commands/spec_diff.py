"""``hubspot-commprefs spec-diff OTHER``: compare the bundled spec with another OpenAPI document of this API.

The rules that classify each difference are in ``hubspot_commprefs.spec_diff._compare``; the exit code's
in ``hubspot_commprefs.spec_diff._report``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hubspot_commprefs.cli.commands._common import EXIT_USAGE
from hubspot_commprefs.spec_diff import MAX_DOCUMENT_BYTES, SpecDocumentError, diff_specs, load_bundled_spec

ORDER = 75
MIB = 1024 * 1024
MAX_MIB = 1024


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "spec-diff",
        help="compare the bundled spec with another OpenAPI document (HubSpot's next definitions; needs the harness extra)",
        description="Compare the spec this client was generated from with OTHER (JSON or YAML, OpenAPI 3.0 "
        "or 3.1; it may hold many other operations): for each of our operations, matched by method and "
        "path (a different version segment is allowed and reported), list every difference in parameters, "
        "response fields, responses, security schemes and scopes, classified by its effect on this client: "
        "breaking, tolerated (the client copes, the spec should learn it), informational (theirs promises "
        "less in what they send: keep ours), cosmetic, or deliberate (described by an "
        "x-deliberate-difference marker of our spec). Schema names never matter, only structure.",
        epilog="Exit codes: 0 nothing to change (only informational, deliberate or cosmetic differences); 1 "
        "the spec needs an edit (a breaking or tolerated difference); 2 a document that cannot be read or "
        "compared (unreadable, larger than --max-size, nested too deeply, not JSON or YAML, not OpenAPI "
        "3.0/3.1, a remote or broken $ref, a malformed marker, too costly to compare).",
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
    parser.add_argument(
        "--max-size",
        metavar="MIB",
        type=_mebibytes,
        default=None,
        help=f"refuse a document larger than this many MiB (default {MAX_DOCUMENT_BYTES // MIB}), before "
        "reading it",
    )
    parser.set_defaults(run=run)


def _mebibytes(text: str) -> int:
    try:
        size = float(text)
    except ValueError:
        size = -1.0
    if not 0 < size <= MAX_MIB:
        raise argparse.ArgumentTypeError(f"must be a number of MiB above 0, at most {MAX_MIB}: {text!r}")
    return int(size * MIB)


def run(args: argparse.Namespace) -> int:
    max_bytes = args.max_size if args.max_size is not None else MAX_DOCUMENT_BYTES
    try:
        ours = args.ours if args.ours is not None else load_bundled_spec()
        diff = diff_specs(ours, args.other, max_bytes=max_bytes)
    except SpecDocumentError as exc:
        print(f"hubspot-commprefs spec-diff: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(diff.to_json() if args.json else diff.to_text(cosmetic=args.cosmetic))
    return diff.exit_code
