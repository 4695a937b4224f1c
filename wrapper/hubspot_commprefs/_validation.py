"""Check a decoded JSON body against a generated model before the model is built from it.

The generated models raise ``KeyError`` on a missing field, accept wrong types silently and let
``datetime.fromisoformat`` raise ``ValueError``. This module reads each generated (attrs) model's fields
and type hints, so it follows the spec through regeneration with no hand-written schema: required
fields, strings, integers (not booleans, within int64), booleans, RFC 3339 date-times, UUIDs, enums
(any string: unknown values are kept), nested models, lists and maps. Extra fields are allowed.
A mismatch raises ``BodyMismatch`` naming the field path (``results[0].subscriptionId``) and the problem.

Two tolerances, both for forward compatibility: ``null`` in an optional field that is not declared
nullable is accepted and treated as absent (``strip_optional_nulls`` removes it before the model is
built); and the items of ``errors`` in a 200 are not checked here at all (``prepare`` takes them out:
HubSpot says every field of an error body is optional). Integers the spec declares ``int32``
(``INT32_FIELDS``; the generated models lost the format) are checked against that range.

The JSON name of each field is read from the model's own ``to_dict()`` on a placeholder instance, so the
generator's naming rules are never re-implemented here. Plans are built once per model class, on the
first answer; ``attrs`` is imported then, not when the package is imported.

Thread safety: a plan is built under ``_BUILD_LOCK`` (re-entrant, since a model's plan builds the plans of
the models it holds) and published in ``_PLANS`` only once complete, so a thread never sees a half-built
plan: threads that meet a model first at the same moment wait for the one that builds it.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import re
import sys
import threading
import types
import typing
import uuid
from typing import Any, Union

from hubspot_commprefs._logging import scrub

Checker = typing.Callable[[Any, str], None]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT32_FIELDS = frozenset({"numErrors"})
"""JSON names of the properties the spec declares ``format: int32`` (a test keeps this in step)."""
ERRORS_FIELD = "errors"
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII)
_PLANS: dict[type, Checker] = {}
"""Complete plans only, read without the lock."""
_BUILDING: dict[type, Checker] = {}
"""Plans being built (placeholders for models that refer to themselves), seen only under the lock."""
_BUILD_LOCK = threading.RLock()


_EXCERPT = 40


class BodyMismatch(Exception):  # noqa: N818 - internal signal, turned into UnexpectedResponseError
    """``problem`` never holds the value; ``shown`` is the (string) value quoted in the message, cut to
    ``_EXCERPT`` characters by ``describe`` after the token is scrubbed from it."""

    def __init__(self, path: str, problem: str, shown: str | None = None) -> None:
        super().__init__(path, problem, shown)
        self.path = path
        self.problem = problem
        self.shown = shown

    def describe(self, secret: str | None = None) -> str:
        """``path: problem``, with the value quoted (the token scrubbed from it before it is cut)."""
        text = f"{self.path or 'the body'}: {self.problem}"
        if self.shown is not None:
            shown = scrub(self.shown, secret)
            text += f": {shown[:_EXCERPT]!r}" + ("..." if len(shown) > _EXCERPT else "")
        return scrub(text, secret)

    def __str__(self) -> str:
        return self.describe()


_KINDS = {
    type(None): "null",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
}


def _kind(value: Any) -> str:
    """How a JSON value is named in messages (never the value itself: it may be personal data)."""
    return _KINDS.get(type(value), type(value).__name__)


def validate(model: type, value: Any) -> None:
    """Raise ``BodyMismatch`` unless ``value`` (decoded JSON) is a valid body for ``model``."""
    _checker_for_model(model)(value, "")


def _check_str(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise BodyMismatch(path, f"expected a string, got {_kind(value)}")


def _check_int(value: Any, path: str) -> None:
    if type(value) is not int:
        raise BodyMismatch(path, f"expected an integer, got {_kind(value)}")
    if not INT64_MIN <= value <= INT64_MAX:
        raise BodyMismatch(path, "integer out of the int64 range")


def _check_int32(value: Any, path: str) -> None:
    _check_int(value, path)
    if not INT32_MIN <= value <= INT32_MAX:
        raise BodyMismatch(path, "integer out of the int32 range")


def _check_bool(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise BodyMismatch(path, f"expected a boolean, got {_kind(value)}")


def _check_float(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BodyMismatch(path, f"expected a number, got {_kind(value)}")


def _check_datetime(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise BodyMismatch(path, f"expected a date-time string, got {_kind(value)}")
    if _RFC3339.fullmatch(value) is None:
        raise BodyMismatch(path, "not an RFC 3339 date-time", value)
    try:
        dt.datetime.fromisoformat(value.upper())
    except ValueError:
        raise BodyMismatch(path, "not a valid date-time", value) from None


def _check_uuid(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise BodyMismatch(path, f"expected a UUID string, got {_kind(value)}")
    try:
        uuid.UUID(value)
    except ValueError:
        raise BodyMismatch(path, "not a UUID", value) from None


def _check_any(value: Any, path: str) -> None:
    pass


_SCALARS: dict[Any, Checker] = {
    str: _check_str,
    int: _check_int,
    bool: _check_bool,
    float: _check_float,
    dt.datetime: _check_datetime,
    uuid.UUID: _check_uuid,
    Any: _check_any,
    object: _check_any,
}


def _list_checker(item: Checker) -> Checker:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise BodyMismatch(path, f"expected an array, got {_kind(value)}")
        for i, element in enumerate(value):
            item(element, f"{path}[{i}]")

    return check


def _map_checker(item: Checker) -> Checker:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise BodyMismatch(path, f"expected an object, got {_kind(value)}")
        for key, element in value.items():
            item(element, _join(path, key))

    return check


def _union_checker(options: list[Checker]) -> Checker:
    def check(value: Any, path: str) -> None:
        problems = []
        for option in options:
            try:
                option(value, path)
            except BodyMismatch as exc:
                problems.append(exc.problem)
            else:
                return
        raise BodyMismatch(path, " or ".join(dict.fromkeys(problems)))

    return check


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_unset(tp: Any) -> bool:
    return isinstance(tp, type) and tp.__name__ == "Unset"


def _is_model(tp: Any) -> bool:
    import attrs  # noqa: PLC0415 - see the module docstring

    return isinstance(tp, type) and attrs.has(tp)


def _checker_for_type(tp: Any) -> Checker:
    if tp in _SCALARS:
        return _SCALARS[tp]
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, Union):
        args = [a for a in typing.get_args(tp) if not _is_unset(a)]
        nullable = type(None) in args
        options = [_checker_for_type(a) for a in args if a is not type(None)]
        check = options[0] if len(options) == 1 else _union_checker(options)
        if nullable:
            inner = check

            def check(value: Any, path: str) -> None:
                if value is not None:
                    inner(value, path)

        return check
    if origin is list:
        return _list_checker(_checker_for_type(typing.get_args(tp)[0]))
    if origin is dict:
        return _map_checker(_checker_for_type(typing.get_args(tp)[1]))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        # Generated enums keep unknown strings, so any string is valid.
        return _check_str if issubclass(tp, str) else _check_any
    if _is_model(tp):
        return _checker_for_model(tp)
    raise TypeError(f"hubspot_commprefs: no validator for the generated type {tp!r}")


def _hints(model: type) -> dict[str, Any]:
    package = sys.modules[model.__module__.rsplit(".", 1)[0]]
    return typing.get_type_hints(model, globalns=vars(sys.modules[model.__module__]), localns=vars(package))


def _placeholder(tp: Any) -> Any:  # noqa: PLR0911 - one return per kind of type
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, Union):
        return _placeholder(next(a for a in typing.get_args(tp) if not _is_unset(a) and a is not type(None)))
    if origin is list:
        return []
    if origin is dict:
        return {}
    simple = {str: "x", int: 0, bool: False, float: 0.0, uuid.UUID: uuid.UUID(int=0)}
    if tp in simple:
        return simple[tp]
    if tp is dt.datetime:
        return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return next(iter(tp))
    if _is_model(tp):
        hints = _hints(tp)
        return tp(**{f.alias: _placeholder(hints[f.name]) for f in _fields(tp)})
    return None


def _fields(model: type) -> list[Any]:
    import attrs  # noqa: PLC0415

    return [f for f in attrs.fields(model) if f.init]


def _nothing() -> Any:
    import attrs  # noqa: PLC0415

    return attrs.NOTHING


def _normal(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


def _plan(model: type) -> list[tuple[str, bool, Checker]]:
    """(JSON name, required, checker) for each field of a generated model."""
    return [(key, required, checker) for key, required, checker, _ in _typed_plan(model)]


def _typed_plan(model: type) -> list[tuple[str, bool, Checker, Any]]:
    """(JSON name, required, checker, type hint) for each field of a generated model."""
    hints = _hints(model)
    fields = _fields(model)
    json_names = list(_placeholder(model).to_dict())
    by_normal = {_normal(name): name for name in json_names}
    plan: list[tuple[str, bool, Checker, Any]] = []
    for f in fields:
        key = by_normal.get(_normal(f.name))
        if key is None:
            raise TypeError(f"hubspot_commprefs: cannot find the JSON name of {model.__name__}.{f.name}")
        required = f.default is _nothing()
        checker = _checker_for_type(hints[f.name])
        if key in INT32_FIELDS and checker is _check_int:
            checker = _check_int32
        plan.append((key, required, checker, hints[f.name]))
    return plan


def _checker_for_model(model: type) -> Checker:
    cached = _PLANS.get(model)
    if cached is not None:
        return cached
    with _BUILD_LOCK:
        cached = _PLANS.get(model) or _BUILDING.get(model)
        if cached is not None:
            return cached

        def deferred(value: Any, path: str) -> None:  # a model that refers to itself, while being planned
            with _BUILD_LOCK:  # waits until the plan is published
                check = _PLANS[model]
            check(value, path)

        _BUILDING[model] = deferred
        try:
            check = _model_checker(model)
        finally:
            del _BUILDING[model]
        _PLANS[model] = check
        return check


def _model_checker(model: type) -> Checker:
    plan = _plan(model)
    known = frozenset(key for key, _, _ in plan)
    extra_type = _hints(model).get("additional_properties", dict[str, Any])
    extra_item = _checker_for_type(typing.get_args(extra_type)[1])
    check_extras = extra_item is not _check_any

    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise BodyMismatch(path, f"expected an object, got {_kind(value)}")
        for key, required, checker in plan:
            if key in value:
                field = value[key]
                if field is not None or required:
                    checker(field, _join(path, key))
            elif required:
                raise BodyMismatch(_join(path, key), "required field is missing")
        if check_extras:
            for key, element in value.items():
                if key not in known:
                    extra_item(element, _join(path, key))

    return check


def prepare(model: type, body: Any) -> tuple[Any, list[Any] | None]:
    """Check ``body`` (decoded JSON) for ``model`` and take its ``errors`` out, unchecked.

    Returns the body to build the model from (``errors`` removed, the rest checked) and the raw
    ``errors`` items (None when absent or null). Raises ``BodyMismatch``, also when ``errors`` is
    present but not an array.
    """
    errors: list[Any] | None = None
    if isinstance(body, dict) and ERRORS_FIELD in body:
        body = dict(body)
        raw = body.pop(ERRORS_FIELD)
        if raw is not None and not isinstance(raw, list):
            raise BodyMismatch(ERRORS_FIELD, f"expected an array, got {_kind(raw)}")
        errors = raw
    validate(model, body)
    return body, errors


def parse_errors(model: type, items: list[Any]) -> list[Any] | None:
    """The generated models of ``errors`` items when every one matches the spec, else None."""
    hint = _hints(model).get(ERRORS_FIELD)
    lists = [a for a in typing.get_args(hint) if typing.get_origin(a) is list]
    if not lists:
        return None
    item_model = typing.get_args(lists[0])[0]
    if not _is_model(item_model):
        return None
    check = _checker_for_model(item_model)
    try:
        for i, item in enumerate(items):
            check(item, f"{ERRORS_FIELD}[{i}]")
        return [item_model.from_dict(strip_optional_nulls(item_model, item)) for item in items]
    except (BodyMismatch, KeyError, TypeError, ValueError, AttributeError, RecursionError):
        return None


def strip_optional_nulls(model: type, value: Any) -> Any:
    """A copy of ``value`` without ``null`` in optional fields that the spec does not declare nullable:
    the generated models would fail on them, or keep a None their types do not allow."""
    value = copy.deepcopy(value)
    _stripper_for_type(model)(value)
    return value


Stripper = typing.Callable[[Any], None]
_STRIPPERS: dict[Any, Stripper] = {}
_BUILDING_STRIPPERS: dict[Any, Stripper] = {}


def _keep(value: Any) -> None:
    pass


def _stripper_for_type(tp: Any) -> Stripper:
    """A function that removes, in place, the nulls ``strip_optional_nulls`` removes."""
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, Union):
        options = [a for a in typing.get_args(tp) if not _is_unset(a) and a is not type(None)]
        return _stripper_for_type(options[0]) if len(options) == 1 else _keep
    if origin in (list, dict):
        inner = _stripper_for_type(typing.get_args(tp)[-1])

        def strip_items(value: Any) -> None:
            items = value if isinstance(value, list) else value.values() if isinstance(value, dict) else ()
            for item in items:
                inner(item)

        return _keep if inner is _keep else strip_items
    return _model_stripper(tp) if _is_model(tp) else _keep


def _model_stripper(model: type) -> Stripper:
    cached = _STRIPPERS.get(model)
    if cached is not None:
        return cached
    with _BUILD_LOCK:
        cached = _STRIPPERS.get(model) or _BUILDING_STRIPPERS.get(model)
        if cached is not None:
            return cached

        def deferred(value: Any) -> None:  # a model that refers to itself, while being planned
            with _BUILD_LOCK:
                strip_model = _STRIPPERS[model]
            strip_model(value)

        _BUILDING_STRIPPERS[model] = deferred
        try:
            fields = [
                (key, not required and type(None) not in typing.get_args(hint), _stripper_for_type(hint))
                for key, required, _, hint in _typed_plan(model)
            ]
        finally:
            del _BUILDING_STRIPPERS[model]

        def strip(value: Any) -> None:
            if not isinstance(value, dict):
                return
            for key, drop_null, inner in fields:
                if key in value:
                    if value[key] is None and drop_null:
                        del value[key]
                    else:
                        inner(value[key])

        _STRIPPERS[model] = strip
        return strip
