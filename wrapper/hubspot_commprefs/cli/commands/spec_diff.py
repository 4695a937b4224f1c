"""``hubspot-commprefs spec-diff OTHER``: compare the bundled spec with another OpenAPI document."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from hubspot_commprefs.cli.commands._common import EXIT_USAGE
from hubspot_commprefs.spec_diff import MAX_DOCUMENT_BYTES, SpecDocumentError, diff_specs, load_bundled_spec

if TYPE_CHECKING:
    import argparse


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
