"""Check one answer against the spec: status, content type, and the body field by field.

Error bodies (every 4xx and 5xx answer: the spec's 400, 401, 403, 429 and ``default``): the spec marks
some fields required as HubSpot documents them (``category``, ``correlationId`` and ``message`` of its
Error), but HubSpot's error-handling guide says every field of an error body is optional. So in an error
body a documented field that is absent is a note; a field of the wrong type or format is still a failure.
A 429 is checked against its own schema (HubSpot's real 429 body has no ``category``).
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from hubspot_commprefs.conformance._findings import Exchange, Finding, Kind
from hubspot_commprefs.conformance._formats import INT_RANGES, describe_format, format_checker

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jsonschema.exceptions import ValidationError

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
_MAX_SHOWN = 120


def json_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


class SpecChecker:
    """Checks answers of the spec's GET operations; built once per run."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._formats = format_checker()

    def _operation(self, endpoint: str) -> dict[str, Any]:
        operation: dict[str, Any] = self.spec["paths"][endpoint]["get"]
        return operation

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            target: Any = self.spec
            for part in schema["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            schema = target
        return schema

    def _response(self, endpoint: str, status: int) -> tuple[str, dict[str, Any]] | None:
        """(which response of the spec documents ``status``, its object), or None when undocumented."""
        responses = self._operation(endpoint)["responses"]
        for key in (str(status), f"{status // 100}XX"):
            if key in responses:
                return key, self._resolve(responses[key])
        # `default` documents the error answers: HubSpot's non-2xx bodies, never another success or a redirect.
        if "default" in responses and status >= 400:  # noqa: PLR2004
            return "default", self._resolve(responses["default"])
        return None

    def check(self, exchange: Exchange) -> list[Finding]:
        findings: list[Finding] = []

        def add(kind: Kind, field: str, expected: str, actual: str) -> None:
            findings.append(Finding(kind, exchange.endpoint, field, expected, actual, exchange))

        if exchange.status == 0:
            add(Kind.TRANSPORT, "", "an answer", "none (the connection failed or timed out)")
            return findings
        if exchange.status >= 500:  # noqa: PLR2004
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
        schema = content[next(m for m in content if m.lower() == media_type)].get("schema")
        if schema is not None:
            self._check_body(body, schema, is_error=key == "default" or exchange.status >= 400, add=add)  # noqa: PLR2004
        return findings

    def _check_body(self, body: Any, schema: dict[str, Any], *, is_error: bool, add: Any) -> None:
        resolved = copy.deepcopy(self._resolve(schema))
        if is_error and resolved.get("required"):
            present = body if isinstance(body, dict) else {}
            for name in resolved["required"]:
                if name not in present:
                    add(
                        Kind.ERROR_FIELD_ABSENT,
                        name,
                        f"{name} (documented required; HubSpot's guide says error fields are optional)",
                        "absent",
                    )
            resolved["required"] = []
        document = {**resolved, "components": self.spec.get("components", {})}
        validator = Draft202012Validator(document, format_checker=self._formats)
        for error in validator.iter_errors(body):
            self._report(error, add)
        for path, name in self._extra_fields(body, resolved, ()):
            add(
                Kind.EXTRA_FIELD,
                json_path((*path, name)),
                "not listed in the spec",
                _shown(self._at(body, (*path, name))),
            )

    @staticmethod
    def _at(body: Any, path: tuple[Any, ...]) -> Any:
        for part in path:
            body = body[part]
        return body

    def _report(self, error: ValidationError, add: Any) -> None:
        path = json_path(error.absolute_path)
        schema = error.schema if isinstance(error.schema, dict) else {}
        if error.validator == "required":
            present = error.instance if isinstance(error.instance, dict) else {}
            for name in list(error.validator_value):  # type: ignore[arg-type]
                if name not in present:
                    add(
                        Kind.MISSING_FIELD,
                        json_path((*error.absolute_path, name)),
                        f"{name} (required)",
                        "absent",
                    )
        elif error.validator == "enum":
            allowed = " | ".join(str(v) for v in list(error.validator_value))  # type: ignore[arg-type]
            add(Kind.ENUM_VALUE, path, f"one of {allowed}", _shown(error.instance))
        elif error.validator == "type":
            wanted = schema.get("type")
            expected = f"{wanted}, format {schema['format']}" if "format" in schema else str(wanted)
            add(Kind.WRONG_TYPE, path, expected, f"{_json_type(error.instance)} {_shown(error.instance)}")
        elif error.validator == "format":
            kind = Kind.INTEGER_RANGE if error.validator_value in INT_RANGES else Kind.WRONG_FORMAT
            add(kind, path, describe_format(str(error.validator_value)), _shown(error.instance))
        elif error.context:
            for sub in error.context:
                self._report(sub, add)
        else:
            add(
                Kind.SCHEMA,
                path,
                f"{error.validator}: {_shown(error.validator_value)}",
                _shown(error.instance),
            )

    def _extra_fields(
        self, body: Any, schema: dict[str, Any], path: tuple[Any, ...]
    ) -> Iterator[tuple[tuple[Any, ...], str]]:
        schema = self._resolve(schema)
        if isinstance(body, dict) and "properties" in schema:
            for name, value in body.items():
                if name in schema["properties"]:
                    yield from self._extra_fields(value, schema["properties"][name], (*path, name))
                else:
                    yield path, name
        elif isinstance(body, dict) and isinstance(schema.get("additionalProperties"), dict):
            for name, value in body.items():
                yield from self._extra_fields(value, schema["additionalProperties"], (*path, name))
        elif isinstance(body, list) and isinstance(schema.get("items"), dict):
            for index, value in enumerate(body):
                yield from self._extra_fields(value, schema["items"], (*path, index))
