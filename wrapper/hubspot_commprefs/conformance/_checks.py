"""Check one answer against the spec, with its schemas as ``hubspot_commprefs.schemas`` compiles them
(``CLOSED``: a field the spec does not list is a note): one ``Finding`` per thing it got wrong, at most
``MAX_PROBLEMS`` per body at a bounded cost. A key held twice fails (the client refuses such an answer). In
an error body an absent documented field is only a note: HubSpot's error-handling guide says every field of
an error body is optional.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hubspot_commprefs._refs import References
from hubspot_commprefs.schemas import (
    CLOSED,
    DATE_TIME_EXAMPLE,
    INT_RANGES,
    Problem,
    ProblemKind,
    SpecSchemas,
    duplicate_key,
    field_path,
    json_type,
    types_of,
    value_at,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

ERROR_STATUS = 400  # from here on an answer is an error, its body the spec's Error
_MAX_SHOWN = 120


class Severity(enum.StrEnum):
    FAILURE = "failure"
    NOTE = "note"


class Kind(enum.StrEnum):
    """What went wrong; the value is how the report names it."""

    SERVER_ERROR = "server error"
    UNDOCUMENTED_STATUS = "undocumented status"
    CONTENT_TYPE = "wrong content type"
    NOT_JSON = "body is not JSON"
    ENUM_VALUE = "enum value the spec lacks"
    MISSING_FIELD = "missing required field"
    WRONG_TYPE = "wrong type"
    WRONG_FORMAT = "wrong format"
    INTEGER_RANGE = "integer outside its format"
    SCHEMA = "does not match the schema"
    DUPLICATE_KEY = "key held twice in one object"
    UNEXPECTED_STATUS = "unexpected status"
    SCHEMATHESIS = "schemathesis check failed"
    TRANSPORT = "no answer"
    # Notes: reported, never a failure.
    EXTRA_FIELD = "field the spec does not list"
    ERROR_FIELD_ABSENT = "error body lacks a documented field"


NOTE_KINDS = frozenset({Kind.EXTRA_FIELD, Kind.ERROR_FIELD_ABSENT})


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request the suite sent and what came back (``status`` 0 when nothing did)."""

    endpoint: str  # the spec's path template
    method: str
    url: str
    status: int
    content_type: str | None
    body: bytes
    source: str  # examples, coverage, fuzzing, targeted
    authorized: bool = True  # whether the request carried the token


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing an answer got wrong (or merely added)."""

    kind: Kind
    endpoint: str
    field: str  # JSON path in the body, e.g. results[0].channel; "" for the whole answer
    expected: str  # what the spec says
    actual: str  # what came back
    exchange: Exchange

    @property
    def severity(self) -> Severity:
        return Severity.NOTE if self.kind in NOTE_KINDS else Severity.FAILURE

    @property
    def field_pattern(self) -> str:
        """The field with array indexes generalised (``results[*].channel``), to group findings."""
        return re.sub(r"\[\d+\]", "[*]", self.field)

    @property
    def in_error_body(self) -> bool:
        return bool(self.field) and self.exchange.status >= ERROR_STATUS

    @property
    def subject(self) -> str:
        """Its field (generalised), or for the whole answer what the spec says (so that two schemathesis
        checks, or two targeted cases, stay two findings)."""
        return self.field_pattern or self.expected

    @property
    def group_key(self) -> tuple[str, str, str, bool]:
        """Its endpoint, then what went wrong there: the findings the report counts as one."""
        return (self.endpoint, self.kind.value, self.subject, self.in_error_body)


def _describe_format(name: str) -> str:
    if name in INT_RANGES:
        low, high = INT_RANGES[name]
        return f"integer, format {name} ({low} to {high})"
    if name == "date-time":
        return f"string, format date-time (RFC 3339, e.g. {DATE_TIME_EXAMPLE})"
    return f"string, format {name}"


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


class SpecChecker:
    """Checks answers of the spec's GET operations; built once per run."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._refs = References(spec)
        self._schemas = SpecSchemas(spec.get("components", {}).get("schemas", {}))

    def check(self, exchange: Exchange) -> list[Finding]:
        findings: list[Finding] = []

        def add(kind: Kind, field: str, expected: str, actual: str) -> None:
            findings.append(Finding(kind, exchange.endpoint, field, expected, actual, exchange))

        status = exchange.status
        if status == 0:
            add(Kind.TRANSPORT, "", "an answer", "none (the connection failed or timed out)")
            return findings
        if status >= 500:
            add(Kind.SERVER_ERROR, "", "no 5xx answer", f"status {status}")
        responses = self.spec["paths"][exchange.endpoint]["get"]["responses"]
        # `default` documents the error answers: HubSpot's non-2xx bodies, never another success or a redirect.
        keys = [str(status), f"{status // 100}XX", *(["default"] if status >= ERROR_STATUS else [])]
        key = next((key for key in keys if key in responses), None)
        if key is None:
            listed = f"one of the documented statuses ({', '.join(responses)})"
            add(Kind.UNDOCUMENTED_STATUS, "", listed, f"status {status}")
            return findings
        content = self._refs.resolve(responses[key], f"response {key}")[0].get("content", {})
        if not content:
            return findings
        declared = {media_type.lower(): media_type for media_type in content}
        media_type = (exchange.content_type or "").split(";", 1)[0].strip().lower()
        if media_type not in declared:
            declared_types = f"Content-Type {' or '.join(content)}"
            add(Kind.CONTENT_TYPE, "", declared_types, exchange.content_type or "none")
            return findings
        try:
            body = json.loads(exchange.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            start = exchange.body[:_MAX_SHOWN].decode("utf-8", "replace")
            add(Kind.NOT_JSON, "", "a JSON body", _shown(start))
            return findings
        repeated = duplicate_key(exchange.body, body)
        if repeated is not None:
            twice = f"{_shown(repeated[-1])} twice"
            add(Kind.DUPLICATE_KEY, field_path(repeated), "each key once in an object", twice)
        schema = content[declared[media_type]].get("schema")
        problems = self._schemas.compiled(schema, CLOSED).problems(body) if schema is not None else ()
        reported: set[tuple[Kind, str]] = set()
        for problem in problems:
            kind, field, expected, actual = _finding(problem, body, is_error=status >= ERROR_STATUS)
            if (kind, field) not in reported:
                reported.add((kind, field))
                add(kind, field, expected, actual)
        return findings


def _finding(problem: Problem, body: Any, *, is_error: bool) -> tuple[Kind, str, str, str]:  # noqa: PLR0911 - one return per kind of problem
    """(kind, field, expected, actual) of the finding that reports ``problem``."""
    path = field_path(problem.path)
    value = value_at(body, problem.path)
    schema: Mapping[str, Any] = problem.schema
    fmt = str(schema.get("format", ""))
    if problem.kind is ProblemKind.MISSING:
        name = str(problem.path[-1])
        if is_error and len(problem.path) == 1:
            note = f"{name} (documented required; HubSpot's guide says error fields are optional)"
            return Kind.ERROR_FIELD_ABSENT, path, note, "absent"
        return Kind.MISSING_FIELD, path, f"{name} (required)", "absent"
    if problem.kind is ProblemKind.EXTRA:
        return Kind.EXTRA_FIELD, path, "not listed in the spec", _shown(value)
    if problem.kind is ProblemKind.ENUM:
        allowed = " | ".join(str(v) for v in schema.get("enum", ()))
        return Kind.ENUM_VALUE, path, f"one of {allowed}", _shown(value)
    if problem.kind in {ProblemKind.TYPE, ProblemKind.FRACTION}:
        wanted = " or ".join(types_of(schema))
        expected = f"{wanted}, format {fmt}" if fmt else wanted
        return Kind.WRONG_TYPE, path, expected, f"{json_type(value)} {_shown(value)}"
    if problem.kind is ProblemKind.RANGE:
        low, high = schema.get("minimum", "-inf"), schema.get("maximum", "inf")
        limits = _describe_format(fmt) if fmt in INT_RANGES else f"integer from {low} to {high}"
        return Kind.INTEGER_RANGE, path, limits, _shown(value)
    if problem.kind in {ProblemKind.SYNTAX, ProblemKind.FORMAT}:
        return Kind.WRONG_FORMAT, path, _describe_format(fmt), _shown(value)
    return Kind.SCHEMA, path, f"{problem.detail}: see the spec's schema", _shown(value)
