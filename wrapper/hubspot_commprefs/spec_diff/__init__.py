"""Compare the bundled spec with another OpenAPI document of this API (``hubspot-commprefs spec-diff``).

- ``_load``: read JSON or YAML (size- and depth-bounded), check it is OpenAPI 3.0/3.1, normalise schemas.
- ``_markers``: the ``x-deliberate-difference`` format: what difference a node of ours accepts, and why.
- ``_compare``: match our operations in theirs and classify every difference (the rules are in its
  docstring).
- ``_report``: the exit code, the text report and the JSON for CI.

```python
from hubspot_commprefs.spec_diff import diff_specs, load_bundled_spec

diff = diff_specs(load_bundled_spec(), "hubspot-next.json")
print(diff.to_text()); raise SystemExit(diff.exit_code)
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from hubspot_commprefs.spec_diff._report import SpecDiff

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
    """Every difference of ``theirs`` from ``ours`` on the operations ``ours`` has.

    Each is a file path (JSON when named ``.json``, else YAML; refused when larger than ``max_bytes``),
    an already parsed document (a dict) or a ``Document`` (``load_bundled_spec()`` for the spec the
    installed client carries). Raises ``SpecDocumentError`` when one cannot be read or compared (too
    large or too deeply nested, not OpenAPI 3.0/3.1, a remote or dangling ``$ref``, a ``$ref`` cycle, a
    malformed marker in ours, too costly to compare).
    """
    ours_document = _document(ours, "ours", max_bytes)
    theirs_document = _document(theirs, "theirs", max_bytes)
    differences, matches = compare(ours_document, theirs_document)
    return SpecDiff(
        ours=ours_document.name,
        theirs=theirs_document.name,
        differences=tuple(differences),
        operations=tuple(matches),
    )
