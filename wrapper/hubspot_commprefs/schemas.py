"""The spec's own schemas, compiled once with jsonschema-rs: the one reading of what an answer may hold, for
the client, the conformance suite and the fake server (from the generated package's ``schemas.json``). Core
dependencies only: no YAML.

Formats are compiled keywords, so a valid answer calls no Python per field: ``int32``/``int64`` a ``minimum``
and ``maximum``; ``date-time`` RFC 3339 (a leap second at 23:59 UTC only) and ``not`` year 0000, which
``datetime`` cannot hold. A failing body is described by its first problem, where jsonschema-rs stops (it
checks a node's ``type`` first); ``problems`` lists a bounded number for the conformance report. Readings:
``STRICT``, the spec; ``CLOSED``, also refusing fields the spec does not list; ``CLIENT``, the client's
tolerances (any string in a string enum, ``null`` in an optional property, the root's ``errors`` items
unchecked); ``CLIENT_WHOLE``, ``CLIENT`` where ``1.0`` is no integer.

The client's check of a 200 body (``check``, the ``CLIENT`` reading) raises ``BodyMismatch`` (the field path
and its first problem); ``build`` then makes its generated model, ``strip_for_model`` mapping what the models
cannot read (``null`` in an optional field is absent, a leap second the last microsecond before it), copying
only what changes; the ``errors`` items of a 200 are read tolerantly (``parse_errors``).

``json.loads`` keeps the last of two equal keys without a word: ``duplicate_key`` counts the text's commas
(n members, n - 1 commas); only when they outnumber the separators of the decoded body's first two levels is
the text read again with every key seen (``object_pairs_hook``), which names the repeated key.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from hubspot_commprefs._logging import scrub

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


_EXCERPT = 40


@dataclass(eq=False)
class BodyMismatch(Exception):  # noqa: N818 - internal signal, turned into UnexpectedResponseError
    """``problem`` never holds the value; ``shown`` is the (string) value quoted in the message, cut to
    ``_EXCERPT`` characters by ``describe`` after the token is scrubbed from it."""

    path: str
    problem: str
    shown: str | None = None

    def describe(self, secret: str | None = None) -> str:
        """``path: problem``, with the value quoted (the token scrubbed from it before it is cut)."""
        text = f"{self.path or 'the body'}: {self.problem}"
        if self.shown is not None:
            shown = scrub(self.shown, secret)
            text += f": {shown[:_EXCERPT]!r}" + ("..." if len(shown) > _EXCERPT else "")
        return scrub(text, secret)

    def __str__(self) -> str:
        return self.describe()


_TYPE_NAMES = {
    "null": "null",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "array": "an array",
    "object": "an object",
}
_FORMAT_NAMES = {"date-time": "a date-time string", "uuid": "a UUID string"}
_FORMAT_PROBLEMS = {"date-time": "not a valid date-time", "uuid": "not a UUID"}


def _kind(value: Any) -> str:
    """How a JSON value is named in messages (never the value itself: it may be personal data)."""
    name = json_type(value)
    return _TYPE_NAMES.get(name, name)


def field_path(parts: tuple[str | int, ...]) -> str:
    """A path in a body as messages write it: ``results[0].subscriptionId``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f"{text and '.'}{part}")
    return text


def _expected(schema: Mapping[str, Any]) -> str:
    types = types_of(schema)
    fmt = schema.get("format")
    if types == ("string",) and fmt in _FORMAT_NAMES:
        return _FORMAT_NAMES[fmt]
    return " or ".join(_TYPE_NAMES.get(t, t) for t in types) or "another value"


def _mismatch(problem: Problem, body: Any) -> BodyMismatch:  # noqa: PLR0911 - one return per kind of problem
    """The message of ``problem``, in the words the client has always used."""
    path = field_path(problem.path)
    value = value_at(body, problem.path)
    fmt = str(problem.schema.get("format", ""))
    shown = value if isinstance(value, str) else None
    kind = problem.kind
    if kind is ProblemKind.MISSING:
        return BodyMismatch(path, "required field is missing")
    if kind is ProblemKind.TYPE:
        return BodyMismatch(path, f"expected {_expected(problem.schema)}, got {_kind(value)}")
    if kind is ProblemKind.FRACTION:
        return BodyMismatch(path, f"expected an integer, got {_kind(value)}")
    if kind is ProblemKind.RANGE:
        return BodyMismatch(
            path, f"integer out of the {fmt} range" if fmt in INT_RANGES else "integer out of range"
        )
    if kind is ProblemKind.SYNTAX:
        return BodyMismatch(
            path, "not an RFC 3339 date-time" if fmt == "date-time" else f"not a {fmt}", shown
        )
    if kind is ProblemKind.FORMAT:
        return BodyMismatch(path, _FORMAT_PROBLEMS.get(fmt, f"not a valid {fmt}"), shown)
    if kind is ProblemKind.ENUM:
        return BodyMismatch(path, "not one of the values the spec lists", shown)
    return BodyMismatch(path, f"does not match the spec ({problem.detail or kind})")


def check(model: type, body: Any, *, whole_integers: bool = False) -> None:
    """Raise ``BodyMismatch`` unless ``body`` (decoded JSON) is a valid 200 body for ``model``, as the
    client reads the spec. ``whole_integers``: the body holds a decoded float (``1.0`` is no integer)."""
    # The generator names each model after the spec's component schema it was made from.
    compiled = bundled().validator(model.__name__, CLIENT_WHOLE if whole_integers else CLIENT)
    if compiled.is_valid(body):
        return
    problem = compiled.first_problem(body)
    raise _mismatch(problem, body) if problem is not None else BodyMismatch("", "does not match the spec")


def build(model: Any, body: dict[str, Any], *, nulls: bool = True) -> Any:
    """The generated model of a body ``check`` passed: ``null`` in optional fields taken as absent, and
    the ``errors`` items read tolerantly (as generated models when they all match the spec; otherwise the
    raw list is kept in ``additional_properties``, so ``to_dict()`` still has it). ``nulls``: whether the
    body may hold a null (False skips looking for them)."""
    raw_errors = body.get(ERRORS_FIELD)
    checked = {k: v for k, v in body.items() if k != ERRORS_FIELD} if ERRORS_FIELD in body else body
    if nulls:
        checked = strip_for_model(model.__name__, checked)
    try:
        built = model.from_dict(checked)
    except ValueError:  # a leap second: the one date-time the check passes that datetime cannot read
        built = model.from_dict(strip_for_model(model.__name__, checked))
    if isinstance(raw_errors, list):
        parsed = parse_errors(model, raw_errors) if raw_errors else []
        if parsed is not None:
            built.errors = parsed
        else:
            built.additional_properties[ERRORS_FIELD] = raw_errors
    return built


def parse_errors(model: type, items: list[Any]) -> list[Any] | None:
    """The generated models of ``errors`` items when every one matches the spec, else None."""
    schema = bundled().schema(model.__name__).get("properties", {}).get(ERRORS_FIELD, {})
    ref = schema.get("items", {}).get("$ref", "")
    if not ref.startswith(COMPONENTS_REF):
        return None
    name = ref.removeprefix(COMPONENTS_REF)
    item_model = getattr(sys.modules[model.__module__.rsplit(".", 1)[0]], name, None)
    if item_model is None:
        return None
    compiled = bundled().validator(name, CLIENT)
    try:
        if not all(compiled.is_valid(item) for item in items):
            return None
        return [item_model.from_dict(strip_for_model(name, item)) for item in items]
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
        return None


Stripper = Callable[[Any], Any]
"""Returns its argument, or a copy of it without what the models cannot read (copying only what held it)."""


def strip_for_model(name: str, value: Any) -> Any:
    """``value`` (of component ``name``, checked) without ``null`` in the optional fields the spec does not
    declare nullable, and with each date-time as ``python_date_time`` reads it: a copy only where something
    changed (``value`` itself is never changed)."""
    strip = _component(name)
    return value if strip is None else strip(value)


@functools.cache  # a thread that misses builds its own, equal stripper: nothing half-built is shared
def _component(name: str) -> Stripper | None:
    return _component_stripper(name, {})


def _allows_null(schema: Any, components: Mapping[str, Any]) -> bool:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = components.get(str(schema["$ref"]).removeprefix(COMPONENTS_REF), {})
    return isinstance(schema, dict) and ("null" in types_of(schema) or None in schema.get("enum", ()))


def _component_stripper(name: str, building: dict[str, Stripper | None]) -> Stripper | None:
    if name in building:  # being built: a component that holds itself

        def later(value: Any) -> Any:
            strip = building[name]
            return value if strip is None else strip(value)

        return later
    building[name] = None
    building[name] = _stripper(bundled().schema(name), building)
    return building[name]


def _stripper(schema: Any, building: dict[str, Stripper | None]) -> Stripper | None:
    if not isinstance(schema, dict):
        return None
    if schema.get("format") == "date-time" and "string" in types_of(schema):
        return _strip_date_time
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(COMPONENTS_REF):
        return _component_stripper(ref.removeprefix(COMPONENTS_REF), building)
    components = bundled().components
    item = _stripper(schema.get("items"), building)
    if item is not None:

        def strip_items(value: Any) -> Any:
            if not isinstance(value, list):
                return value
            out = [item(element) for element in value]
            return value if all(a is b for a, b in zip(out, value, strict=True)) else out

        return strip_items
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    droppable = frozenset(
        key for key, sub in properties.items() if key not in required and not _allows_null(sub, components)
    )
    inner = {key: s for key, sub in properties.items() if (s := _stripper(sub, building)) is not None}
    extra = _stripper(schema.get("additionalProperties"), building)
    if not droppable and not inner and extra is None:
        return None

    def strip(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] | None = None
        for key, element in value.items():
            if element is None and key in droppable:
                new: Any = _DROP
            else:
                child = inner.get(key) if key in properties else extra
                new = element if child is None or element is None else child(element)
            if new is not element:
                if out is None:
                    out = dict(value)
                if new is _DROP:
                    del out[key]
                else:
                    out[key] = new
        return value if out is None else out

    return strip


_DROP = object()


def _strip_date_time(value: Any) -> Any:
    return python_date_time(value) if isinstance(value, str) else value


def duplicate_key(content: bytes, body: Any) -> _Path | None:
    """The path of a key that an object of ``content``, the JSON text ``body`` was decoded from, holds
    more than once (of the first such object in the text; the key's name last), or None when there is
    none."""
    if content.count(b",") == _separators(body):
        return None
    repeated: dict[int, str] = {}

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    repeated[id(obj)] = key
                    break
                seen.add(key)
        return obj

    every_key = json.loads(content, object_pairs_hook=pairs_hook)
    return _first(every_key, repeated) if repeated else None


def _separators(value: Any, depth: int = 2) -> int:
    """The separators between the members of ``value`` and of its containers ``depth`` levels down (a type
    json.loads does not make counts as a value without members, which keeps the count a lower bound)."""
    kind = type(value)
    if not value or (kind is not dict and kind is not list):
        return 0
    total = len(value) - 1
    if depth:
        for child in value.values() if kind is dict else value:
            total += _separators(child, depth - 1)
    return total


def _first(value: Any, repeated: dict[int, str]) -> _Path:
    """The path, in ``value``, of the first object ``repeated`` names (by id), with its repeated key."""
    stack: list[tuple[Any, _Path]] = [(value, ())]
    while stack:
        current, path = stack.pop()
        if isinstance(current, dict):
            if id(current) in repeated:
                return (*path, repeated[id(current)])
            stack += reversed([(v, (*path, k)) for k, v in current.items()])
        elif isinstance(current, list):
            stack += reversed([(v, (*path, i)) for i, v in enumerate(current)])
    raise AssertionError("a repeated key was seen by the pairs hook")  # pragma: no cover
