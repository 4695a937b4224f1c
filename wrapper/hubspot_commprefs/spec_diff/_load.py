"""Read an OpenAPI document (JSON or YAML, 3.0 or 3.1) within bounds, and normalise its schemas.

Each bound ends in a one-line ``SpecDocumentError`` naming the file (exit 2): ``max_bytes`` read at most,
``MAX_NESTING`` levels (a YAML alias loop is deeper), aliases repeating the document at most
``MAX_ALIAS_REPEATS`` times over, and a comparison's ``Budget`` (some 250 times what comparing our spec with
HubSpot's spends). YAML is read with libyaml's ``CSafeLoader`` when PyYAML has it. ``schema_view`` hides
the dialect and the names: 3.0's ``nullable``, a ``"null"`` type, enum value or anyOf/oneOf branch are all
``nullable``; ``allOf`` is merged; ``const`` is an enum of one; 3.0's boolean exclusive bounds are 3.1's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hubspot_commprefs._refs import References, RefError

MARKER = "x-deliberate-difference"
_NUMBER_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
CONSTRAINT_KEYS = (*_NUMBER_BOUNDS, "minLength", "maxLength", "minItems", "maxItems", "pattern")
SUPPORTED_VERSIONS = ("3.0", "3.1")
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
MAX_NESTING = 100
MAX_ALIAS_REPEATS = 10
MAX_COMPOSITION_DEPTH = 32
MAX_WORK = 100_000
_SHOWN_WHERE = 120
NO_DEFAULT = object()


class SpecDocumentError(Exception):
    """A document that cannot be read or compared; the message is one line naming the file and the problem."""


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed OpenAPI document and the name it is reported under (a path, or ``the bundled spec``)."""

    name: str
    root: dict[str, Any]
    _refs: References = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_refs", References(self.root))

    def resolve(self, node: Any, where: str) -> tuple[Any, str | None]:
        """``node`` with its ``$ref`` chain followed, and the last reference followed (None for inline)."""
        try:
            return self._refs.resolve(node, where)
        except RefError as exc:
            raise SpecDocumentError(f"{self.name}: {exc}") from None


class Budget:
    """The work one comparison may do (``MAX_WORK`` units); ``name`` names it in the error that ends it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.left = MAX_WORK

    def spend(self, units: int, where: str) -> None:
        self.left -= units
        if self.left < 0:
            shown = where if len(where) <= _SHOWN_WHERE else where[: _SHOWN_WHERE - 3] + "..."
            raise SpecDocumentError(
                f"{self.name}: too costly to compare (more than {MAX_WORK:,} schemas, properties and enum "
                f"values looked at, at {shown}): schemas reached through very many paths"
            )


def _parse(text: str, name: str, *, as_json: bool) -> Any:
    if as_json:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecDocumentError(f"{name}: not valid JSON ({exc})") from None
        except RecursionError:
            raise _too_deep(name) from None
    try:
        import yaml
    except ImportError:
        raise SpecDocumentError(
            f"{name}: reading YAML needs PyYAML: pip install 'hubspot-commprefs[harness]' (or give a .json file)"
        ) from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        if "maximum nesting depth" in problem:  # libyaml's own bound (1,000 levels)
            raise _too_deep(name) from None
        raise SpecDocumentError(f"{name}: not valid JSON or YAML ({problem})") from None
    except RecursionError:
        raise _too_deep(name) from None
    finally:
        loader.dispose()


def _too_deep(name: str) -> SpecDocumentError:
    return SpecDocumentError(f"{name}: nested more than {MAX_NESTING} levels deep")


def _check_shape(root: dict[str, Any], name: str) -> None:
    """Refuse ``root`` when nested too deeply (a node holding itself is endlessly deep) or repeating itself
    through YAML aliases."""
    # id -> (levels at and under it, objects and lists under it counted once per path: aliases repeated)
    done: dict[int, tuple[int, int]] = {}

    def shape(node: Any, depth: int) -> tuple[int, int]:
        if id(node) in done:
            return done[id(node)]
        if depth > MAX_NESTING:
            raise _too_deep(name)
        values = node.values() if isinstance(node, dict) else node
        below = [shape(value, depth + 1) for value in values if isinstance(value, dict | list)]
        done[id(node)] = (1 + max((h for h, _ in below), default=0), 1 + sum(s for _, s in below))
        return done[id(node)]

    levels, repeated = shape(root, 1)
    if levels > MAX_NESTING:
        raise _too_deep(name)
    if repeated > MAX_ALIAS_REPEATS * len(done):
        raise SpecDocumentError(
            f"{name}: its YAML aliases repeat its objects and lists more than {MAX_ALIAS_REPEATS} times over"
        )


def as_document(root: Any, name: str) -> Document:
    """An already parsed document, checked to be OpenAPI 3.0 or 3.1 and of a bounded shape."""
    if not isinstance(root, dict):
        raise SpecDocumentError(f"{name}: not an OpenAPI document (its top level is not an object)")
    _check_shape(root, name)
    version = root.get("openapi")
    if version is None and "swagger" in root:
        raise SpecDocumentError(f"{name}: a Swagger {root['swagger']} document; OpenAPI 3.0 or 3.1 is needed")
    if version is None:
        raise SpecDocumentError(f"{name}: not an OpenAPI document (no 'openapi' field)")
    if not str(version).startswith(tuple(v + "." for v in SUPPORTED_VERSIONS)):
        raise SpecDocumentError(f"{name}: OpenAPI {version} is not supported (3.0 or 3.1 is)")
    if not isinstance(root.get("paths", {}), dict):
        raise SpecDocumentError(f"{name}: 'paths' is not an object")
    return Document(name=name, root=root)


def load_document(path: str | Path, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Document:
    """The OpenAPI document in the file ``path`` (JSON when named ``.json``, else YAML), refused when it is
    larger than ``max_bytes``."""
    name = str(path)
    try:
        with Path(path).open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as exc:
        raise SpecDocumentError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        mib = max_bytes / (1024 * 1024)
        size = f"{mib:g} MiB" if mib >= 1 else f"{max_bytes:,} bytes"
        raise SpecDocumentError(
            f"{name}: larger than {size}, more than spec-diff reads (--max-size raises the bound)"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecDocumentError(f"{name}: not UTF-8 text, so neither JSON nor YAML") from None
    return as_document(_parse(text, name, as_json=name.lower().endswith(".json")), name)


def load_bundled_spec() -> Document:
    """The spec the installed client was generated from (``hubspot_commprefs_client/openapi.yaml``)."""
    from importlib.resources import files

    name = "the bundled spec"
    try:
        text = (files("hubspot_commprefs_client") / "openapi.yaml").read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError) as exc:
        raise SpecDocumentError(f"{name}: cannot read it ({exc})") from None
    return as_document(_parse(text, name, as_json=False), name)


@dataclass(frozen=True, slots=True)
class SchemaView:
    """One schema, normalised: what a comparison looks at, whatever the document's dialect or names."""

    key: object  # identity for the cycle guard: the reference followed, else the node itself
    name: str | None  # the component's name when reached through a $ref
    types: frozenset[str] | None  # None: any type
    nullable: bool
    format: str | None
    enum: tuple[Any, ...] | None
    default: Any  # NO_DEFAULT when there is none
    properties: dict[str, Any]  # name -> raw node (resolved when the comparison gets there)
    required: frozenset[str]
    items: Any  # raw node or None
    additional: Any  # raw node, True/False, or None when not said
    constraints: dict[str, Any]
    description: str | None
    marker: Any  # the raw x-deliberate-difference (read for ours only)


def words(value: Any) -> str | None:
    """``value`` with its whitespace runs made single spaces, when it is text."""
    return " ".join(value.split()) if isinstance(value, str) else None


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one (a malformed document is read as saying nothing)."""
    return value if isinstance(value, list) else []


def as_mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def as_strings(value: Any) -> list[str]:
    return [str(v) for v in as_list(value)]


def _type_set(value: Any) -> set[str] | None:
    if isinstance(value, str):
        return {value}
    return {str(v) for v in value} if isinstance(value, list) else None


def _flatten(doc: Document, node: Any, where: str, budget: Budget, depth: int = 0) -> dict[str, Any]:
    """``node`` resolved, with ``allOf`` merged and nullable ``anyOf``/``oneOf`` unwrapped, as one dict."""
    budget.spend(1, where)
    node, _ = doc.resolve(node, where)
    if not isinstance(node, dict):
        return {}
    if depth > MAX_COMPOSITION_DEPTH:
        raise SpecDocumentError(f"{doc.name}: allOf/anyOf/oneOf nested too deeply (a cycle?) at {where}")
    out: dict[str, Any] = {k: v for k, v in node.items() if k not in {"allOf", "anyOf", "oneOf"}}
    parts = as_list(node.get("allOf"))
    if parts:
        flat_parts = [_flatten(doc, p, f"{where}/allOf/{i}", budget, depth + 1) for i, p in enumerate(parts)]
        budget.spend(sum(len(as_mapping(part.get("properties"))) for part in flat_parts), where)
        _merge_all_of(out, flat_parts)
    kept = []
    for index, branch in enumerate([*as_list(node.get("anyOf")), *as_list(node.get("oneOf"))]):
        flat = _flatten(doc, branch, f"{where}/anyOf|oneOf/{index}", budget, depth + 1)
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


def _merge_all_of(out: dict[str, Any], parts: list[dict[str, Any]]) -> None:
    """Merge ``allOf`` parts into ``out``: properties and ``required`` united, types intersected, the rest
    kept from ``out`` first (so a description beside a 3.0 ``allOf: [{$ref}]`` wins)."""
    properties = dict(as_mapping(out.get("properties")))
    required = set(as_strings(out.get("required")))
    for part in parts:
        for key, value in part.items():
            if key == "properties":
                for name, schema in as_mapping(value).items():
                    properties.setdefault(name, schema)
            elif key == "required":
                required.update(as_strings(value))
            elif key == "type" and "type" in out:
                both = (_type_set(out["type"]) or set()) & (_type_set(value) or set())
                out["type"] = sorted(both) if both else out["type"]
            else:
                out.setdefault(key, value)
    if properties:
        out["properties"] = properties
    if required:
        out["required"] = sorted(required)


def schema_view(doc: Document, node: Any, where: str, budget: Budget) -> SchemaView:
    """``node`` (a schema, perhaps a ``$ref``) normalised."""
    resolved, ref = doc.resolve(node, where)
    flat = _flatten(doc, node, where, budget)
    types = _type_set(flat.get("type"))
    enum = flat.get("enum")
    nullable = flat.get("nullable") is True or (isinstance(enum, list) and None in enum)
    if types is not None and "null" in types:
        nullable = True
        types.discard("null")
    if types is None and "properties" in flat:
        types = {"object"}
    elif types is None and "items" in flat:
        types = {"array"}
    values = tuple(v for v in enum if v is not None) if isinstance(enum, list) else None
    constraints = {key: flat[key] for key in CONSTRAINT_KEYS if key in flat}
    for bound in ("minimum", "maximum"):
        exclusive = f"exclusive{bound.title()}"
        flag = constraints.get(exclusive)
        if isinstance(flag, bool):  # 3.0: a flag on minimum/maximum; 3.1: the bound itself
            del constraints[exclusive]
        if flag is True and bound in constraints:
            constraints[exclusive] = constraints.pop(bound)
    return SchemaView(
        key=ref if ref is not None else id(resolved),
        name=ref.rsplit("/", 1)[-1] if ref is not None and ref.startswith("#/components/schemas/") else None,
        types=frozenset(types) if types else None,
        nullable=nullable,
        format=str(flat["format"]) if flat.get("format") is not None else None,
        enum=(flat["const"],) if "const" in flat else values,
        default=flat.get("default", NO_DEFAULT),
        properties={str(name): schema for name, schema in as_mapping(flat.get("properties")).items()},
        required=frozenset(as_strings(flat.get("required"))),
        items=flat.get("items"),
        additional=flat.get("additionalProperties"),
        constraints=constraints,
        description=words(flat.get("description")),
        marker=flat.get(MARKER),
    )
