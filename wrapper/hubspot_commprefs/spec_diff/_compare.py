"""Compare our spec's operations with another document's, and classify each difference by its effect on
this client.

"Ours" is the spec the client was generated from; "theirs" is the other document (HubSpot's published
definitions, or the next version of our spec). Only the operations ours has are compared, matched by
method and path shape: path parameter names do not matter, and a version segment (``2026-03``, ``v4``)
may differ (reported, ``tolerated``). Schema names never matter, only structure (see ``_load``).

Severities:

- ``breaking``: the client, its validation of answers, or a token would fail against what theirs says.
- ``tolerated``: the client keeps working, but the spec says something else than theirs and should learn
  it (an added field or enum value, a narrower format, a new optional parameter...).
- ``cosmetic``: descriptions, summaries, schema names, path parameter names. Examples are not compared.
- ``deliberate``: a breaking or tolerated difference under a node of ours marked
  ``x-deliberate-difference: "<reason>"`` (an operation, a response, a parameter, a schema or a
  property; the marker covers the node and everything under it, including ``$ref`` targets reached from
  it). Cosmetic differences stay cosmetic. ``effect`` keeps what the difference would have been.

The rules depend on the direction: a response is what they send and we read (theirs must fit in ours),
a parameter is what we send and they read (ours must fit in theirs).

| what differs | in a response (200 body) | in a request parameter |
|---|---|---|
| field/parameter only in ours | breaking if ours requires it (the client's validation demands it), else tolerated | breaking: the client sends something they no longer declare |
| field/parameter only in theirs | tolerated: the client keeps unknown fields (breaking if ours says additionalProperties: false) | breaking if they require it, else tolerated |
| required in ours, optional in theirs | breaking: an answer without it fails the client | tolerated |
| optional in ours, required in theirs | tolerated | breaking: the client may leave it out |
| type | theirs within ours (integer in number) tolerated, else breaking | ours within theirs tolerated, else breaking |
| null allowed by theirs only | breaking for a field ours requires (null there fails the client), else tolerated (null is taken as absent) | tolerated |
| format | theirs within ours (int32 in int64) tolerated; wider (int32 -> int64) or dropped (a date-time that is any string) breaking | theirs wider tolerated; narrower (int64 -> int32) or added breaking |
| enum value added by theirs | tolerated: the client keeps an unknown value (``is_known`` False) | tolerated |
| enum value removed by theirs | tolerated: a value that is never sent fails nothing | breaking: the client may send it |
| enum only in ours / only in theirs | tolerated / tolerated | tolerated / breaking |
| default | tolerated: the generated client always sends the spec's default | the same |
| bounds, lengths, pattern | theirs looser breaking, stricter tolerated | theirs stricter breaking, looser tolerated |

Error bodies (non-2xx and ``default``) are read tolerantly by the client (every field optional, any
content type), so there a missing or optional field and a content type are ``tolerated``; a type or
format change keeps the response rule. Responses: our success status missing from theirs, or a success
(1xx-3xx) status only theirs documents (the client takes any 2xx but 200 as unexpected), is breaking; an
error status present on one side only is tolerated (the client maps every error status). A success
response that theirs may send in a non-JSON content type (``*/*``, ``text/plain``) is breaking; response
headers are read tolerantly: a header on one side only is tolerated. Scopes: the alternatives of the
effective security requirement are compared as sets of scopes, whatever the scheme is called; an
alternative of ours that theirs lacks (a scope renamed or removed) is breaking, since tokens granted it
may be refused; an alternative only theirs lists is tolerated. An operation of ours missing from theirs,
a new required request body, and a parameter theirs requires that ours lacks are breaking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from hubspot_commprefs.spec_diff._load import Document, SchemaView, marker_of, schema_view

Severity = Literal["breaking", "tolerated", "cosmetic", "deliberate"]
Effect = Literal["breaking", "tolerated", "cosmetic"]
Direction = Literal["response", "error", "request"]
SEVERITIES: tuple[Severity, ...] = ("breaking", "tolerated", "deliberate", "cosmetic")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
VERSION_SEGMENT = re.compile(r"(v\d+(?:(?:alpha|beta)\d*)?|\d{4}-\d{2}(?:-\d{2})?)", re.IGNORECASE)
PARAMETER_SEGMENT = re.compile(r"\{([^}]*)\}")
DOCUMENT = "(document)"
_WIDER_FORMATS = {"int32": ("int64",), "float": ("double",)}
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference between our spec and theirs.

    ``operation`` is ``METHOD path`` of our operation; ``location`` where in it (``parameter channel
    (query)``, ``response 200: results[].subscriptionId``, ``security``); ``ours`` and ``theirs`` the two
    values (JSON-ready, None when absent); ``effect`` what the difference does to the client, and
    ``severity`` the same unless the spec marks it deliberate (then ``reason`` is the marker's text).
    """

    kind: str
    severity: Severity
    effect: Effect
    operation: str
    location: str
    ours: Any
    theirs: Any
    message: str
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "effect": self.effect,
            "operation": self.operation,
            "location": self.location,
            "ours": self.ours,
            "theirs": self.theirs,
            "message": self.message,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class _Operation:
    """An operation object, its path template and its path item (which may hold shared parameters)."""

    path: str
    operation: dict[str, Any]
    item: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OperationMatch:
    """One operation of ours and where theirs has it (None: missing)."""

    label: str
    operation_id: str | None
    theirs_path: str | None


def _types_text(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types))


def _types_within(narrow: frozenset[str] | None, wide: frozenset[str] | None) -> bool:
    if wide is None:
        return True
    if narrow is None:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _format_within(narrow: str | None, wide: str | None) -> bool:
    return wide is None or narrow == wide or (narrow is not None and wide in _WIDER_FORMATS.get(narrow, ()))


def _is_lower_bound(key: str) -> bool:
    return key in _LOWER_BOUNDS


def _stricter(key: str, value: Any, other: Any) -> bool | None:
    """Whether bound ``value`` is stricter than ``other`` (None absent = loosest); None: not comparable."""
    if value == other:
        return False
    if other is None:
        return True
    if value is None:
        return False
    if key == "pattern" or not isinstance(value, int | float) or not isinstance(other, int | float):
        return None
    return value > other if _is_lower_bound(key) else value < other


def _path_shape(path: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(shape, versions, parameter names): the shape has ``{}`` for parameters and ``{version}`` for a
    version segment, so that ``/x/2026-03/{id}`` and ``/x/2026-09/{objectId}`` have the same shape."""
    shape, versions, names = [], [], []
    for segment in path.strip("/").split("/"):
        found = PARAMETER_SEGMENT.fullmatch(segment)
        if found:
            shape.append("{}")
            names.append(found.group(1))
        elif VERSION_SEGMENT.fullmatch(segment):
            shape.append("{version}")
            versions.append(segment)
        else:
            shape.append(segment)
    return tuple(shape), tuple(versions), tuple(names)


def _media(name: str) -> str:
    return name.split(";", 1)[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _is_success(code: str) -> bool:
    return code[:1] in {"1", "2", "3"}


class _Comparer:
    def __init__(self, ours: Document, theirs: Document) -> None:
        self.ours = ours
        self.theirs = theirs
        self.found: list[Difference] = []
        self.operation = DOCUMENT

    def add(
        self,
        kind: str,
        effect: Effect,
        location: str,
        ours: Any,
        theirs: Any,
        *,
        message: str,
        marker: str | None,
    ) -> None:
        deliberate = marker is not None and effect != "cosmetic"
        self.found.append(
            Difference(
                kind=kind,
                severity="deliberate" if deliberate else effect,
                effect=effect,
                operation=self.operation,
                location=location,
                ours=ours,
                theirs=theirs,
                message=message,
                reason=marker if deliberate else None,
            )
        )

    # -- operations ------------------------------------------------------------------------------------

    def _operations(self, doc: Document) -> dict[tuple[str, str], _Operation]:
        found = {}
        for path, raw_item in (doc.root.get("paths") or {}).items():
            item, _ = doc.resolve(raw_item, f"paths/{path}")
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                operation = item.get(method)
                if isinstance(operation, dict):
                    found[method, str(path)] = _Operation(str(path), operation, item)
        return found

    def run(self) -> list[OperationMatch]:
        ours_version = (self.ours.root.get("info") or {}).get("version")
        theirs_version = (self.theirs.root.get("info") or {}).get("version")
        if str(ours_version) != str(theirs_version):
            self.add(
                "version", "cosmetic", "info.version", ours_version, theirs_version,
                message=f"info.version is {theirs_version!r} in theirs, {ours_version!r} in ours", marker=None,
            )  # fmt: skip
        theirs_by_shape: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        theirs_ops = self._operations(self.theirs)
        for method, path in theirs_ops:
            theirs_by_shape.setdefault((method, _path_shape(path)[0]), []).append(path)
        matches = []
        for (method, path), ours in self._operations(self.ours).items():
            operation = ours.operation
            self.operation = f"{method.upper()} {path}"
            shape, versions, _ = _path_shape(path)
            candidates = theirs_by_shape.get((method, shape), [])
            same_version = [c for c in candidates if _path_shape(c)[1] == versions]
            # The same version when theirs has it; else the newest version theirs documents.
            chosen = same_version or sorted(candidates, key=lambda c: _path_shape(c)[1])
            theirs_path = chosen[-1] if chosen else None
            operation_id = operation.get("operationId")
            matches.append(OperationMatch(self.operation, operation_id, theirs_path))
            marker = marker_of(operation)
            if theirs_path is None:
                self.add(
                    "operation", "breaking", "operation", path, None,
                    message=f"their document has no {method.upper()} operation at this path (any version): "
                    "the client calls an operation they do not declare", marker=marker,
                )  # fmt: skip
                continue
            self._operation(ours, theirs_ops[method, theirs_path], marker)
        return matches

    def _operation(self, ours: _Operation, theirs: _Operation, marker: str | None) -> None:
        path, operation, theirs_path, theirs_operation = (
            ours.path,
            ours.operation,
            theirs.path,
            theirs.operation,
        )
        _, versions, names = _path_shape(path)
        _, theirs_versions, theirs_names = _path_shape(theirs_path)
        if versions != theirs_versions:
            self.add(
                "version", "tolerated", "path", path, theirs_path,
                message=f"their document has this operation under version {'/'.join(theirs_versions)}, ours under "
                f"{'/'.join(versions)}: the client calls the {'/'.join(versions)} path", marker=marker,
            )  # fmt: skip
        for ours_name, theirs_name in zip(names, theirs_names, strict=True):
            if ours_name != theirs_name:
                self.add(
                    "parameter-name", "cosmetic", f"parameter {{{ours_name}}} (path)", ours_name, theirs_name,
                    message=f"the path parameter is called {theirs_name!r} in theirs (the client fills it by place)",
                    marker=marker,
                )  # fmt: skip
        if theirs_operation.get("deprecated") and not operation.get("deprecated"):
            self.add(
                "deprecated", "tolerated", "operation", "no", "yes",
                message="their document marks the operation deprecated", marker=marker,
            )  # fmt: skip
        for key in ("summary", "description"):
            self._text(key, operation.get(key), theirs_operation.get(key), key, marker)
        self._parameters(ours, theirs, marker)
        self._request_body(operation, theirs_operation, marker)
        self._responses(operation, theirs_operation, marker)
        self._security(operation, theirs_operation, marker)

    def _text(self, kind: str, ours: Any, theirs: Any, location: str, marker: str | None) -> None:
        ours_text = " ".join(ours.split()) if isinstance(ours, str) else None
        theirs_text = " ".join(theirs.split()) if isinstance(theirs, str) else None
        if ours_text != theirs_text:
            self.add(
                kind,
                "cosmetic",
                location,
                ours_text,
                theirs_text,
                message=f"the {kind} differs",
                marker=marker,
            )

    # -- parameters ------------------------------------------------------------------------------------

    def _parameter_map(
        self, doc: Document, operation: _Operation
    ) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
        """(in, key) -> (parameter, display name); a path parameter's key is its place in the path."""
        names = list(_path_shape(operation.path)[2])
        found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        sources = (("path item", operation.item), ("operation", operation.operation))
        for source, node in sources:
            for index, raw in enumerate(node.get("parameters") or []):
                parameter, _ = doc.resolve(raw, f"{self.operation} {source} parameter {index}")
                if not isinstance(parameter, dict) or "name" not in parameter:
                    continue
                location, name = str(parameter.get("in", "query")), str(parameter["name"])
                if location == "path" and name in names:
                    key = str(names.index(name))
                else:
                    key = name.lower() if location == "header" else name
                found[location, key] = (parameter, name)  # the operation's override the path item's
        return found

    def _parameters(
        self, ours_operation: _Operation, theirs_operation: _Operation, marker: str | None
    ) -> None:
        ours = self._parameter_map(self.ours, ours_operation)
        theirs = self._parameter_map(self.theirs, theirs_operation)
        for key in sorted(ours.keys() | theirs.keys()):
            location_in = key[0]
            ours_parameter, ours_name = ours.get(key, ({}, ""))
            theirs_parameter, theirs_name = theirs.get(key, ({}, ""))
            name = ours_name or theirs_name
            shown = f"{{{name}}}" if location_in == "path" else name
            location = f"parameter {shown} ({location_in})"
            parameter_marker = marker_of(ours_parameter) or marker
            ours_required = bool(ours_parameter.get("required")) or location_in == "path"
            theirs_required = bool(theirs_parameter.get("required")) or location_in == "path"
            if key not in theirs:
                self.add(
                    "parameter", "breaking", location, name, None,
                    message=f"their document no longer declares the {location_in} parameter {name!r}, which the client "
                    "sends", marker=parameter_marker,
                )  # fmt: skip
                continue
            if key not in ours:
                effect: Effect = "breaking" if theirs_required else "tolerated"
                what = "a new required" if theirs_required else "a new optional"
                self.add(
                    "parameter", effect, location, None, name,
                    message=f"their document adds {what} {location_in} parameter {name!r}"
                    + (", which the client does not send" if theirs_required else ""), marker=parameter_marker,
                )  # fmt: skip
                continue
            if ours_required != theirs_required:
                self.add(
                    "required", "breaking" if theirs_required else "tolerated", location,
                    ours_required, theirs_required,
                    message="required in theirs, optional in ours: the client may leave it out" if theirs_required
                    else "optional in theirs, required in ours", marker=parameter_marker,
                )  # fmt: skip
            self._text("description", ours_parameter.get("description"), theirs_parameter.get("description"),
                       location, parameter_marker)  # fmt: skip
            self._schema(
                _parameter_schema(ours_parameter),
                _parameter_schema(theirs_parameter),
                prefix=location,
                field="",
                direction="request",
                required=None,
                marker=parameter_marker,
                stack=frozenset(),
            )

    def _request_body(
        self, operation: dict[str, Any], theirs_operation: dict[str, Any], marker: str | None
    ) -> None:
        ours, _ = self.ours.resolve(operation.get("requestBody"), f"{self.operation} requestBody")
        theirs, _ = self.theirs.resolve(theirs_operation.get("requestBody"), f"{self.operation} requestBody")
        if isinstance(theirs, dict) and not isinstance(ours, dict):
            required = bool(theirs.get("required"))
            self.add(
                "request-body", "breaking" if required else "tolerated", "request body", None,
                "required" if required else "optional",
                message=f"their document adds {'a required' if required else 'an optional'} request body"
                + (", which the client does not send" if required else ""), marker=marker,
            )  # fmt: skip
        elif isinstance(ours, dict) and not isinstance(theirs, dict):
            self.add(
                "request-body", "breaking", "request body", "declared", None,
                message="their document declares no request body, which the client sends", marker=marker,
            )  # fmt: skip

    # -- responses -------------------------------------------------------------------------------------

    def _responses(
        self, operation: dict[str, Any], theirs_operation: dict[str, Any], marker: str | None
    ) -> None:
        ours = {str(code).upper(): node for code, node in (operation.get("responses") or {}).items()}
        theirs = {str(code).upper(): node for code, node in (theirs_operation.get("responses") or {}).items()}
        for code in sorted(ours.keys() | theirs.keys()):
            location = f"response {code.lower() if code == 'DEFAULT' else code}"
            ours_response, _ = self.ours.resolve(ours.get(code), f"{self.operation} {location}")
            response_marker = marker_of(ours_response) or marker
            if code not in theirs:
                success = _is_success(code)
                self.add(
                    "status", "breaking" if success else "tolerated", location, code.lower(), None,
                    message=f"their document does not list {location}"
                    + (": the client expects it" if success else " (the client maps every error status)"),
                    marker=response_marker,
                )  # fmt: skip
                continue
            if code not in ours:
                success = _is_success(code)
                self.add(
                    "status", "breaking" if success else "tolerated", location, None, code.lower(),
                    message=f"their document adds {location}"
                    + (": the client takes any success status but its own as unexpected" if success
                       else " (an error status: the client maps it to its exception)"),
                    marker=marker,
                )  # fmt: skip
                continue
            theirs_response, _ = self.theirs.resolve(theirs[code], f"{self.operation} {location}")
            if isinstance(ours_response, dict) and isinstance(theirs_response, dict):
                direction: Direction = "response" if code.startswith("2") else "error"
                self._response(ours_response, theirs_response, location, direction, response_marker)

    def _response(
        self,
        ours: dict[str, Any],
        theirs: dict[str, Any],
        location: str,
        direction: Direction,
        marker: str | None,
    ) -> None:
        self._text("description", ours.get("description"), theirs.get("description"), location, marker)
        ours_content = {_media(k): v for k, v in (ours.get("content") or {}).items()}
        theirs_content = {_media(k): v for k, v in (theirs.get("content") or {}).items()}
        error = direction == "error"
        for media in sorted(ours_content.keys() - theirs_content.keys()):
            json_left = any(_is_json(m) for m in theirs_content)
            effect: Effect = "tolerated" if error or json_left else "breaking"
            self.add(
                "content-type", effect, location, media, sorted(theirs_content),
                message=f"their document does not list the content type {media}"
                + ("" if effect == "tolerated" else ": the client reads only JSON"), marker=marker,
            )  # fmt: skip
        for media in sorted(theirs_content.keys() - ours_content.keys()):
            effect = "tolerated" if error or _is_json(media) else "breaking"
            self.add(
                "content-type", effect, location, sorted(ours_content), media,
                message=f"their document adds the content type {media}"
                + ("" if effect == "tolerated" else ": the client reads only JSON"), marker=marker,
            )  # fmt: skip
        ours_schema, theirs_schema = _body_schema(ours_content), _body_schema(theirs_content)
        if ours_schema is not None and theirs_schema is not None:
            self._schema(
                ours_schema, theirs_schema, prefix=location, field="", direction=direction,
                required=None, marker=marker, stack=frozenset(),
            )  # fmt: skip
        ours_headers = {str(k).lower(): str(k) for k in (ours.get("headers") or {})}
        theirs_headers = {str(k).lower(): str(k) for k in (theirs.get("headers") or {})}
        for header in sorted(ours_headers.keys() ^ theirs_headers.keys()):
            ours_only = header in ours_headers
            name = ours_headers.get(header) or theirs_headers[header]
            self.add(
                "header", "tolerated", f"{location}: header {name}", name if ours_only else None,
                None if ours_only else name,
                message=f"their document {'does not list' if ours_only else 'adds'} the header {name} "
                "(the client reads headers tolerantly)", marker=marker,
            )  # fmt: skip

    # -- security --------------------------------------------------------------------------------------

    def _scopes(self, doc: Document, operation: dict[str, Any]) -> list[frozenset[str]]:
        """The alternatives of the operation's effective security requirement, each a set of scopes."""
        requirements = operation["security"] if "security" in operation else doc.root.get("security")
        alternatives: list[frozenset[str]] = []
        for requirement in requirements or []:
            if isinstance(requirement, dict):
                scopes = frozenset(str(s) for scopes in requirement.values() for s in scopes or [])
                if scopes not in alternatives:
                    alternatives.append(scopes)
        return alternatives

    def _security(
        self, operation: dict[str, Any], theirs_operation: dict[str, Any], marker: str | None
    ) -> None:
        ours = self._scopes(self.ours, operation)
        theirs = self._scopes(self.theirs, theirs_operation)
        listed = [_scopes_text(s) for s in theirs]
        added = [s for s in theirs if s not in ours]
        for scopes in ours:
            if scopes not in theirs:
                renamed = f"; theirs lists {' or '.join(listed)}" if added else ""
                self.add(
                    "scope", "breaking", "security", _scopes_text(scopes), listed,
                    message=f"their document no longer accepts {_scopes_text(scopes)}: a token granted it may be refused"
                    + renamed, marker=marker,
                )  # fmt: skip
        for scopes in added:
            self.add(
                "scope", "tolerated", "security", [_scopes_text(s) for s in ours], _scopes_text(scopes),
                message=f"their document adds the alternative {_scopes_text(scopes)}", marker=marker,
            )  # fmt: skip

    # -- schemas ---------------------------------------------------------------------------------------

    def _schema(
        self,
        ours_node: Any,
        theirs_node: Any,
        *,
        prefix: str,
        field: str,
        direction: Direction,
        required: tuple[bool, bool] | None,
        marker: str | None,
        stack: frozenset[tuple[object, object]],
    ) -> None:
        where = f"{self.operation} {prefix} {field}".strip()
        ours = schema_view(self.ours, ours_node, where)
        theirs = schema_view(self.theirs, theirs_node, where)
        marker = ours.marker or marker
        location = f"{prefix}: {field}" if field else prefix
        pair = (ours.key, theirs.key)
        if pair in stack:  # a schema that contains itself: this pair is being compared further up
            return
        stack |= {pair}
        if ours.name is not None and ours.name != theirs.name:
            self.add(
                "schema-name", "cosmetic", location, ours.name, theirs.name,
                message=f"the schema is named {theirs.name or '(inline)'} in theirs, {ours.name} in ours", marker=marker,
            )  # fmt: skip
        if required is not None:
            self._required(required, location, direction, marker)
        ours_required = required is None or required[0]
        self._types(ours, theirs, location, direction, ours_required=ours_required, marker=marker)
        self._format(ours, theirs, location, direction, marker)
        self._enum(ours, theirs, location, direction, marker)
        if ours.has_default != theirs.has_default or (ours.has_default and ours.default != theirs.default):
            ours_default = ours.default if ours.has_default else None
            theirs_default = theirs.default if theirs.has_default else None
            self.add(
                "default", "tolerated", location, ours_default, theirs_default,
                message=f"the default is {theirs_default!r} in theirs, {ours_default!r} in ours (the generated client "
                "always sends the spec's default)", marker=marker,
            )  # fmt: skip
        self._constraints(ours, theirs, location, direction, marker)
        self._text("description", ours.description, theirs.description, location, marker)
        both = ours.types, theirs.types
        if all(t is None or "object" in t for t in both):
            self._properties(ours, theirs, prefix, field, direction=direction, marker=marker, stack=stack)
            if isinstance(ours.additional, dict) and isinstance(theirs.additional, dict):
                self._schema(
                    ours.additional, theirs.additional, prefix=prefix, field=f"{field}{{}}",
                    direction=direction, required=None, marker=marker, stack=stack,
                )  # fmt: skip
        if (
            all(t is not None and "array" in t for t in both)
            and ours.items is not None
            and theirs.items is not None
        ):
            self._schema(
                ours.items, theirs.items, prefix=prefix, field=f"{field}[]", direction=direction,
                required=None, marker=marker, stack=stack,
            )  # fmt: skip

    def _required(
        self, required: tuple[bool, bool], location: str, direction: Direction, marker: str | None
    ) -> None:
        ours_required, theirs_required = required
        if ours_required == theirs_required:
            return
        if direction == "response" and ours_required:
            effect: Effect = "breaking"
            message = (
                "required in ours, optional in theirs: an answer without it fails the client's validation"
            )
        elif direction == "error" and ours_required:
            effect, message = (
                "tolerated",
                "required in ours, optional in theirs (error bodies are read tolerantly)",
            )
        else:
            effect, message = "tolerated", "required in theirs, optional in ours"
        self.add("required", effect, location, ours_required, theirs_required, message=message, marker=marker)

    def _types(
        self,
        ours: SchemaView,
        theirs: SchemaView,
        location: str,
        direction: Direction,
        *,
        ours_required: bool,
        marker: str | None,
    ) -> None:
        if ours.types != theirs.types:
            narrow, wide = (
                (ours.types, theirs.types) if direction == "request" else (theirs.types, ours.types)
            )
            fits = _types_within(narrow, wide)
            sender = "the client sends" if direction == "request" else "they send"
            self.add(
                "type", "tolerated" if fits else "breaking", location,
                _types_text(ours.types), _types_text(theirs.types),
                message=f"type {_types_text(theirs.types)} in theirs, {_types_text(ours.types)} in ours: "
                + (f"what {sender} still fits" if fits else f"what {sender} may not fit"), marker=marker,
            )  # fmt: skip
        if ours.nullable != theirs.nullable:
            if direction == "response" and theirs.nullable and ours_required:
                effect: Effect = "breaking"
                message = (
                    "theirs allows null, ours does not, and ours requires the field: null fails the client"
                )
            elif theirs.nullable:
                effect = "tolerated"
                message = "theirs allows null, ours does not" + (
                    " (the client takes null in an optional field as absent)"
                    if direction != "request"
                    else ""
                )
            else:
                effect, message = "tolerated", "ours allows null, theirs does not"
            self.add(
                "nullable", effect, location, ours.nullable, theirs.nullable, message=message, marker=marker
            )

    def _format(
        self, ours: SchemaView, theirs: SchemaView, location: str, direction: Direction, marker: str | None
    ) -> None:
        if ours.format == theirs.format:
            return
        if direction == "request":
            fits = _format_within(ours.format, theirs.format)
            why = "what the client sends still fits" if fits else "the client may send values they refuse"
        else:
            fits = _format_within(theirs.format, ours.format)
            why = (
                "every value they send fits ours"
                if fits
                else "they may send values the client's validation refuses"
            )
        self.add(
            "format", "tolerated" if fits else "breaking", location, ours.format, theirs.format,
            message=f"format {theirs.format or '(none)'} in theirs, {ours.format or '(none)'} in ours: {why}", marker=marker,
        )  # fmt: skip

    def _enum(
        self, ours: SchemaView, theirs: SchemaView, location: str, direction: Direction, marker: str | None
    ) -> None:
        if ours.enum is None and theirs.enum is None:
            return
        if ours.enum is None or theirs.enum is None:
            effect: Effect = "breaking" if direction == "request" and theirs.enum is not None else "tolerated"
            message = (
                f"an enum in theirs ({', '.join(map(str, theirs.enum))}), any value in ours"
                if theirs.enum is not None
                else "any value in theirs, an enum in ours"
            )
            self.add(
                "enum",
                effect,
                location,
                _listed(ours.enum),
                _listed(theirs.enum),
                message=message,
                marker=marker,
            )
            return
        for value in theirs.enum:
            if value not in ours.enum:
                self.add(
                    "enum", "tolerated", location, None, value,
                    message=f"their enum adds {value}"
                    + (" (the client keeps an unknown value, is_known False)" if direction != "request" else ""),
                    marker=marker,
                )  # fmt: skip
        for value in ours.enum:
            if value not in theirs.enum:
                request = direction == "request"
                self.add(
                    "enum", "breaking" if request else "tolerated", location, value, None,
                    message=f"their enum no longer has {value}"
                    + (": the client may send it" if request else " (a value never sent fails nothing)"),
                    marker=marker,
                )  # fmt: skip

    def _constraints(
        self, ours: SchemaView, theirs: SchemaView, location: str, direction: Direction, marker: str | None
    ) -> None:
        for key in sorted(ours.constraints.keys() | theirs.constraints.keys()):
            ours_value, theirs_value = ours.constraints.get(key), theirs.constraints.get(key)
            if ours_value == theirs_value:
                continue
            stricter = _stricter(key, theirs_value, ours_value)
            if stricter is None:
                effect: Effect = "breaking"
            elif direction == "request":
                effect = "breaking" if stricter else "tolerated"
            else:
                effect = "tolerated" if stricter else "breaking"
            self.add(
                "constraint", effect, location, ours_value, theirs_value,
                message=f"{key} is {theirs_value!r} in theirs, {ours_value!r} in ours", marker=marker,
            )  # fmt: skip

    def _properties(
        self,
        ours: SchemaView,
        theirs: SchemaView,
        prefix: str,
        field: str,
        *,
        direction: Direction,
        marker: str | None,
        stack: frozenset[tuple[object, object]],
    ) -> None:
        for name in sorted(ours.properties.keys() | theirs.properties.keys()):
            child = f"{field}.{name}" if field else name
            location = f"{prefix}: {child}"
            if name not in theirs.properties:
                node, _ = self.ours.resolve(ours.properties[name], f"{self.operation} {location}")
                required = name in ours.required
                effect: Effect = "breaking" if required and direction == "response" else "tolerated"
                self.add(
                    "field", effect, location, "required" if required else "optional", None,
                    message=f"their document no longer has the {'required' if required else 'optional'} field {child}"
                    + (": an answer without it fails the client's validation" if effect == "breaking" else ""),
                    marker=marker_of(node) or marker,
                )  # fmt: skip
            elif name not in ours.properties:
                required = name in theirs.required
                closed = ours.additional is False and direction != "request"
                self.add(
                    "field", "breaking" if closed else "tolerated", location, None,
                    "required" if required else "optional",
                    message=f"their document adds the {'required' if required else 'optional'} field {child}"
                    + (": ours forbids other fields" if closed else " (the client keeps unknown fields)"),
                    marker=marker,
                )  # fmt: skip
            else:
                self._schema(
                    ours.properties[name], theirs.properties[name], prefix=prefix, field=child,
                    direction=direction, required=(name in ours.required, name in theirs.required),
                    marker=marker, stack=stack,
                )  # fmt: skip


def _scopes_text(scopes: frozenset[str]) -> str:
    return " + ".join(sorted(scopes)) if scopes else "(no scope)"


def _listed(values: tuple[Any, ...] | None) -> list[Any] | None:
    return None if values is None else list(values)


def _parameter_schema(parameter: dict[str, Any]) -> Any:
    if "schema" in parameter:
        return parameter["schema"]
    for media in (parameter.get("content") or {}).values():
        if isinstance(media, dict):
            return media.get("schema", {})
    return {}


def _body_schema(content: dict[str, Any]) -> Any:
    """The schema of the JSON content, else of ``*/*``, else of the first content type listed."""
    ordered = sorted(content, key=lambda m: (not _is_json(m), m != "*/*"))
    for media in ordered:
        node = content[media]
        if isinstance(node, dict) and "schema" in node:
            return node["schema"]
    return None


def compare(ours: Document, theirs: Document) -> tuple[list[Difference], list[OperationMatch]]:
    """Every difference of ``theirs`` from ``ours`` on the operations ours has, and how each matched."""
    comparer = _Comparer(ours, theirs)
    matches = comparer.run()
    return comparer.found, matches
