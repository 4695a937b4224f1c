"""The result of a comparison: its exit code, a text report grouped by operation and severity, and JSON.

Exit code: 0 when the spec needs no edit (every difference is informational, deliberate or cosmetic), 1
when it does (at least one ``breaking`` or ``tolerated`` difference: a tolerated one does not hurt the
client, but it is something theirs says and the spec does not, which the spec should learn or mark
deliberate). 2, a document that cannot be read or compared, is the CLI's.

The text report prints each marker's reason once, as a numbered note that its differences point to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hubspot_commprefs._exit_codes import EXIT_FAILED, EXIT_OK
from hubspot_commprefs.spec_diff._compare import SEVERITIES, Difference, OperationMatch

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
        """True when some difference is breaking or tolerated (not informational, cosmetic or deliberate)."""
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
        unless ``cosmetic``), the markers' reasons once each, then the verdict."""
        lines = [f"spec-diff: ours {self.ours}, theirs {self.theirs}"]
        by_operation: dict[str, list[Difference]] = {}
        for difference in self.differences:
            by_operation.setdefault(difference.operation, []).append(difference)
        labels = [(m.label, m.operation_id) for m in self.operations]
        matched = {m.label for m in self.operations}
        labels[:0] = [(label, None) for label in by_operation if label not in matched]
        notes: dict[str, int] = {}
        for label, operation_id in labels:
            found = by_operation.get(label, [])
            lines.append("")
            lines.append(f"{label}" + (f"  ({operation_id})" if operation_id else ""))
            if not found:
                lines.append("  no difference")
            for severity in SEVERITIES:
                group = [d for d in found if d.severity == severity]
                if not group:
                    continue
                if severity == "cosmetic" and not cosmetic:
                    lines.append(f"  cosmetic: {len(group)} (--cosmetic lists them)")
                    continue
                lines.append(f"  {_HEADINGS[severity]}: {len(group)}")
                for difference in group:
                    line = f"    {difference.location}: {difference.message}"
                    if difference.reason is not None:
                        note = notes.setdefault(difference.reason, len(notes) + 1)
                        line += f" [would be {difference.effect}; see [{note}]]"
                    lines.append(line)
        if notes:
            lines.append("")
            lines.append("Why, as our spec's x-deliberate-difference markers say:")
            lines.extend(f"  [{number}] {reason}" for reason, number in notes.items())
        lines.append("")
        lines.append(self.verdict())
        return "\n".join(lines)

    def verdict(self) -> str:
        counts = self.counts()
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no difference"
        if self.needs_edit:
            return f"The spec needs an edit: {summary}."
        return f"Nothing to change: {summary}."
