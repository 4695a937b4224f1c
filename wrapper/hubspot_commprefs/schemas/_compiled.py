"""The spec's own schemas, compiled once with jsonschema-rs: the one reading of what an answer may hold, for
the client, the conformance suite and the fake server (from the generated package's ``schemas.json``).

Formats are compiled keywords, so a valid answer calls no Python per field: ``int32``/``int64`` a ``minimum``
and ``maximum``; ``date-time`` RFC 3339 (a leap second at 23:59 UTC only) and ``not`` year 0000, which
``datetime`` cannot hold. A failing body is described by its first problem, where jsonschema-rs stops (it
checks a node's ``type`` first); ``problems`` lists a bounded number for the conformance report. Readings:
``STRICT``, the spec; ``CLOSED``, also refusing fields the spec does not list; ``CLIENT``, the client's
tolerances (any string in a string enum, ``null`` in an optional property, the root's ``errors`` items
unchecked); ``CLIENT_WHOLE``, ``CLIENT`` where ``1.0`` is no integer.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
import threading
from dataclasses import dataclass
from enum import StrEnum
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import jsonschema_rs

COMPONENTS_REF = "#/components/schemas/"
ERRORS_FIELD = "errors"
"""The property of a 200 answer that lists HubSpot's errors, read tolerantly by the client."""

INT_RANGES: dict[str, tuple[int, int]] = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
"""The integer formats of OpenAPI, by name: (lowest, highest)."""
INT32_MAX = INT_RANGES["int32"][1]
INT64_MIN, INT64_MAX = INT_RANGES["int64"]

RFC3339_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
"""RFC 3339's date-time syntax (section 5.6, to match whole): tells a wrong syntax from a wrong date."""
DATE_TIME_EXAMPLE = "2026-03-18T09:14:02Z"
_YEAR_ZERO = {"type": "string", "pattern": "^0000"}
"""Year 0000, which Python's datetime cannot hold (a string only: ``not`` must not fail other types)."""
_LEAP_SECOND = re.compile(r"^(.{17})60[.0-9]*", re.DOTALL)
_WHOLE_INTEGER = "x-hubspot-commprefs-whole-integer"
_NULL = {"type": "null"}
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


@dataclass(frozen=True, slots=True)
class Reading:
    tolerant: bool = False
    closed: bool = False
    whole_integers: bool = False


STRICT = Reading()
CLOSED = Reading(closed=True)
CLIENT = Reading(tolerant=True)
CLIENT_WHOLE = Reading(tolerant=True, whole_integers=True)


def _subschemas(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for keyword in ("items", "additionalProperties", "not", "if", "then", "else", "contains"):
        if isinstance(node.get(keyword), dict):
            yield node[keyword]
    for keyword in ("allOf", "anyOf", "oneOf", "prefixItems"):
        yield from (s for s in node.get(keyword, ()) if isinstance(s, dict))
    for keyword in ("properties", "patternProperties", "$defs"):
        yield from (s for s in node.get(keyword, {}).values() if isinstance(s, dict))


def json_type(value: Any) -> str:
    """The JSON type of a decoded value (``integer``, ``null``...; the Python type's name for another)."""
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def types_of(node: Mapping[str, Any]) -> tuple[str, ...]:
    kind = node.get("type")
    return (kind,) if isinstance(kind, str) else tuple(kind) if isinstance(kind, list) else ()


def _transform_node(node: dict[str, Any], reading: Reading) -> None:
    for child in list(_subschemas(node)):
        _transform_node(child, reading)
    types = types_of(node)
    fmt = node.get("format")
    if "integer" in types and fmt in INT_RANGES:
        low, high = INT_RANGES[fmt]
        node["minimum"] = max(node.get("minimum", low), low)
        node["maximum"] = min(node.get("maximum", high), high)
    elif "string" in types and fmt == "date-time":
        node["allOf"] = [*node.get("allOf", ()), {"not": _YEAR_ZERO}]
    if reading.tolerant and "enum" in node and types and set(types) <= {"string", "null"}:
        del node["enum"]  # an unknown value is kept, not refused
    if reading.whole_integers and "integer" in types:
        node[_WHOLE_INTEGER] = True
    properties = node.get("properties")
    if isinstance(properties, dict):
        if reading.tolerant:
            required = set(node.get("required", ()))
            for name, schema in properties.items():
                if name not in required:  # null is taken as absent
                    properties[name] = {"if": _NULL, "then": True, "else": schema}
        if reading.closed and not any(k in node for k in ("additionalProperties", "patternProperties")):
            node["additionalProperties"] = False


def transform(
    components: Mapping[str, Any], reading: Reading, root: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A JSON Schema document that reads ``root`` (default: anything) as ``reading`` says, its ``$ref``s
    resolving against ``components`` read the same way (for the client, the root's ``errors`` items are
    not checked)."""
    schemas = copy.deepcopy(dict(components))
    for schema in schemas.values():
        if isinstance(schema, dict):
            _transform_node(schema, reading)
    document: dict[str, Any] = copy.deepcopy(dict(root)) if root is not None else {}
    errors = document.get("properties", {}).get(ERRORS_FIELD)
    if reading.tolerant and isinstance(errors, dict) and "array" in types_of(errors):
        errors.pop("items", None)
    _transform_node(document, reading)
    document["components"] = {"schemas": schemas}
    return document


class ProblemKind(StrEnum):
    """What is wrong at one place, the most telling kind first."""

    MISSING = "missing"
    """A required property is absent (``Problem.path`` ends with its name)."""
    EXTRA = "extra"
    """A property the spec does not list (``CLOSED`` only; ``Problem.path`` ends with its name)."""
    TYPE = "type"
    ENUM = "enum"
    RANGE = "range"
    """An integer out of its format's range (or out of a minimum or maximum the spec sets)."""
    FRACTION = "fraction"
    """A number with a fraction part where an integer belongs (``CLIENT_WHOLE`` only: checked last)."""
    SYNTAX = "syntax"
    """A string without the syntax of its format (an RFC 3339 date-time) or of its ``pattern``."""
    FORMAT = "format"
    """A string of its format's syntax naming no such value (a 13th month), or not of its format at all."""
    OTHER = "other"


_PRIORITY = {kind: rank for rank, kind in enumerate(ProblemKind)}


@dataclass(frozen=True, slots=True)
class Problem:
    """One way an instance breaks a schema, in the spec's terms (never holding the value itself)."""

    path: tuple[str | int, ...]
    """Where the value is in the instance; for MISSING and EXTRA, the path of the property named."""
    kind: ProblemKind
    schema: Mapping[str, Any]
    """The spec's schema node of the value (``type``, ``format``, ``enum``...), as read."""
    detail: str = ""
    """For OTHER, the keyword that failed."""


def value_at(instance: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        try:
            instance = instance[part]
        except (KeyError, IndexError, TypeError):
            return None
    return instance


class _WholeInteger:
    """The ``CLIENT_WHOLE`` keyword: a float (from JSON like ``1.0``) is not an integer."""

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        pass

    def validate(self, instance: jsonschema_rs.JSONType) -> None:
        if isinstance(instance, float):
            raise ValueError("a number with a fraction part is not an integer")  # noqa: TRY004 - jsonschema-rs' contract


MAX_PROBLEMS = 50
"""The most problems ``Compiled.problems`` lists for one instance."""
VIEW_VALUES = 200
"""How many values of an instance ``Compiled.problems`` looks at beyond its first problem."""
_KEYWORD_KINDS = {
    "type": ProblemKind.TYPE,
    "enum": ProblemKind.ENUM,
    "minimum": ProblemKind.RANGE,
    "maximum": ProblemKind.RANGE,
    "pattern": ProblemKind.SYNTAX,
    "not": ProblemKind.FORMAT,
    "format": ProblemKind.FORMAT,
    _WHOLE_INTEGER: ProblemKind.FRACTION,
}
_Path = tuple[str | int, ...]


class Compiled:
    """One compiled schema: ``is_valid`` (fast), ``first_problem`` and ``problems`` (what is wrong, in the
    spec's terms; bounded whatever the instance's size)."""

    __slots__ = ("_document", "_validator", "is_valid")

    def __init__(self, document: dict[str, Any], validator: jsonschema_rs.Validator) -> None:
        self._document = document
        self._validator = validator
        self.is_valid = validator.is_valid

    def _node(self, schema_path: list[str | int]) -> Mapping[str, Any]:
        """The schema node that declares the failed keyword's value: the nearest one with a ``type``."""
        nodes: list[Any] = [self._document]
        for part in schema_path[:-1]:
            nodes.append(nodes[-1][part])
        for node in reversed(nodes):
            if isinstance(node, dict) and ("type" in node or "enum" in node):
                return node
        return nodes[-1] if isinstance(nodes[-1], dict) else {}

    def _problems_of(self, error: jsonschema_rs.ValidationError) -> Iterator[Problem]:
        path = tuple(error.instance_path)
        kind = error.kind
        keyword = kind.name
        node = self._node(error.schema_path)
        if keyword == "required":
            yield Problem((*path, kind.property), ProblemKind.MISSING, node)  # type: ignore[attr-defined]
        elif keyword == "additionalProperties":
            for name in kind.unexpected:  # type: ignore[attr-defined]
                yield Problem((*path, name), ProblemKind.EXTRA, node)
        elif keyword == "format" and node.get("format") == "date-time":
            syntax = isinstance(error.instance, str) and RFC3339_DATE_TIME.fullmatch(error.instance)
            yield Problem(path, ProblemKind.FORMAT if syntax else ProblemKind.SYNTAX, node)
        elif keyword in _KEYWORD_KINDS:
            yield Problem(path, _KEYWORD_KINDS[keyword], node)
        else:
            yield Problem(path, ProblemKind.OTHER, node, keyword)

    def first_problem(self, instance: Any) -> Problem | None:
        """The first problem of ``instance`` (None when it has none): the one jsonschema-rs stops at."""
        import jsonschema_rs

        try:
            self._validator.validate(instance)
        except jsonschema_rs.ValidationError as error:
            return next(self._problems_of(error), None)
        return None

    def problems(self, instance: Any, limit: int = MAX_PROBLEMS) -> list[Problem]:
        """At most ``limit`` problems of ``instance``, one per place (the most telling one there), the
        first problem first: the others are looked for in a copy of ``instance`` cut to ``VIEW_VALUES``
        values, so that looking costs the same whatever the instance's size."""
        first = self.first_problem(instance)
        if first is None:
            return []
        view, cut = _cut(instance)
        blocked = {path[:depth] for path in cut for depth in range(len(path) + 1)}
        by_place: dict[_Path, Problem] = {first.path: first}
        for error in self._validator.iter_errors(view):
            for problem in itertools.islice(self._problems_of(error), limit):
                if not _trusted(problem, cut, blocked):
                    continue
                known = by_place.get(problem.path)
                if known is None or _PRIORITY[problem.kind] < _PRIORITY[known.kind]:
                    by_place[problem.path] = problem
        return list(by_place.values())[:limit]


def _cut(instance: Any) -> tuple[Any, set[_Path]]:
    """A copy of ``instance`` holding its first ``VIEW_VALUES`` values (in the order of the text), and the
    paths of the objects and arrays that lost members in it."""
    left = VIEW_VALUES
    cut: set[_Path] = set()

    def copy_of(value: Any, path: _Path) -> Any:
        nonlocal left
        left -= 1
        if isinstance(value, dict | list):
            members = value.items() if isinstance(value, dict) else enumerate(value)
            kept: list[tuple[Any, Any]] = []
            for key, member in members:
                if left <= 0:
                    cut.add(path)
                    break
                kept.append((key, copy_of(member, (*path, key))))
            return dict(kept) if isinstance(value, dict) else [member for _, member in kept]
        return value

    return copy_of(instance, ()), cut


def _trusted(problem: Problem, cut: set[_Path], blocked: set[_Path]) -> bool:
    """Whether a problem found in the cut copy is one of the instance itself: not a required member the
    cut left out, nor a keyword that looks into a container the cut changed (a wrong type and a member
    the spec does not list are the same in both)."""
    if problem.kind is ProblemKind.MISSING:
        return problem.path[:-1] not in cut
    return problem.kind in {ProblemKind.TYPE, ProblemKind.EXTRA} or problem.path not in blocked


def _compile(document: dict[str, Any], reading: Reading) -> Compiled:
    import jsonschema_rs

    keywords: dict[str, type[jsonschema_rs.KeywordValidator]] | None = (
        {_WHOLE_INTEGER: _WholeInteger} if reading.whole_integers else None
    )
    validator = jsonschema_rs.validator_for(document, validate_formats=True, keywords=keywords)
    return Compiled(document, validator)


_LOCK = threading.Lock()


class SpecSchemas:
    """The component schemas of one spec, and the validators compiled from them (each once, on first use)."""

    def __init__(self, components: Mapping[str, Any]) -> None:
        self.components: Mapping[str, Any] = components
        # By (component name, reading), and by (the schema as sorted JSON, which starts with "{", reading).
        self._compiled: dict[tuple[str, Reading], Compiled] = {}

    def schema(self, name: str) -> dict[str, Any]:
        try:
            schema: dict[str, Any] = self.components[name]
        except KeyError:
            raise LookupError(f"the spec has no component schema {name!r}") from None
        return schema

    def validator(self, name: str, reading: Reading = STRICT) -> Compiled:
        """The compiled component schema ``name`` (its own ``errors`` items unchecked, for the client)."""
        found = self._compiled.get((name, reading))  # the client's path: one dict lookup per answer
        return found if found is not None else self._compile((name, reading), self.schema(name))

    def compiled(self, schema: Mapping[str, Any], reading: Reading = STRICT) -> Compiled:
        """The compiled ``schema`` (a schema of the spec: its ``$ref``s name component schemas)."""
        key = (json.dumps(schema, sort_keys=True), reading)
        found = self._compiled.get(key)
        return found if found is not None else self._compile(key, schema)

    def _compile(self, key: tuple[str, Reading], root: Mapping[str, Any]) -> Compiled:
        with _LOCK:
            found = self._compiled.get(key)
            if found is None:
                found = _compile(transform(self.components, key[1], root), key[1])
                self._compiled[key] = found
        return found


_BUNDLED: list[SpecSchemas] = []


@functools.cache
def _bundled_document() -> dict[str, Any]:
    """The generated client's ``schemas.json``: the spec's ``info.version`` and component schemas."""
    document: dict[str, Any] = json.loads(
        (files("hubspot_commprefs_client") / "schemas.json").read_text(encoding="utf-8")
    )
    return document


def bundled() -> SpecSchemas:
    """The schemas of the spec the generated client was made from (its ``schemas.json``), read once."""
    if not _BUNDLED:
        with _LOCK:
            if not _BUNDLED:
                _BUNDLED.append(SpecSchemas(_bundled_document()["components"]["schemas"]))
    return _BUNDLED[0]


def api_version() -> str:
    """The API version the generated client speaks: the ``info.version`` of the spec it was made from."""
    return str(_bundled_document()["info"]["version"])


@functools.cache
def _date_time() -> Compiled:
    return _compile(transform({}, STRICT, {"type": "string", "format": "date-time"}), STRICT)


def is_date_time(value: object) -> bool:
    """Whether ``value`` is a date-time as the spec's ``format: date-time`` means it here: RFC 3339, leap
    second included, year 0000 not."""
    return isinstance(value, str) and _date_time().is_valid(value)


def python_date_time(text: str) -> str:
    """A date-time ``is_date_time`` passed, as ``datetime.fromisoformat`` can read it: a leap second (second
    60, and any fraction of it) becomes the last microsecond before it."""
    return _LEAP_SECOND.sub(r"\g<1>59.999999", text, count=1)
