"""Check a 200 body the client's way (the spec's ``CLIENT`` reading, compiled in ``_compiled``), and build
its generated model once it passed: a body that breaks the spec raises ``BodyMismatch`` (the field path and
its first problem); a valid one costs one call into compiled code. ``strip_for_model`` maps what the models
cannot read (``null`` in an optional field is absent, a leap second the last microsecond before it), copying
only what changes; the ``errors`` items of a 200 are read tolerantly (``parse_errors``).

``json.loads`` keeps the last of two equal keys without a word: ``duplicate_key`` counts the text's commas
(n members, n - 1 commas); only when they outnumber the separators of the decoded body's first two levels is
the text read again with every key seen (``object_pairs_hook``), which names the repeated key.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hubspot_commprefs._logging import scrub
from hubspot_commprefs.schemas._compiled import (
    CLIENT,
    CLIENT_WHOLE,
    COMPONENTS_REF,
    ERRORS_FIELD,
    INT_RANGES,
    Problem,
    ProblemKind,
    bundled,
    json_type,
    python_date_time,
    types_of,
    value_at,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

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
        return _date_time
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


def _date_time(value: Any) -> Any:
    return python_date_time(value) if isinstance(value, str) else value


Path = tuple[str | int, ...]


def duplicate_key(content: bytes, body: Any) -> Path | None:
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


def _first(value: Any, repeated: dict[int, str]) -> Path:
    """The path, in ``value``, of the first object ``repeated`` names (by id), with its repeated key."""
    stack: list[tuple[Any, Path]] = [(value, ())]
    while stack:
        current, path = stack.pop()
        if isinstance(current, dict):
            if id(current) in repeated:
                return (*path, repeated[id(current)])
            stack += reversed([(v, (*path, k)) for k, v in current.items()])
        elif isinstance(current, list):
            stack += reversed([(v, (*path, i)) for i, v in enumerate(current)])
    raise AssertionError("a repeated key was seen by the pairs hook")  # pragma: no cover
