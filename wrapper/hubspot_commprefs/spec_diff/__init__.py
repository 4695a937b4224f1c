"""Compare the bundled spec with another OpenAPI document of this API (``hubspot-commprefs spec-diff``).

``_load`` reads a document within bounds, ``_compare`` classifies every difference; ``SpecDiff`` is the
result: its exit code (2, a document that cannot be read or compared, is the CLI's), text and JSON.

```python
from hubspot_commprefs.spec_diff import diff_specs, load_bundled_spec

diff = diff_specs(load_bundled_spec(), "hubspot-next.json")
print(diff.to_text()); raise SystemExit(diff.exit_code)
```
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hubspot_commprefs._exit_codes import EXIT_FAILED, EXIT_OK
from hubspot_commprefs.spec_diff._compare import SEVERITIES, Difference, OperationMatch, compare
from hubspot_commprefs.spec_diff._load import (
    MARKER,
    MAX_DOCUMENT_BYTES,
    MAX_NESTING,
    Document,
    SpecDocumentError,
    as_document,
    load_bundled_spec,
    load_document,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "MARKER",
    "MAX_DOCUMENT_BYTES",
    "MAX_NESTING",
    "SEVERITIES",
    "Difference",
    "Document",
    "OperationMatch",
    "SpecDiff",
    "SpecDocumentError",
    "diff_specs",
    "load_bundled_spec",
    "load_document",
]

EXIT_NOTHING_TO_CHANGE = EXIT_OK
EXIT_SPEC_NEEDS_EDIT = EXIT_FAILED
JSON_SCHEMA_VERSION = 2
_HEADINGS = {
    "breaking": "breaking (the client, its validation or its token would fail)",
    "tolerated": "tolerated (the client copes; the spec should learn it)",
    "informational": "informational (theirs promises less in what they send; keep ours)",
    "deliberate": "deliberate (described by an x-deliberate-difference of our spec)",
    "cosmetic": "cosmetic",
}


@dataclass(frozen=True, slots=True)
class SpecDiff:
    """Every difference of ``theirs`` from ``ours`` on our operations, in a stable order."""

    ours: str
    theirs: str
    differences: tuple[Difference, ...]
    operations: tuple[OperationMatch, ...]

    def counts(self) -> dict[str, int]:
        return {s: sum(d.severity == s for d in self.differences) for s in SEVERITIES}

    @property
    def needs_edit(self) -> bool:
        """True when some difference is breaking or tolerated (something theirs says that the spec should
        learn or mark deliberate), not only informational, cosmetic or deliberate ones."""
        return any(d.severity in {"breaking", "tolerated"} for d in self.differences)

    @property
    def exit_code(self) -> int:
        return EXIT_SPEC_NEEDS_EDIT if self.needs_edit else EXIT_NOTHING_TO_CHANGE

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "ours": self.ours,
            "theirs": self.theirs,
            "needs_edit": self.needs_edit,
            "counts": self.counts(),
            "operations": [
                {"operation": m.label, "operation_id": m.operation_id, "theirs_path": m.theirs_path}
                for m in self.operations
            ],
            "differences": [d.to_dict() for d in self.differences],
        }

    def to_json(self) -> str:
        # default=str: a YAML document may hold dates, which JSON has no type for.
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def to_text(self, *, cosmetic: bool = False) -> str:
        """A report for a reader: per operation, differences grouped by severity (cosmetic ones counted
        unless ``cosmetic``), each marker's reason once as a numbered note, then the verdict."""
        lines = [f"spec-diff: ours {self.ours}, theirs {self.theirs}"]
        by_operation: dict[str, list[Difference]] = {}
        for difference in self.differences:
            by_operation.setdefault(difference.operation, []).append(difference)
        matched = {m.label: m.operation_id for m in self.operations}
        notes: dict[str, int] = {}
        for label in [*(label for label in by_operation if label not in matched), *matched]:
            found = by_operation.get(label, [])
            lines += ["", label + (f"  ({matched[label]})" if matched.get(label) else "")]
            if not found:
                lines.append("  no difference")
            for severity in SEVERITIES:
                group = [d for d in found if d.severity == severity]
                if group and severity == "cosmetic" and not cosmetic:
                    lines.append(f"  cosmetic: {len(group)} (--cosmetic lists them)")
                elif group:
                    lines.append(f"  {_HEADINGS[severity]}: {len(group)}")
                    for d in group:
                        line = f"    {d.location}: {d.message}"
                        if d.reason is not None:
                            number = notes.setdefault(d.reason, len(notes) + 1)
                            line += f" [would be {d.effect}; see [{number}]]"
                        lines.append(line)
        if notes:
            lines += ["", "Why, as our spec's x-deliberate-difference markers say:"]
            lines.extend(f"  [{number}] {reason}" for reason, number in notes.items())
        lines += ["", self.verdict()]
        return "\n".join(lines)

    def verdict(self) -> str:
        summary = ", ".join(f"{n} {s}" for s, n in self.counts().items() if n) or "no difference"
        verdict = "The spec needs an edit" if self.needs_edit else "Nothing to change"
        return f"{verdict}: {summary}."


def _document(source: str | Path | dict[str, Any] | Document, name: str, max_bytes: int) -> Document:
    if isinstance(source, Document):
        return source
    if isinstance(source, dict):
        return as_document(source, name)
    return load_document(source, max_bytes=max_bytes)


def diff_specs(
    ours: str | Path | dict[str, Any] | Document,
    theirs: str | Path | dict[str, Any] | Document,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> SpecDiff:
    """Every difference of ``theirs`` from ``ours`` on the operations ``ours`` has; each is a file path
    (refused past ``max_bytes``), a parsed document or a ``Document``. Raises ``SpecDocumentError`` when
    one cannot be read or compared."""
    ours_document = _document(ours, "ours", max_bytes)
    theirs_document = _document(theirs, "theirs", max_bytes)
    differences, matches = compare(ours_document, theirs_document)
    return SpecDiff(ours_document.name, theirs_document.name, tuple(differences), tuple(matches))
