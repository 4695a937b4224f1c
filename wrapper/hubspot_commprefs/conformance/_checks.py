"""Check one answer against the spec: status, content type, and the body field by field.

Error bodies (every 4xx and 5xx answer: the spec's 400, 401, 403, 429 and ``default``): the spec marks
some fields required as HubSpot documents them (``category``, ``correlationId`` and ``message`` of its
Error), but HubSpot's error-handling guide says every field of an error body is optional. So in an error
body a documented field that is absent is a note; a field of the wrong type or format is still a failure.
A 429 is checked against its own schema (HubSpot's real 429 body has no ``category``).

Bodies are checked with the spec's schemas as ``hubspot_commprefs.schemas._compiled`` compiles them (its ``CLOSED``
reading: exactly the spec, and each field it does not list reported as a note), the same rules, formats
and ranges the client and the fake server are held to. At most ``MAX_PROBLEMS`` problems are reported per
body, found at a cost bounded whatever the body holds (``Compiled.problems``). A key an object holds twice
is a failure of its own (``Kind.DUPLICATE_KEY``): the client refuses such an answer.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from hubspot_commprefs._refs import References
from hubspot_commprefs.conformance._findings import Exchange, Finding, Kind
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

_MAX_SHOWN = 120


def describe_format(name: str) -> str:
    """What the spec means by a format, in words for the report."""
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

    def _operation(self, endpoint: str) -> dict[str, Any]:
        operation: dict[str, Any] = self.spec["paths"][endpoint]["get"]
        return operation

    def _response(self, endpoint: str, status: int) -> tuple[str, dict[str, Any]] | None:
        """(which response of the spec documents ``status``, its object), or None when undocumented."""
        responses = self._operation(endpoint)["responses"]
        for key in (str(status), f"{status // 100}XX"):
            if key in responses:
                return key, self._refs.resolve(responses[key], f"response {key}")[0]
        # `default` documents the error answers: HubSpot's non-2xx bodies, never another success or a redirect.
        if "default" in responses and status >= 400:
            return "default", self._refs.resolve(responses["default"], "response default")[0]
        return None

    def check(self, exchange: Exchange) -> list[Finding]:
        findings: list[Finding] = []

        def add(kind: Kind, field: str, expected: str, actual: str) -> None:
            findings.append(Finding(kind, exchange.endpoint, field, expected, actual, exchange))

        if exchange.status == 0:
            add(Kind.TRANSPORT, "", "an answer", "none (the connection failed or timed out)")
            return findings
        if exchange.status >= 500:
            add(Kind.SERVER_ERROR, "", "no 5xx answer", f"status {exchange.status}")
        documented = self._response(exchange.endpoint, exchange.status)
        if documented is None:
            listed = ", ".join(self._operation(exchange.endpoint)["responses"])
            add(
                Kind.UNDOCUMENTED_STATUS,
                "",
                f"one of the documented statuses ({listed})",
                f"status {exchange.status}",
            )
            return findings
        key, response = documented
        content = response.get("content", {})
        if not content:
            return findings
        media_type = (exchange.content_type or "").split(";", 1)[0].strip().lower()
        if media_type not in {m.lower() for m in content}:
            add(
                Kind.CONTENT_TYPE, "", f"Content-Type {' or '.join(content)}", exchange.content_type or "none"
            )
            return findings
        try:
            body = json.loads(exchange.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            add(
                Kind.NOT_JSON,
                "",
                "a JSON body",
                _shown(exchange.body[:_MAX_SHOWN].decode("utf-8", "replace")),
            )
            return findings
        repeated = duplicate_key(exchange.body, body)
        if repeated is not None:
            add(
                Kind.DUPLICATE_KEY,
                field_path(repeated),
                "each key once in an object",
                f"{_shown(repeated[-1])} twice",
            )
        schema = content[next(m for m in content if m.lower() == media_type)].get("schema")
        if schema is not None:
            self._check_body(body, schema, is_error=key == "default" or exchange.status >= 400, add=add)
        return findings

    def _check_body(self, body: Any, schema: dict[str, Any], *, is_error: bool, add: Any) -> None:
        compiled = self._schemas.compiled(schema, CLOSED)
        reported: set[tuple[Kind, str]] = set()
        for problem in compiled.problems(body):
            kind, field, expected, actual = self._finding(problem, body, is_error=is_error)
            if (kind, field) not in reported:
                reported.add((kind, field))
                add(kind, field, expected, actual)

    @staticmethod
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
            limits = describe_format(fmt) if fmt in INT_RANGES else _limits(schema)
            return Kind.INTEGER_RANGE, path, limits, _shown(value)
        if problem.kind in {ProblemKind.SYNTAX, ProblemKind.FORMAT}:
            return Kind.WRONG_FORMAT, path, describe_format(fmt), _shown(value)
        return Kind.SCHEMA, path, f"{problem.detail}: see the spec's schema", _shown(value)


def _limits(schema: Mapping[str, Any]) -> str:
    return f"integer from {schema.get('minimum', '-inf')} to {schema.get('maximum', 'inf')}"
