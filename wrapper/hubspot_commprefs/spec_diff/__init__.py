"""Compare the bundled spec with another OpenAPI document of this API (``hubspot-commprefs spec-diff``).

- ``_load``: read JSON or YAML, check it is OpenAPI 3.0/3.1, resolve local ``$ref``s, normalise schemas.
- ``_compare``: match our operations in theirs and classify every difference (the rules are in its
  docstring).
- ``_report``: the exit code, the text report and the JSON for CI.

```python
from hubspot_commprefs.spec_diff import diff_specs

diff = diff_specs("spec/communication-preferences-2026-03.yaml", "hubspot-2026-09.json")
print(diff.to_text()); raise SystemExit(diff.exit_code)
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hubspot_commprefs.spec_diff._compare import SEVERITIES, Difference, OperationMatch, compare
from hubspot_commprefs.spec_diff._load import (
    MARKER,
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


def _document(source: str | Path | dict[str, Any] | Document, name: str) -> Document:
    if isinstance(source, Document):
        return source
    if isinstance(source, dict):
        return as_document(source, name)
    return load_document(source)


def diff_specs(
    ours: str | Path | dict[str, Any] | Document, theirs: str | Path | dict[str, Any] | Document
) -> SpecDiff:
    """Every difference of ``theirs`` from ``ours`` on the operations ``ours`` has.

    Each is a file path (JSON when named ``.json``, else YAML), an already parsed document (a dict) or a
    ``Document`` (``load_bundled_spec()`` for the spec the installed client carries). Raises
    ``SpecDocumentError`` when one cannot be read or compared (not OpenAPI 3.0/3.1, a remote or dangling
    ``$ref``, a ``$ref`` cycle).
    """
    ours_document = _document(ours, "ours")
    theirs_document = _document(theirs, "theirs")
    differences, matches = compare(ours_document, theirs_document)
    return SpecDiff(
        ours=ours_document.name,
        theirs=theirs_document.name,
        differences=tuple(differences),
        operations=tuple(matches),
    )
