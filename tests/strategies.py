"""Hypothesis strategies for the bodies the spec's response schemas allow, built from the spec itself.

hypothesis-jsonschema is broken with current hypothesis (see the toolchain notes) and slow on these schemas,
so this module compiles the subset of JSON Schema the spec uses (objects, arrays, enums, strings with the
date-time and uuid formats, integers with int32/int64, booleans, ``$ref``). A keyword it does not know
raises, so a spec that grows a new construct fails loudly here instead of being generated wrongly. The
ranges of the integer formats are the ones the client checks (``hubspot_commprefs.schemas``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hubspot_commprefs.schemas import INT_RANGES
from hypothesis import strategies as st

from tests.spec_helpers import load_spec

KNOWN_KEYWORDS = {
    "type", "properties", "required", "items", "enum", "format", "additionalProperties",
    "description", "default", "example", "$ref",
}  # fmt: skip
EXTRA_KEYS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def rfc3339(moment: dt.datetime, *, lower: bool, digits: int) -> str:
    """Write a date-time as RFC 3339 allows: 'T' or 't', 'Z' or an offset, 0 to 9 fractional digits."""
    text = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    if digits:
        text += "." + f"{moment.microsecond:06d}{moment.microsecond % 1000:03d}"[:digits]
    offset = moment.utcoffset() or dt.timedelta(0)
    if offset == dt.timedelta(0) and moment.tzinfo is dt.UTC:
        text += "Z"
    else:
        minutes = int(offset.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        text += f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return text.lower() if lower else text


TIMEZONES = st.just(dt.UTC) | st.builds(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)), st.integers(-23 * 60 - 59, 23 * 60 + 59)
)
DATE_TIMES = st.builds(
    rfc3339,
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=TIMEZONES),
    lower=st.booleans(),
    digits=st.integers(0, 9),
)


def _object(
    schema: dict[str, Any], *, extra_fields: bool, unknown_enums: bool
) -> st.SearchStrategy[dict[str, Any]]:
    opts = {"extra_fields": extra_fields, "unknown_enums": unknown_enums}
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    fixed = {k: from_schema(v, **opts) for k, v in properties.items() if k in required}
    optional = {k: from_schema(v, **opts) for k, v in properties.items() if k not in required}
    body = st.fixed_dictionaries(fixed, optional=optional)
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        # A map: arbitrary keys, each value of the given schema.
        keys = st.text(max_size=10).filter(lambda k: k not in properties)
        values = from_schema(additional, **opts)
        return st.tuples(body, st.dictionaries(keys, values, max_size=3)).map(lambda t: {**t[1], **t[0]})
    if extra_fields:
        extras = st.dictionaries(EXTRA_KEYS.filter(lambda k: k not in properties), JSON_VALUES, max_size=2)
        return st.tuples(body, extras).map(lambda t: {**t[1], **t[0]})
    return body


def from_schema(
    schema: dict[str, Any], *, extra_fields: bool = False, unknown_enums: bool = False
) -> st.SearchStrategy[Any]:
    """Values valid against ``schema`` (a schema of the spec, refs resolved against its components).

    With ``extra_fields``, objects also get keys the spec does not list; with ``unknown_enums``, enums
    also yield values the spec does not list (both are what HubSpot may legitimately send later).
    """
    # Annotations (x-deliberate-difference and other extensions) constrain nothing.
    unknown = {key for key in schema if not key.startswith("x-")} - KNOWN_KEYWORDS
    if unknown:
        raise NotImplementedError(f"strategies: JSON Schema keywords not supported: {sorted(unknown)}")
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = load_spec()["components"]["schemas"][name]
        return st.deferred(
            lambda: from_schema(target, extra_fields=extra_fields, unknown_enums=unknown_enums)
        )
    if "enum" in schema:
        known = st.sampled_from(schema["enum"])
        if unknown_enums:
            novel = st.from_regex(r"[A-Z][A-Z_]{0,20}", fullmatch=True).filter(
                lambda v: v not in schema["enum"]
            )
            return known | novel
        return known
    kind = schema.get("type")
    if kind == "object":
        return _object(schema, extra_fields=extra_fields, unknown_enums=unknown_enums)
    if kind == "array":
        return st.lists(
            from_schema(schema["items"], extra_fields=extra_fields, unknown_enums=unknown_enums), max_size=3
        )
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return DATE_TIMES
        if fmt == "uuid":
            return st.uuids().map(str)
        if fmt is not None:
            raise NotImplementedError(f"strategies: string format {fmt!r} not supported")
        return st.text()
    if kind == "integer":
        low, high = INT_RANGES.get(schema.get("format", ""), (None, None))
        return st.integers(min_value=low, max_value=high)
    if kind == "boolean":
        return st.booleans()
    raise NotImplementedError(f"strategies: schema not supported: {schema}")


def component(name: str, **options: bool) -> st.SearchStrategy[Any]:
    return from_schema({"$ref": f"#/components/schemas/{name}"}, **options)


def instants(schema: dict[str, Any], value: Any) -> Any:
    """``value`` with each date-time the schema declares replaced by the instant it names.

    The generated models write date-times back in ``isoformat``, which names the same instant as the
    RFC 3339 text they read but may spell it differently; everything else must come back to the letter.
    """
    if "$ref" in schema:
        return instants(load_spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], value)
    if schema.get("format") == "date-time" and isinstance(value, str):
        return dt.datetime.fromisoformat(value.upper())
    if schema.get("type") == "array" and isinstance(value, list):
        return [instants(schema["items"], v) for v in value]
    if schema.get("type") == "object" and isinstance(value, dict):
        properties = schema.get("properties", {})
        return {k: instants(properties[k], v) if k in properties else v for k, v in value.items()}
    return value
