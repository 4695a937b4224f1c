"""``x-deliberate-difference``: what a node of our spec says it differs in from theirs, and why.

The format is documented, with examples, in docs/spec-and-new-versions.md. ``theirs: absent`` accepts only
the report that the marked node itself is missing from theirs; a mapping accepts, anywhere under the marked
node (``$ref`` targets included), a difference of that kind whose ``theirs`` (as ``--json`` shows it) is the
value given (``absent``: null; a list: any of its items). The nearest marker that accepts a difference makes
it ``deliberate``. A malformed marker, or one naming a kind spec-diff does not report, is refused
(``SpecDocumentError``) wherever it is in ours: a typo must not hide a difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from hubspot_commprefs.spec_diff._load import MARKER, SpecDocumentError

if TYPE_CHECKING:
    from hubspot_commprefs.spec_diff._load import Document

Kind = Literal[
    "operation",
    "version",
    "deprecated",
    "parameter",
    "parameter-name",
    "required",
    "request-body",
    "status",
    "content-type",
    "header",
    "field",
    "type",
    "nullable",
    "format",
    "enum",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
    "scope",
    "security-scheme",
    "schema-name",
    "summary",
    "description",
]
KINDS: frozenset[str] = frozenset(get_args(Kind))
ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class Marker:
    """One ``x-deliberate-difference``: what theirs has (``absent``, or kind -> value) and why."""

    reason: str
    theirs: str | dict[str, Any]

    def accepts(self, kind: Kind, theirs: Any, *, own: bool) -> bool:
        """Whether this marker describes a difference of ``kind`` where theirs has ``theirs`` (None:
        nothing); ``own``: the difference is about the marked node itself being absent from theirs."""
        if isinstance(self.theirs, str):
            return own and theirs is None
        if kind not in self.theirs:
            return False
        said = self.theirs[kind]
        said = None if said == ABSENT else said
        if said == theirs:
            return True
        return isinstance(said, list) and not isinstance(theirs, list) and theirs in said


def parse_marker(raw: Any, doc: Document, where: str) -> Marker | None:
    """The marker ``raw`` (the value of ``x-deliberate-difference`` at ``where`` in ``doc``; None: no
    marker), or ``SpecDocumentError`` saying what is wrong with it."""
    if raw is None:
        return None
    problem = f"{doc.name}: x-deliberate-difference at {where} must be {{theirs: absent or {{kind: value}}, reason: text}}"
    if not isinstance(raw, dict) or set(raw) != {"theirs", "reason"}:
        raise SpecDocumentError(problem)
    reason, theirs = raw["reason"], raw["theirs"]
    if not isinstance(reason, str) or not reason.strip():
        raise SpecDocumentError(f"{problem}: its reason is empty")
    if theirs == ABSENT:
        return Marker(reason=" ".join(reason.split()), theirs=ABSENT)
    if not isinstance(theirs, dict) or not theirs:
        raise SpecDocumentError(problem)
    unknown = sorted(str(kind) for kind in theirs if kind not in KINDS)
    if unknown:
        raise SpecDocumentError(f"{problem}: spec-diff reports no difference of kind {', '.join(unknown)}")
    return Marker(reason=" ".join(reason.split()), theirs=dict(theirs))


def check_markers(doc: Document) -> None:
    """Refuse ``doc`` (ours) when any of its markers is malformed, reached by the comparison or not."""
    stack: list[tuple[Any, str]] = [(doc.root, "#")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            if MARKER in node:
                parse_marker(node[MARKER], doc, where)
            stack.extend((value, f"{where}/{key}") for key, value in node.items() if key != MARKER)
        elif isinstance(node, list):
            stack.extend((value, f"{where}/{index}") for index, value in enumerate(node))
