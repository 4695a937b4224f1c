"""Read an OpenAPI document (JSON or YAML, 3.0 or 3.1), resolve its local ``$ref``s and normalise schemas.

Nothing here knows HubSpot: it turns any document into views in which schema names and the 3.0/3.1
spelling no longer show. Every bound below ends in ``SpecDocumentError``: a one-line message naming the
file and the problem (the command's exit 2), never a traceback.

- **Reading.** At most ``MAX_DOCUMENT_BYTES`` (16 MiB; ``max_bytes`` changes it) are read: a larger file
  is refused before it is parsed. A ``.json`` file is parsed as JSON; anything else as YAML (a superset of
  JSON), with libyaml's ``CSafeLoader`` when PyYAML has it (several times faster than the pure-Python
  loader), imported lazily so that the CLI's core needs PyYAML only when a YAML file is read. A file that
  cannot be read, is not UTF-8, is neither JSON nor YAML, or is not an OpenAPI 3.0/3.1 document is refused.
- **Shape.** A document nested more than ``MAX_NESTING`` (100) levels of objects and lists, or holding
  itself (a YAML alias loop), is refused (real ones nest about 20), so that nothing after reading it
  recurses deeply or endlessly; so is one whose YAML aliases repeat its objects and lists more than
  ``MAX_ALIAS_REPEATS`` (10) times over, since every value may end up compared, printed or in the JSON.
- **References** are resolved lazily (``hubspot_commprefs._refs``), where the comparison walks: a document may hold
  hundreds of operations we never look at.
- **Work.** Looking at a schema spends from the comparison's ``Budget``: ``MAX_WORK`` units (a schema
  looked at, a property or enum value compared), some 250 times what comparing our spec with HubSpot's
  spends, so that schemas reached through very many paths (two properties that are ``$ref``s to the next
  schema, 40 times over; YAML aliases) are refused in about a second rather than walked for hours.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hubspot_commprefs._refs import References, RefError

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
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
MAX_NESTING = 100
MAX_ALIAS_REPEATS = 10
MAX_COMPOSITION_DEPTH = 32
MAX_WORK = 100_000
_SHOWN_WHERE = 120
_NO_DEFAULT = object()


class SpecDocumentError(Exception):
    """A document that cannot be compared: unreadable, too large or too deeply nested, not JSON or YAML,
    not OpenAPI 3.0/3.1, holding a reference that cannot be resolved, or too costly to compare. The
    message is one line that names the file and the problem."""


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed OpenAPI document and the name it is reported under (a path, or ``the bundled spec``)."""

    name: str
    root: dict[str, Any]
    _refs: References = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_refs", References(self.root))

    @property
    def openapi(self) -> str:
        return str(self.root.get("openapi", ""))

    def resolve(self, node: Any, where: str) -> tuple[Any, str | None]:
        """``node`` with its ``$ref`` chain followed, and the last reference followed (None for inline).

        Keys beside a ``$ref`` (3.1 allows ``description`` or our marker there) are kept over the
        target's. ``where`` says where the node is, for error messages.
        """
        try:
            return self._refs.resolve(node, where)
        except RefError as exc:
            raise SpecDocumentError(f"{self.name}: {exc}") from None


class Budget:
    """The work one comparison may do (``MAX_WORK`` units), spent as it goes; ``name`` names the comparison
    in the error that ends it."""

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
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml's when PyYAML has it
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


def _shape(root: Any) -> tuple[int, int, int]:
    """(levels of objects and lists ``root`` nests, its objects and lists, and the same counting a node
    shared through YAML aliases once per place it appears). Past ``MAX_NESTING`` levels, or on a node
    that contains itself (an alias loop), the count stops, saying ``MAX_NESTING + 1`` levels."""
    heights: dict[int, int] = {}
    sizes: dict[int, int] = {}  # objects and lists at and under a node, aliases repeated
    open_nodes: set[int] = set()  # the nodes whose children are being counted: the path from the root
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, counted = stack.pop()
        values = node.values() if isinstance(node, dict) else node
        containers = [v for v in values if isinstance(v, dict | list)]
        if counted:
            open_nodes.discard(id(node))
            heights[id(node)] = 1 + max((heights[id(v)] for v in containers), default=0)
            sizes[id(node)] = 1 + sum(sizes[id(v)] for v in containers)
            if heights[id(node)] > MAX_NESTING:
                return MAX_NESTING + 1, len(sizes), sizes[id(node)]
        elif id(node) in open_nodes:
            return MAX_NESTING + 1, len(sizes), len(sizes)
        elif id(node) not in heights:
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((v, False) for v in containers)
    return heights[id(root)], len(sizes), sizes[id(root)]


def parse_document(text: str, name: str, *, as_json: bool = False) -> Document:
    """``text`` as an OpenAPI 3.0/3.1 document, or ``SpecDocumentError``."""
    root = _parse(text, name, as_json=as_json)
    return as_document(root, name)


def as_document(root: Any, name: str) -> Document:
    """An already parsed document, checked to be OpenAPI 3.0 or 3.1 and of a bounded shape (above)."""
    if not isinstance(root, dict):
        raise SpecDocumentError(f"{name}: not an OpenAPI document (its top level is not an object)")
    levels, nodes, repeated = _shape(root)
    if levels > MAX_NESTING:
        raise _too_deep(name)
    if repeated > MAX_ALIAS_REPEATS * nodes:
        raise SpecDocumentError(
            f"{name}: its YAML aliases repeat its objects and lists more than {MAX_ALIAS_REPEATS} times over"
        )
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
        raise SpecDocumentError(
            f"{name}: larger than {_size(max_bytes)}, more than spec-diff reads (--max-size raises the bound)"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecDocumentError(f"{name}: not UTF-8 text, so neither JSON nor YAML") from None
    return parse_document(text, name, as_json=name.lower().endswith(".json"))


def _size(size: int) -> str:
    mib = size / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{size:,} bytes"


def load_bundled_spec() -> Document:
    """The spec the installed client was generated from (``hubspot_commprefs_client/openapi.yaml``)."""
    from importlib.resources import files

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
    marker: Any  # the raw x-deliberate-difference (read for ours only)

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


def _flatten(doc: Document, node: Any, where: str, budget: Budget, depth: int = 0) -> dict[str, Any]:
    """``node`` resolved, with ``allOf`` merged and nullable ``anyOf``/``oneOf`` unwrapped, as one dict."""
    budget.spend(1, where)
    node, _ = doc.resolve(node, where)
    if not isinstance(node, dict):
        return {}
    if depth > MAX_COMPOSITION_DEPTH:
        raise SpecDocumentError(f"{doc.name}: allOf/anyOf/oneOf nested too deeply (a cycle?) at {where}")
    out: dict[str, Any] = {k: v for k, v in node.items() if k not in {"allOf", "anyOf", "oneOf"}}
    parts = [
        _flatten(doc, p, f"{where}/allOf/{i}", budget, depth + 1)
        for i, p in enumerate(as_list(node.get("allOf")))
    ]
    if parts:
        _merge_all_of(out, parts, budget, where)
    branches = [*as_list(node.get("anyOf")), *as_list(node.get("oneOf"))]
    kept = []
    for index, branch in enumerate(branches):
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


def _merge_all_of(out: dict[str, Any], parts: list[dict[str, Any]], budget: Budget, where: str) -> None:
    """Merge ``allOf`` parts into ``out``: properties and ``required`` united, types intersected, the rest
    kept from ``out`` first (so a description beside a 3.0 ``allOf: [{$ref}]`` wins)."""
    properties = dict(as_mapping(out.get("properties")))
    required = set(as_strings(out.get("required")))
    for part in parts:
        for key, value in part.items():
            if key == "properties":
                budget.spend(len(as_mapping(value)), where)
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


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one (a malformed document is read as saying nothing)."""
    return value if isinstance(value, list) else []


def as_mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def as_strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def schema_view(doc: Document, node: Any, where: str, budget: Budget) -> SchemaView:
    """``node`` (a schema, perhaps a ``$ref``) normalised."""
    resolved, ref = doc.resolve(node, where)
    flat = _flatten(doc, node, where, budget)
    types = _type_set(flat.get("type"))
    nullable = flat.get("nullable") is True
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
    description = flat.get("description")
    return SchemaView(
        key=ref if ref is not None else id(resolved),
        name=ref.rsplit("/", 1)[-1] if ref is not None and ref.startswith("#/components/schemas/") else None,
        types=frozenset(types) if types is not None else None,
        nullable=nullable,
        format=str(flat["format"]) if flat.get("format") is not None else None,
        enum=enum,
        default=flat.get("default", _NO_DEFAULT),
        properties={str(name): schema for name, schema in as_mapping(flat.get("properties")).items()},
        required=frozenset(as_strings(flat.get("required"))),
        items=flat.get("items"),
        additional=flat.get("additionalProperties"),
        constraints=_constraints(flat),
        description=" ".join(description.split()) if isinstance(description, str) else None,
        marker=flat.get(MARKER),
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
