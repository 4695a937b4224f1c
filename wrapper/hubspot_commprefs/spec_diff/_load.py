"""Read an OpenAPI document (JSON or YAML, 3.0 or 3.1), resolve its local ``$ref``s and normalise schemas.

Nothing here knows HubSpot: it turns any document into views in which schema names and the 3.0/3.1
spelling no longer show.

- **Reading.** A ``.json`` file is parsed as JSON; anything else as YAML (a superset of JSON), imported
  lazily so that the CLI's core needs PyYAML only when a YAML file is read (the bundled spec is YAML).
  A file that cannot be read, is not UTF-8, is neither JSON nor YAML, or is not an OpenAPI 3.0/3.1
  document raises ``SpecDocumentError`` with a one-line message naming the file and the problem.
- **References** are resolved lazily, where the comparison walks (a document may hold hundreds of
  operations we never look at). Only local ones (``#/components/...``, any JSON pointer into the same
  document) are followed; a remote one (``other.json#/...``, ``https://...``), a dangling one and a chain
  of references that loops back on itself (``A -> B -> A``) raise ``SpecDocumentError`` naming the
  reference. A schema that legitimately contains itself (a tree) is fine: the comparison stops when it
  meets a pair of schemas it is already inside.
- **Normalisation** (``SchemaView``): 3.0's ``nullable: true``, 3.1's ``type: [T, "null"]``, a ``null``
  in ``enum`` and ``anyOf``/``oneOf`` with a ``{type: null}`` branch all become ``nullable``; ``type``
  becomes a set (inferred as object/array from ``properties``/``items`` when absent); ``allOf`` is merged
  (properties and ``required`` united), which also unwraps 3.0's ``allOf: [{$ref}]`` idiom; ``const`` is an
  enum of one; 3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` become 3.1's numbers; ``example``
  and ``examples`` are dropped (they never matter to a client). The schema's name (the last ``$ref``
  followed) is kept only to be reported as cosmetic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

REF = "$ref"
MARKER = "x-deliberate-difference"
CONSTRAINT_KEYS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
)
SUPPORTED_VERSIONS = ("3.0", "3.1")
MAX_COMPOSITION_DEPTH = 32
_NO_DEFAULT = object()


class SpecDocumentError(Exception):
    """A document that cannot be compared: unreadable, not JSON or YAML, not OpenAPI 3.0/3.1, or holding a
    reference that cannot be resolved. The message is one line that names the file and the problem."""


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed OpenAPI document and the name it is reported under (a path, or ``the bundled spec``)."""

    name: str
    root: dict[str, Any]

    @property
    def openapi(self) -> str:
        return str(self.root.get("openapi", ""))

    def resolve(self, node: Any, where: str) -> tuple[Any, str | None]:
        """``node`` with its ``$ref`` chain followed, and the last reference followed (None for inline).

        Keys beside a ``$ref`` (3.1 allows ``description`` or our marker there) are kept over the
        target's. ``where`` says where the node is, for error messages.
        """
        seen: list[str] = []
        siblings: dict[str, Any] = {}
        while isinstance(node, dict) and REF in node:
            ref = node[REF]
            if not isinstance(ref, str):
                raise SpecDocumentError(f"{self.name}: a $ref that is not a string at {where}")
            if ref in seen:
                chain = " -> ".join([*seen, ref])
                raise SpecDocumentError(f"{self.name}: $ref cycle {chain} (at {where})")
            seen.append(ref)
            for key, value in node.items():
                if key != REF:
                    siblings.setdefault(key, value)
            node = self._pointer(ref, where)
        if siblings and isinstance(node, dict):
            node = {**node, **siblings}
        return node, (seen[-1] if seen else None)

    def _pointer(self, ref: str, where: str) -> Any:
        if not ref.startswith("#"):
            raise SpecDocumentError(
                f"{self.name}: remote $ref {ref!r} at {where} is not supported (only '#/...' references "
                "into the same document are followed); bundle the document first"
            )
        node: Any = self.root
        for raw in unquote(ref[1:]).split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SpecDocumentError(f"{self.name}: $ref {ref!r} at {where} points at nothing")
        return node


def _parse(text: str, name: str, *, as_json: bool) -> Any:
    if as_json:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecDocumentError(f"{name}: not valid JSON ({exc})") from None
    try:
        import yaml  # noqa: PLC0415 - only a YAML file needs PyYAML (an extra)
    except ImportError:
        raise SpecDocumentError(
            f"{name}: reading YAML needs PyYAML: pip install 'hubspot-commprefs[harness]' (or give a .json file)"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise SpecDocumentError(f"{name}: not valid JSON or YAML ({problem})") from None


def parse_document(text: str, name: str, *, as_json: bool = False) -> Document:
    """``text`` as an OpenAPI 3.0/3.1 document, or ``SpecDocumentError``."""
    root = _parse(text, name, as_json=as_json)
    return as_document(root, name)


def as_document(root: Any, name: str) -> Document:
    """An already parsed document, checked to be OpenAPI 3.0 or 3.1."""
    if not isinstance(root, dict):
        raise SpecDocumentError(f"{name}: not an OpenAPI document (its top level is not an object)")
    version = root.get("openapi")
    if version is None:
        if "swagger" in root:
            raise SpecDocumentError(
                f"{name}: a Swagger {root['swagger']} document; OpenAPI 3.0 or 3.1 is needed"
            )
        raise SpecDocumentError(f"{name}: not an OpenAPI document (no 'openapi' field)")
    if not str(version).startswith(tuple(v + "." for v in SUPPORTED_VERSIONS)):
        raise SpecDocumentError(f"{name}: OpenAPI {version} is not supported (3.0 or 3.1 is)")
    paths = root.get("paths", {})
    if not isinstance(paths, dict):
        raise SpecDocumentError(f"{name}: 'paths' is not an object")
    return Document(name=name, root=root)


def load_document(path: str | Path) -> Document:
    """The OpenAPI document in the file ``path`` (JSON when named ``.json``, else YAML)."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SpecDocumentError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecDocumentError(f"{name}: not UTF-8 text, so neither JSON nor YAML") from None
    return parse_document(text, name, as_json=name.lower().endswith(".json"))


def load_bundled_spec() -> Document:
    """The spec the installed client was generated from (``hubspot_commprefs_client/openapi.yaml``)."""
    from importlib.resources import files  # noqa: PLC0415

    name = "the bundled spec"
    try:
        text = (files("hubspot_commprefs_client") / "openapi.yaml").read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError) as exc:
        raise SpecDocumentError(f"{name}: cannot read it ({exc})") from None
    return parse_document(text, name)


@dataclass(frozen=True, slots=True)
class SchemaView:
    """One schema, normalised: what a comparison looks at, whatever the document's dialect or names."""

    key: object  # identity for the cycle guard: the reference followed, else the node itself
    name: str | None  # the component's name when reached through a $ref
    types: frozenset[str] | None  # None: any type
    nullable: bool
    format: str | None
    enum: tuple[Any, ...] | None
    default: Any
    properties: dict[str, Any]  # name -> raw node (resolved when the comparison gets there)
    required: frozenset[str]
    items: Any  # raw node or None
    additional: Any  # raw node, True/False, or None when not said
    constraints: dict[str, Any]
    description: str | None
    marker: str | None

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT


def _type_set(value: Any) -> set[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(v) for v in value}
    return None


def _flatten(doc: Document, node: Any, where: str, depth: int = 0) -> dict[str, Any]:
    """``node`` resolved, with ``allOf`` merged and nullable ``anyOf``/``oneOf`` unwrapped, as one dict."""
    node, _ = doc.resolve(node, where)
    if not isinstance(node, dict):
        return {}
    if depth > MAX_COMPOSITION_DEPTH:
        raise SpecDocumentError(f"{doc.name}: allOf/anyOf/oneOf nested too deeply (a cycle?) at {where}")
    out: dict[str, Any] = {k: v for k, v in node.items() if k not in {"allOf", "anyOf", "oneOf"}}
    for index, part in enumerate(node.get("allOf") or []):
        _merge_all_of(out, _flatten(doc, part, f"{where}/allOf/{index}", depth + 1))
    branches = [*(node.get("anyOf") or []), *(node.get("oneOf") or [])]
    kept = []
    for index, branch in enumerate(branches):
        flat = _flatten(doc, branch, f"{where}/anyOf|oneOf/{index}", depth + 1)
        if _type_set(flat.get("type")) == {"null"}:
            out["nullable"] = True
        else:
            kept.append(flat)
    if len(kept) == 1:  # T or null: T, nullable
        for key, value in kept[0].items():
            out.setdefault(key, value)
    elif kept:  # a real union: only its types are compared
        types: set[str] | None = set()
        for flat in kept:
            branch_types = _type_set(flat.get("type"))
            types = None if branch_types is None or types is None else types | branch_types
        out["type"] = sorted(types) if types is not None else None
    return out


def _merge_all_of(out: dict[str, Any], part: dict[str, Any]) -> None:
    """Merge one ``allOf`` part into ``out``: properties and ``required`` united, types intersected, the
    rest kept from ``out`` first (so a description beside a 3.0 ``allOf: [{$ref}]`` wins)."""
    for key, value in part.items():
        if key == "properties":
            out["properties"] = {**value, **out.get("properties", {})}
        elif key == "required":
            out["required"] = sorted({*out.get("required", []), *value})
        elif key == "type" and "type" in out:
            both = (_type_set(out["type"]) or set()) & (_type_set(value) or set())
            out["type"] = sorted(both) if both else out["type"]
        else:
            out.setdefault(key, value)


def schema_view(doc: Document, node: Any, where: str) -> SchemaView:
    """``node`` (a schema, perhaps a ``$ref``) normalised."""
    resolved, ref = doc.resolve(node, where)
    flat = _flatten(doc, node, where)
    types = _type_set(flat.get("type"))
    nullable = bool(flat.get("nullable"))
    if types is not None and "null" in types:
        nullable = True
        types.discard("null")
    if types is None and "properties" in flat:
        types = {"object"}
    elif types is None and "items" in flat:
        types = {"array"}
    if types is not None and not types:  # only "null"
        types = None
    enum = _enum(flat)
    if isinstance(flat.get("enum"), list) and None in flat["enum"]:
        nullable = True
    properties = flat.get("properties")
    required = flat.get("required")
    description = flat.get("description")
    return SchemaView(
        key=ref if ref is not None else id(resolved),
        name=ref.rsplit("/", 1)[-1] if ref is not None and ref.startswith("#/components/schemas/") else None,
        types=frozenset(types) if types is not None else None,
        nullable=nullable,
        format=str(flat["format"]) if flat.get("format") is not None else None,
        enum=enum,
        default=flat.get("default", _NO_DEFAULT),
        properties=dict(properties) if isinstance(properties, dict) else {},
        required=frozenset(str(r) for r in required) if isinstance(required, list) else frozenset(),
        items=flat.get("items"),
        additional=flat.get("additionalProperties"),
        constraints=_constraints(flat),
        description=" ".join(description.split()) if isinstance(description, str) else None,
        marker=marker_of(flat),
    )


def _enum(flat: dict[str, Any]) -> tuple[Any, ...] | None:
    if "const" in flat:
        return (flat["const"],)
    if isinstance(flat.get("enum"), list):
        return tuple(v for v in flat["enum"] if v is not None)
    return None


def _constraints(flat: dict[str, Any]) -> dict[str, Any]:
    constraints = {key: flat[key] for key in CONSTRAINT_KEYS if key in flat}
    for bound in ("Minimum", "Maximum"):
        exclusive = constraints.get(f"exclusive{bound}")
        if isinstance(exclusive, bool):  # 3.0: a flag on minimum/maximum; 3.1: the bound itself
            del constraints[f"exclusive{bound}"]
            if exclusive and bound.lower() in constraints:
                constraints[f"exclusive{bound}"] = constraints.pop(bound.lower())
    return constraints


def marker_of(node: Any) -> str | None:
    """The reason given by ``x-deliberate-difference`` on ``node`` (already resolved), or None."""
    if isinstance(node, dict) and node.get(MARKER) not in (None, False, ""):
        return str(node[MARKER])
    return None
