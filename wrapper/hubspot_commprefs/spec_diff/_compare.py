"""Compare our spec's operations with another document's, and classify each difference by its effect on
this client.

"Ours" is the spec the client was generated from; "theirs" is the other document (HubSpot's published
definitions, or the next version of our spec). Only the operations ours has are compared, matched by
method and path shape: path parameter names do not matter, and a version segment (a date, ``v4``) may
differ (reported, ``tolerated``). Schema names never matter, only structure (see ``_load``).

Severities:

- ``breaking``: the client, its validation of answers, or a token would fail against what theirs says.
- ``tolerated``: the client keeps working, but theirs says something ours does not and the spec should
  learn it (an added field or enum value, a new optional parameter, another security scheme...).
- ``informational``: in what they send, theirs promises less than ours (a narrower type, format, range or
  enum, no null, a field always sent that ours has optional): every value theirs allows fits ours. Keep
  ours: narrowing it would only make the client refuse real values the moment theirs is wrong or widens
  again (HubSpot's ids outgrew int32).
- ``cosmetic``: descriptions, summaries, schema and security scheme names, path parameter names.
  Examples are not compared.
- ``deliberate``: a difference that an ``x-deliberate-difference`` marker of ours describes (see
  ``_markers``); ``effect`` keeps what it would have been, ``reason`` is that marker's.

The rules depend on the direction: a response is what they send and we read (theirs must fit in ours),
a parameter is what we send and they read (ours must fit in theirs).

| what differs | in a response (2xx body) | in a request parameter |
|---|---|---|
| field/parameter only in ours | breaking if ours requires it (the client's validation demands it), else tolerated | breaking: the client sends something they no longer declare |
| field/parameter only in theirs | tolerated: the client keeps unknown fields (breaking if ours says additionalProperties: false) | breaking if they require it, else tolerated |
| required in ours, optional in theirs | breaking: an answer without it fails the client | tolerated |
| optional in ours, required in theirs | informational | breaking: the client may leave it out |
| type | theirs within ours (integer in number) informational, else breaking | ours within theirs tolerated, else breaking |
| null allowed by theirs only | breaking for a field ours requires (null there fails the client), else tolerated (null is taken as absent) | tolerated |
| null allowed by ours only | informational | tolerated |
| format | theirs narrower (int32 in int64) informational; wider (int32 -> int64) or dropped (a date-time that is any string) breaking | theirs wider tolerated; narrower (int64 -> int32) or added breaking |
| enum value added by theirs | tolerated: the client keeps an unknown value (``is_known`` False) | tolerated |
| enum value removed by theirs | informational | breaking: the client may send it |
| enum only in ours / only in theirs | tolerated / informational | tolerated / breaking |
| default | tolerated: the generated client always sends the spec's default | the same |
| bounds, lengths (each its own kind: ``maximum``...), pattern | theirs stricter informational, looser or another pattern breaking | theirs stricter or another pattern breaking, looser tolerated |

Error bodies (non-2xx and ``default``) follow the response column, but are read tolerantly by the client
(every field optional, any content type), so there a missing or optional field and a content type are
``tolerated``. Responses: our success status missing from theirs, or a success (1xx-3xx) status only
theirs documents (the client takes any 2xx but its own as unexpected), is breaking; an error status on one
side only is tolerated (the client maps every error status). A success response that theirs may send in a
non-JSON content type (``*/*``, ``text/plain``) is breaking. Response headers are read tolerantly: one on
one side only is tolerated.

Security: each scheme the operation's requirement names is reduced to how the client sends its credential
(an http ``bearer``, ``oauth2`` or ``openIdConnect`` scheme: a bearer token; an ``apiKey``: a key in a
named header, query or cookie). A way ours uses that theirs lacks is breaking (the client sends it); one
only theirs has is tolerated; the same way under another name is cosmetic; an OAuth2 flow added, removed
or with other URLs is tolerated. Scopes: among the alternatives of the requirement that use a way both
sides have, each compared as a set of scopes whatever the scheme is called, an alternative of ours that
theirs lacks (a scope renamed or removed) is breaking, since tokens granted it may be refused; one only
theirs lists is tolerated. An operation of ours missing from theirs, a new required request body, and a
parameter theirs requires that ours lacks are breaking.

Bounds: schemas nested more than ``MAX_SCHEMA_DEPTH`` levels (``$ref``s followed) and comparisons past the
``Budget`` (``_load``) are refused with ``SpecDocumentError``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

from hubspot_commprefs.spec_diff._load import (
    MARKER,
    Budget,
    Document,
    SchemaView,
    SpecDocumentError,
    as_list,
    as_mapping,
    schema_view,
)
from hubspot_commprefs.spec_diff._markers import Kind, Marker, check_markers, parse_marker

Severity = Literal["breaking", "tolerated", "informational", "cosmetic", "deliberate"]
Effect = Literal["breaking", "tolerated", "informational", "cosmetic"]
Direction = Literal["response", "error", "request"]
SEVERITIES: tuple[Severity, ...] = ("breaking", "tolerated", "informational", "deliberate", "cosmetic")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
VERSION_SEGMENT = re.compile(r"(v\d+(?:(?:alpha|beta)\d*)?|\d{4}-\d{2}(?:-\d{2})?)", re.IGNORECASE)
PARAMETER_SEGMENT = re.compile(r"\{([^}]*)\}")
DOCUMENT = "(document)"
MAX_SCHEMA_DEPTH = 64
_WIDER_FORMATS = {"int32": ("int64",), "float": ("double",)}
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_SHOWN_VALUES = 10
_SHOWN_CHARACTERS = 80
_KEEP_OURS = "keep ours (every value theirs allows fits it)"
Markers = tuple[Marker, ...]  # the markers over a node, innermost first


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference between our spec and theirs.

    ``operation`` is ``METHOD path`` of our operation; ``location`` where in it (``parameter channel
    (query)``, ``response 200: results[].subscriptionId``, ``security``); ``ours`` and ``theirs`` the two
    values (JSON-ready, None when absent); ``effect`` what the difference does to the client, and
    ``severity`` the same unless a marker of ours describes it (then ``deliberate``, and ``reason`` is the
    marker's text).
    """

    kind: Kind
    severity: Severity
    effect: Effect
    operation: str
    location: str
    ours: Any
    theirs: Any
    message: str
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _fit(direction: Direction, fits: bool) -> Effect:
    """The effect of a difference in what a value may be: breaking when the sender's values may not fit
    the reader's; else tolerated in what the client sends, informational (keep ours) in what they send."""
    if not fits:
        return "breaking"
    return "tolerated" if direction == "request" else "informational"


def _format_within(narrow: str | None, wide: str | None) -> bool:
    return wide is None or narrow == wide or (narrow is not None and wide in _WIDER_FORMATS.get(narrow, ()))


def _stricter(key: str, value: Any, other: Any) -> bool | None:
    """Whether bound ``value`` is stricter than ``other`` (None absent = loosest); None: not comparable."""
    if value == other:
        return False
    if other is None:
        return True
    if value is None:
        return False
    numbers = (int, float)
    if key == "pattern" or not isinstance(value, numbers) or not isinstance(other, numbers):
        return None
    return value > other if key in _LOWER_BOUNDS else value < other


def _path_shape(path: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(shape, versions, parameter names): the shape has ``{}`` for parameters and ``{version}`` for a
    version segment, so that ``/x/<a date>/{id}`` and ``/x/<another date>/{objectId}`` have the same shape."""
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


def _media(name: Any) -> str:
    return str(name).split(";", 1)[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _is_success(code: str) -> bool:
    return code[:1] in {"1", "2", "3"}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARACTERS else text[: _SHOWN_CHARACTERS - 3] + "..."


def _shown_values(values: list[Any] | tuple[Any, ...]) -> str:
    shown = ", ".join(_shown(v) if not isinstance(v, str) else v for v in values[:_SHOWN_VALUES])
    return shown if len(values) <= _SHOWN_VALUES else f"{shown}, ... ({len(values)} values)"


def _canonical(value: Any) -> Any:
    """A hashable key for a JSON value: equal values (1 and 1.0, objects in any key order) share it."""
    if isinstance(value, dict):
        return ("{}", frozenset((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[]", tuple(_canonical(v) for v in value))
    if value is None or isinstance(value, bool | int | float | str):
        return (type(value) is bool, value)
    return ("?", repr(value))


class _Comparer:
    def __init__(self, ours: Document, theirs: Document) -> None:
        self.ours = ours
        self.theirs = theirs
        self.found: list[Difference] = []
        self.operation = DOCUMENT
        self.budget = Budget(theirs.name)

    def add(
        self,
        kind: Kind,
        effect: Effect,
        location: str,
        ours: Any,
        theirs: Any,
        *,
        message: str,
        markers: Markers,
        own: Marker | None = None,
    ) -> None:
        """Record a difference; ``own`` is the marker of the node it reports missing from theirs."""
        accepting = None
        if effect != "cosmetic":
            if own is not None and own.accepts(kind, theirs, own=True):
                accepting = own
            else:
                accepting = next((m for m in markers if m.accepts(kind, theirs, own=False)), None)
        self.found.append(
            Difference(
                kind=kind,
                severity="deliberate" if accepting is not None else effect,
                effect=effect,
                operation=self.operation,
                location=location,
                ours=ours,
                theirs=theirs,
                message=message,
                reason=accepting.reason if accepting is not None else None,
            )
        )

    def marker(self, node: Any, where: str) -> Marker | None:
        """The marker on ``node`` of ours (already resolved), or None."""
        if not isinstance(node, dict):
            return None
        return parse_marker(node.get(MARKER), self.ours, where)

    # -- operations ------------------------------------------------------------------------------------

    def _operations(self, doc: Document) -> dict[tuple[str, str], _Operation]:
        found = {}
        for path, raw_item in as_mapping(doc.root.get("paths")).items():
            item, _ = doc.resolve(raw_item, f"paths/{path}")
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                operation = item.get(method)
                if isinstance(operation, dict):
                    found[method, str(path)] = _Operation(str(path), operation, item)
        return found

    def run(self) -> list[OperationMatch]:
        ours_version = as_mapping(self.ours.root.get("info")).get("version")
        theirs_version = as_mapping(self.theirs.root.get("info")).get("version")
        if str(ours_version) != str(theirs_version):
            self.add(
                "version", "cosmetic", "info.version", str(ours_version), str(theirs_version),
                message=f"info.version is {_shown(theirs_version)} in theirs, {_shown(ours_version)} in ours",
                markers=(),
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
            matches.append(
                OperationMatch(self.operation, str(operation_id) if operation_id else None, theirs_path)
            )
            marker = self.marker(operation, self.operation)
            markers = (marker,) if marker is not None else ()
            if theirs_path is None:
                self.add(
                    "operation", "breaking", "operation", path, None,
                    message=f"their document has no {method.upper()} operation at this path (any version): "
                    "the client calls an operation they do not declare", markers=markers, own=marker,
                )  # fmt: skip
                continue
            self._operation(ours, theirs_ops[method, theirs_path], markers)
        return matches

    def _operation(self, ours: _Operation, theirs: _Operation, markers: Markers) -> None:
        path, theirs_path = ours.path, theirs.path
        operation, theirs_operation = ours.operation, theirs.operation
        _, versions, names = _path_shape(path)
        _, theirs_versions, theirs_names = _path_shape(theirs_path)
        if versions != theirs_versions:
            self.add(
                "version", "tolerated", "path", path, theirs_path,
                message=f"their document has this operation under version {'/'.join(theirs_versions)}, ours under "
                f"{'/'.join(versions)}: the client calls the {'/'.join(versions)} path", markers=markers,
            )  # fmt: skip
        for ours_name, theirs_name in zip(names, theirs_names, strict=True):
            if ours_name != theirs_name:
                self.add(
                    "parameter-name", "cosmetic", f"parameter {{{ours_name}}} (path)", ours_name, theirs_name,
                    message=f"the path parameter is called {theirs_name!r} in theirs (the client fills it by place)",
                    markers=markers,
                )  # fmt: skip
        if theirs_operation.get("deprecated") is True and operation.get("deprecated") is not True:
            self.add(
                "deprecated", "tolerated", "operation", "no", "yes",
                message="their document marks the operation deprecated", markers=markers,
            )  # fmt: skip
        for key in ("summary", "description"):
            self._text(key, operation.get(key), theirs_operation.get(key), key, markers)
        self._parameters(ours, theirs, markers)
        self._request_body(operation, theirs_operation, markers)
        self._responses(operation, theirs_operation, markers)
        self._security(operation, theirs_operation, markers)

    def _text(
        self, kind: Literal["summary", "description"], ours: Any, theirs: Any, location: str, markers: Markers
    ) -> None:
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
                markers=markers,
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
            for index, raw in enumerate(as_list(node.get("parameters"))):
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

    def _parameters(self, ours_operation: _Operation, theirs_operation: _Operation, markers: Markers) -> None:
        ours = self._parameter_map(self.ours, ours_operation)
        theirs = self._parameter_map(self.theirs, theirs_operation)
        for key in sorted(ours.keys() | theirs.keys()):
            location_in = key[0]
            ours_parameter, ours_name = ours.get(key, ({}, ""))
            theirs_parameter, theirs_name = theirs.get(key, ({}, ""))
            name = ours_name or theirs_name
            shown = f"{{{name}}}" if location_in == "path" else name
            location = f"parameter {shown} ({location_in})"
            own = self.marker(ours_parameter, f"{self.operation} {location}")
            parameter_markers = (own, *markers) if own is not None else markers
            ours_required = ours_parameter.get("required") is True or location_in == "path"
            theirs_required = theirs_parameter.get("required") is True or location_in == "path"
            if key not in theirs:
                self.add(
                    "parameter", "breaking", location, name, None,
                    message=f"their document no longer declares the {location_in} parameter {name!r}, which the client "
                    "sends", markers=parameter_markers, own=own,
                )  # fmt: skip
                continue
            if key not in ours:
                effect: Effect = "breaking" if theirs_required else "tolerated"
                what = "a new required" if theirs_required else "a new optional"
                self.add(
                    "parameter", effect, location, None, name,
                    message=f"their document adds {what} {location_in} parameter {name!r}"
                    + (", which the client does not send" if theirs_required else ""), markers=markers,
                )  # fmt: skip
                continue
            if ours_required != theirs_required:
                self.add(
                    "required", "breaking" if theirs_required else "tolerated", location,
                    ours_required, theirs_required,
                    message="required in theirs, optional in ours: the client may leave it out" if theirs_required
                    else "optional in theirs, required in ours", markers=parameter_markers,
                )  # fmt: skip
            self._text("description", ours_parameter.get("description"), theirs_parameter.get("description"),
                       location, parameter_markers)  # fmt: skip
            self._schema(
                _parameter_schema(ours_parameter),
                _parameter_schema(theirs_parameter),
                prefix=location,
                field="",
                direction="request",
                required=None,
                markers=parameter_markers,
                stack=frozenset(),
            )

    def _request_body(
        self, operation: dict[str, Any], theirs_operation: dict[str, Any], markers: Markers
    ) -> None:
        ours, _ = self.ours.resolve(operation.get("requestBody"), f"{self.operation} requestBody")
        theirs, _ = self.theirs.resolve(theirs_operation.get("requestBody"), f"{self.operation} requestBody")
        if isinstance(theirs, dict) and not isinstance(ours, dict):
            required = theirs.get("required") is True
            self.add(
                "request-body", "breaking" if required else "tolerated", "request body", None,
                "required" if required else "optional",
                message=f"their document adds {'a required' if required else 'an optional'} request body"
                + (", which the client does not send" if required else ""), markers=markers,
            )  # fmt: skip
        elif isinstance(ours, dict) and not isinstance(theirs, dict):
            own = self.marker(ours, f"{self.operation} requestBody")
            self.add(
                "request-body", "breaking", "request body", "declared", None,
                message="their document declares no request body, which the client sends",
                markers=markers, own=own,
            )  # fmt: skip

    # -- responses -------------------------------------------------------------------------------------

    def _responses(
        self, operation: dict[str, Any], theirs_operation: dict[str, Any], markers: Markers
    ) -> None:
        ours = {str(code).upper(): node for code, node in as_mapping(operation.get("responses")).items()}
        theirs = {
            str(code).upper(): node for code, node in as_mapping(theirs_operation.get("responses")).items()
        }
        for code in sorted(ours.keys() | theirs.keys()):
            location = f"response {code.lower() if code == 'DEFAULT' else code}"
            ours_response, _ = self.ours.resolve(ours.get(code), f"{self.operation} {location}")
            own = self.marker(ours_response, f"{self.operation} {location}")
            response_markers = (own, *markers) if own is not None else markers
            if code not in theirs:
                success = _is_success(code)
                self.add(
                    "status", "breaking" if success else "tolerated", location, code.lower(), None,
                    message=f"their document does not list {location}"
                    + (": the client expects it" if success else " (the client maps every error status)"),
                    markers=response_markers, own=own,
                )  # fmt: skip
                continue
            if code not in ours:
                success = _is_success(code)
                self.add(
                    "status", "breaking" if success else "tolerated", location, None, code.lower(),
                    message=f"their document adds {location}"
                    + (": the client takes any success status but its own as unexpected" if success
                       else " (an error status: the client maps it to its exception)"),
                    markers=markers,
                )  # fmt: skip
                continue
            theirs_response, _ = self.theirs.resolve(theirs[code], f"{self.operation} {location}")
            if isinstance(ours_response, dict) and isinstance(theirs_response, dict):
                direction: Direction = "response" if code.startswith("2") else "error"
                self._response(ours_response, theirs_response, location, direction, response_markers)

    def _response(
        self,
        ours: dict[str, Any],
        theirs: dict[str, Any],
        location: str,
        direction: Direction,
        markers: Markers,
    ) -> None:
        self._text("description", ours.get("description"), theirs.get("description"), location, markers)
        ours_content = {_media(k): v for k, v in as_mapping(ours.get("content")).items()}
        theirs_content = {_media(k): v for k, v in as_mapping(theirs.get("content")).items()}
        if ours_content.keys() != theirs_content.keys():
            added = theirs_content.keys() - ours_content.keys()
            json_left = any(_is_json(m) for m in theirs_content) or not ours_content
            fits = direction == "error" or (json_left and all(_is_json(m) for m in added))
            listed = ", ".join(sorted(theirs_content)) or "none"
            self.add(
                "content-type", "tolerated" if fits else "breaking", location,
                sorted(ours_content), sorted(theirs_content),
                message=f"their document lists the content types {listed}, ours {', '.join(sorted(ours_content)) or 'none'}"
                + ("" if fits else ": the client reads only JSON"), markers=markers,
            )  # fmt: skip
        ours_schema, theirs_schema = _body_schema(ours_content), _body_schema(theirs_content)
        if ours_schema is not None and theirs_schema is not None:
            self._schema(
                ours_schema, theirs_schema, prefix=location, field="", direction=direction,
                required=None, markers=markers, stack=frozenset(),
            )  # fmt: skip
        ours_headers = {str(k).lower(): (str(k), v) for k, v in as_mapping(ours.get("headers")).items()}
        theirs_headers = {str(k).lower(): str(k) for k in as_mapping(theirs.get("headers"))}
        for header in sorted(ours_headers.keys() ^ theirs_headers.keys()):
            ours_only = header in ours_headers
            name = ours_headers[header][0] if ours_only else theirs_headers[header]
            where = f"{location}: header {name}"
            own = None
            if ours_only:
                node, _ = self.ours.resolve(ours_headers[header][1], f"{self.operation} {where}")
                own = self.marker(node, f"{self.operation} {where}")
            self.add(
                "header", "tolerated", where, name if ours_only else None, None if ours_only else name,
                message=f"their document {'does not list' if ours_only else 'adds'} the header {name} "
                "(the client reads headers tolerantly)", markers=(own, *markers) if own else markers, own=own,
            )  # fmt: skip

    # -- security --------------------------------------------------------------------------------------

    def _requirements(self, doc: Document, operation: dict[str, Any]) -> list[dict[str, frozenset[str]]]:
        """The alternatives of the operation's effective security requirement: scheme -> scopes."""
        requirements = operation["security"] if "security" in operation else doc.root.get("security")
        return [
            {str(name): frozenset(str(s) for s in as_list(scopes)) for name, scopes in requirement.items()}
            for requirement in as_list(requirements)
            if isinstance(requirement, dict)
        ]

    def _scheme(self, doc: Document, name: str) -> tuple[str, dict[str, Any]]:
        """How a credential of the scheme ``name`` is sent, and the scheme object ({} when undeclared)."""
        schemes = as_mapping(as_mapping(doc.root.get("components")).get("securitySchemes"))
        scheme, _ = doc.resolve(schemes.get(name), f"securitySchemes {name}")
        if not isinstance(scheme, dict):
            return f"the undeclared scheme {name}", {}
        kind = str(scheme.get("type", "")).lower()
        http = str(scheme.get("scheme", "")).lower()
        if kind in {"oauth2", "openidconnect"} or (kind == "http" and http == "bearer"):
            return "a bearer token", scheme
        if kind == "http":
            return f"HTTP {http or '(no scheme)'} credentials", scheme
        if kind == "apikey":
            return f"an API key in {scheme.get('in')} {scheme.get('name')}", scheme
        return f"{kind or 'untyped'} credentials", scheme

    def _ways(
        self, doc: Document, requirements: list[dict[str, frozenset[str]]]
    ) -> dict[str, dict[str, Any]]:
        """way of sending a credential -> {scheme name: scheme object}, for the schemes the requirements name."""
        ways: dict[str, dict[str, Any]] = {}
        for requirement in requirements:
            for name in requirement:
                way, scheme = self._scheme(doc, name)
                ways.setdefault(way, {})[name] = scheme
        return ways

    def _security(
        self, operation: dict[str, Any], theirs_operation: dict[str, Any], markers: Markers
    ) -> None:
        ours_requirements = self._requirements(self.ours, operation)
        theirs_requirements = self._requirements(self.theirs, theirs_operation)
        ours_ways, theirs_ways = (
            self._ways(self.ours, ours_requirements),
            self._ways(self.theirs, theirs_requirements),
        )
        for way in sorted(ours_ways.keys() - theirs_ways.keys()):
            names = ", ".join(sorted(ours_ways[way]))
            self.add(
                "security-scheme", "breaking", f"security scheme {names}", way, None,
                message=f"their document no longer accepts {way} (ours: {names}), which the client sends",
                markers=markers,
            )  # fmt: skip
        for way in sorted(theirs_ways.keys() - ours_ways.keys()):
            names = ", ".join(sorted(theirs_ways[way]))
            self.add(
                "security-scheme", "tolerated", f"security scheme {names}", None, names,
                message=f"their document adds the security scheme {names}: {way}", markers=markers,
            )  # fmt: skip
        for way in sorted(ours_ways.keys() & theirs_ways.keys()):
            ours_names, theirs_names = sorted(ours_ways[way]), sorted(theirs_ways[way])
            if ours_names != theirs_names:
                self.add(
                    "schema-name", "cosmetic", "security", ", ".join(ours_names), ", ".join(theirs_names),
                    message=f"the security scheme for {way} is named {', '.join(theirs_names)} in theirs, "
                    f"{', '.join(ours_names)} in ours", markers=markers,
                )  # fmt: skip
            self._flows(ours_ways[way], theirs_ways[way], markers)
        shared = ours_ways.keys() & theirs_ways.keys()
        self._scopes(
            self._alternatives(self.ours, ours_requirements, shared),
            self._alternatives(self.theirs, theirs_requirements, shared),
            markers,
        )

    def _flows(self, ours: dict[str, Any], theirs: dict[str, Any], markers: Markers) -> None:
        """The OAuth2 flows of the schemes sending a credential the same way (their URLs, not their scopes)."""
        ours_flows, theirs_flows = _oauth_flows(ours), _oauth_flows(theirs)
        if not ours_flows or not theirs_flows:
            return  # an http bearer scheme on one side: no flow to compare
        for flow in sorted(ours_flows.keys() | theirs_flows.keys()):
            ours_urls, theirs_urls = ours_flows.get(flow), theirs_flows.get(flow)
            if ours_urls == theirs_urls:
                continue
            what = "adds" if ours_urls is None else "no longer lists" if theirs_urls is None else "changes"
            self.add(
                "security-scheme", "tolerated", f"security flow {flow}", ours_urls, theirs_urls,
                message=f"their document {what} the OAuth2 flow {flow} (the client only sends the token)",
                markers=markers,
            )  # fmt: skip

    def _alternatives(
        self, doc: Document, requirements: list[dict[str, frozenset[str]]], ways: set[str]
    ) -> list[frozenset[str]]:
        """The scopes of each alternative whose schemes all send a credential in one of ``ways``."""
        alternatives: list[frozenset[str]] = []
        for requirement in requirements:
            if all(self._scheme(doc, name)[0] in ways for name in requirement):
                scopes = frozenset(s for scopes in requirement.values() for s in scopes)
                if scopes not in alternatives:
                    alternatives.append(scopes)
        return alternatives

    def _scopes(self, ours: list[frozenset[str]], theirs: list[frozenset[str]], markers: Markers) -> None:
        listed = [_scopes_text(s) for s in theirs]
        added = [s for s in theirs if s not in ours]
        for scopes in ours:
            if scopes not in theirs:
                renamed = f"; theirs lists {' or '.join(listed)}" if added else ""
                self.add(
                    "scope", "breaking", "security", _scopes_text(scopes), listed,
                    message=f"their document no longer accepts {_scopes_text(scopes)}: a token granted it may be refused"
                    + renamed, markers=markers,
                )  # fmt: skip
        for scopes in added:
            self.add(
                "scope", "tolerated", "security", [_scopes_text(s) for s in ours], _scopes_text(scopes),
                message=f"their document adds the alternative {_scopes_text(scopes)}", markers=markers,
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
        markers: Markers,
        stack: frozenset[tuple[object, object]],
    ) -> None:
        where = f"{self.operation} {prefix} {field}".strip()
        if len(stack) >= MAX_SCHEMA_DEPTH:
            raise SpecDocumentError(
                f"{self.theirs.name}: schemas nested more than {MAX_SCHEMA_DEPTH} levels deep ($refs followed) "
                f"under {self.operation} {prefix}"
            )
        ours = schema_view(self.ours, ours_node, where, self.budget)
        theirs = schema_view(self.theirs, theirs_node, where, self.budget)
        own = parse_marker(ours.marker, self.ours, where)
        markers = (own, *markers) if own is not None else markers
        location = f"{prefix}: {field}" if field else prefix
        pair = (ours.key, theirs.key)
        if pair in stack:  # a schema that contains itself: this pair is being compared further up
            return
        stack |= {pair}
        if ours.name is not None and ours.name != theirs.name:
            self.add(
                "schema-name", "cosmetic", location, ours.name, theirs.name,
                message=f"the schema is named {theirs.name or '(inline)'} in theirs, {ours.name} in ours", markers=markers,
            )  # fmt: skip
        if required is not None:
            self._required(required, location, direction, markers)
        ours_required = required is None or required[0]
        self._types(ours, theirs, location, direction, ours_required=ours_required, markers=markers)
        self._format(ours, theirs, location, direction, markers)
        self._enum(ours, theirs, location, direction, markers)
        if ours.has_default != theirs.has_default or (ours.has_default and ours.default != theirs.default):
            ours_default = ours.default if ours.has_default else None
            theirs_default = theirs.default if theirs.has_default else None
            self.add(
                "default", "tolerated", location, ours_default, theirs_default,
                message=f"the default is {_shown(theirs_default)} in theirs, {_shown(ours_default)} in ours (the "
                "generated client always sends the spec's default)", markers=markers,
            )  # fmt: skip
        self._constraints(ours, theirs, location, direction, markers)
        self._text("description", ours.description, theirs.description, location, markers)
        both = ours.types, theirs.types
        if all(t is None or "object" in t for t in both):
            self._properties(ours, theirs, prefix, field, direction=direction, markers=markers, stack=stack)
            if isinstance(ours.additional, dict) and isinstance(theirs.additional, dict):
                self._schema(
                    ours.additional, theirs.additional, prefix=prefix, field=f"{field}{{}}",
                    direction=direction, required=None, markers=markers, stack=stack,
                )  # fmt: skip
        if (
            all(t is not None and "array" in t for t in both)
            and ours.items is not None
            and theirs.items is not None
        ):
            self._schema(
                ours.items, theirs.items, prefix=prefix, field=f"{field}[]", direction=direction,
                required=None, markers=markers, stack=stack,
            )  # fmt: skip

    def _required(
        self, required: tuple[bool, bool], location: str, direction: Direction, markers: Markers
    ) -> None:
        ours_required, theirs_required = required
        if ours_required == theirs_required:
            return
        effect: Effect
        if direction == "response" and ours_required:
            effect = "breaking"
            message = (
                "required in ours, optional in theirs: an answer without it fails the client's validation"
            )
        elif direction == "error" and ours_required:
            effect, message = (
                "tolerated",
                "required in ours, optional in theirs (error bodies are read tolerantly)",
            )
        elif direction != "request":
            effect, message = "informational", f"required in theirs, optional in ours: {_KEEP_OURS}"
        else:
            effect, message = "tolerated", "required in theirs, optional in ours"
        self.add(
            "required", effect, location, ours_required, theirs_required, message=message, markers=markers
        )

    def _types(
        self,
        ours: SchemaView,
        theirs: SchemaView,
        location: str,
        direction: Direction,
        *,
        ours_required: bool,
        markers: Markers,
    ) -> None:
        sends = direction != "request"
        if ours.types != theirs.types:
            narrow, wide = (theirs.types, ours.types) if sends else (ours.types, theirs.types)
            fits = _types_within(narrow, wide)
            effect = _fit(direction, fits)
            why = (
                _KEEP_OURS if effect == "informational"
                else "what the client sends still fits" if fits
                else f"what {'they send' if sends else 'the client sends'} may not fit"
            )  # fmt: skip
            self.add(
                "type", effect, location, _types_text(ours.types), _types_text(theirs.types),
                message=f"type {_types_text(theirs.types)} in theirs, {_types_text(ours.types)} in ours: {why}",
                markers=markers,
            )  # fmt: skip
        if ours.nullable != theirs.nullable:
            if sends and theirs.nullable and ours_required and direction == "response":
                effect = "breaking"
                message = (
                    "theirs allows null, ours does not, and ours requires the field: null fails the client"
                )
            elif theirs.nullable:
                effect = "tolerated"
                message = "theirs allows null, ours does not" + (
                    " (the client takes null in an optional field as absent)" if sends else ""
                )
            elif sends:
                effect, message = "informational", f"ours allows null, theirs does not: {_KEEP_OURS}"
            else:
                effect, message = "tolerated", "ours allows null, theirs does not"
            self.add(
                "nullable", effect, location, ours.nullable, theirs.nullable, message=message, markers=markers
            )

    def _format(
        self, ours: SchemaView, theirs: SchemaView, location: str, direction: Direction, markers: Markers
    ) -> None:
        if ours.format == theirs.format:
            return
        request = direction == "request"
        narrow, wide = (ours.format, theirs.format) if request else (theirs.format, ours.format)
        effect = _fit(direction, _format_within(narrow, wide))
        why = {
            "tolerated": "what the client sends still fits",
            "informational": f"{_KEEP_OURS[:-1]}; narrowed, it would refuse real values beyond theirs)",
            "breaking": "the client may send values they refuse"
            if request
            else "they may send values the client's validation refuses",
        }[effect]
        self.add(
            "format", effect, location, ours.format, theirs.format,
            message=f"format {theirs.format or '(none)'} in theirs, {ours.format or '(none)'} in ours: {why}",
            markers=markers,
        )  # fmt: skip

    def _enum(
        self, ours: SchemaView, theirs: SchemaView, location: str, direction: Direction, markers: Markers
    ) -> None:
        if ours.enum is None and theirs.enum is None:
            return
        request = direction == "request"
        if ours.enum is None or theirs.enum is None:
            effect: Effect
            if theirs.enum is not None:
                effect = "breaking" if request else "informational"
                message = f"an enum in theirs ({_shown_values(theirs.enum)}), any value in ours" + (
                    "" if request else f": {_KEEP_OURS}"
                )
            else:
                effect, message = "tolerated", "any value in theirs, an enum in ours"
            self.add(
                "enum",
                effect,
                location,
                _listed(ours.enum),
                _listed(theirs.enum),
                message=message,
                markers=markers,
            )
            return
        self.budget.spend(len(ours.enum) + len(theirs.enum), location)
        ours_keys = {_canonical(v) for v in ours.enum}
        theirs_keys = {_canonical(v) for v in theirs.enum}
        for value in theirs.enum:
            if _canonical(value) not in ours_keys:
                self.add(
                    "enum", "tolerated", location, None, value,
                    message=f"their enum adds {_shown_values([value])}"
                    + ("" if request else " (the client keeps an unknown value, is_known False)"),
                    markers=markers,
                )  # fmt: skip
        for value in ours.enum:
            if _canonical(value) not in theirs_keys:
                self.add(
                    "enum", "breaking" if request else "informational", location, value, None,
                    message=f"their enum no longer has {_shown_values([value])}"
                    + (": the client may send it" if request else f": {_KEEP_OURS}"),
                    markers=markers,
                )  # fmt: skip

    def _constraints(
        self, ours: SchemaView, theirs: SchemaView, location: str, direction: Direction, markers: Markers
    ) -> None:
        for key in sorted(ours.constraints.keys() | theirs.constraints.keys()):
            ours_value, theirs_value = ours.constraints.get(key), theirs.constraints.get(key)
            if ours_value == theirs_value:
                continue
            stricter = _stricter(key, theirs_value, ours_value)  # None: not comparable, so it may not fit
            effect = _fit(direction, stricter is not None and stricter == (direction != "request"))
            self.add(
                cast("Kind", key), effect, location, ours_value, theirs_value,
                message=f"{key} is {_shown(theirs_value)} in theirs, {_shown(ours_value)} in ours"
                + (f": {_KEEP_OURS}" if effect == "informational" else ""), markers=markers,
            )  # fmt: skip

    def _properties(
        self,
        ours: SchemaView,
        theirs: SchemaView,
        prefix: str,
        field: str,
        *,
        direction: Direction,
        markers: Markers,
        stack: frozenset[tuple[object, object]],
    ) -> None:
        names = sorted(ours.properties.keys() | theirs.properties.keys())
        self.budget.spend(len(names), f"{self.operation} {prefix} {field}")
        for name in names:
            child = f"{field}.{name}" if field else name
            location = f"{prefix}: {child}"
            if name not in theirs.properties:
                node, _ = self.ours.resolve(ours.properties[name], f"{self.operation} {location}")
                own = self.marker(node, f"{self.operation} {location}")
                required = name in ours.required
                effect: Effect = "breaking" if required and direction == "response" else "tolerated"
                self.add(
                    "field", effect, location, "required" if required else "optional", None,
                    message=f"their document no longer has the {'required' if required else 'optional'} field {child}"
                    + (": an answer without it fails the client's validation" if effect == "breaking" else ""),
                    markers=(own, *markers) if own else markers, own=own,
                )  # fmt: skip
            elif name not in ours.properties:
                required = name in theirs.required
                closed = ours.additional is False and direction != "request"
                self.add(
                    "field", "breaking" if closed else "tolerated", location, None,
                    "required" if required else "optional",
                    message=f"their document adds the {'required' if required else 'optional'} field {child}"
                    + (": ours forbids other fields" if closed else " (the client keeps unknown fields)"),
                    markers=markers,
                )  # fmt: skip
            else:
                self._schema(
                    ours.properties[name], theirs.properties[name], prefix=prefix, field=child,
                    direction=direction, required=(name in ours.required, name in theirs.required),
                    markers=markers, stack=stack,
                )  # fmt: skip


def _oauth_flows(schemes: dict[str, Any]) -> dict[str, dict[str, str]]:
    """flow name -> its URLs, over the OAuth2 schemes among ``schemes``."""
    flows: dict[str, dict[str, str]] = {}
    for scheme in schemes.values():
        if str(scheme.get("type", "")).lower() == "oauth2":
            for name, flow in as_mapping(scheme.get("flows")).items():
                urls = as_mapping(flow)
                flows[str(name)] = {
                    key: str(urls[key])
                    for key in ("authorizationUrl", "tokenUrl", "refreshUrl")
                    if key in urls
                }
    return flows


def _scopes_text(scopes: frozenset[str]) -> str:
    return " + ".join(sorted(scopes)) if scopes else "(no scope)"


def _listed(values: tuple[Any, ...] | None) -> list[Any] | None:
    return None if values is None else list(values)


def _parameter_schema(parameter: dict[str, Any]) -> Any:
    if "schema" in parameter:
        return parameter["schema"]
    for media in as_mapping(parameter.get("content")).values():
        if isinstance(media, dict):
            return media.get("schema", {})
    return {}


def _body_schema(content: dict[str, Any]) -> Any:
    """The schema of the JSON content, else of ``*/*``, else of the first content type listed."""
    ordered = sorted(content, key=lambda m: (not _is_json(m), m != "*/*", m))
    for media in ordered:
        node = content[media]
        if isinstance(node, dict) and "schema" in node:
            return node["schema"]
    return None


def compare(ours: Document, theirs: Document) -> tuple[list[Difference], list[OperationMatch]]:
    """Every difference of ``theirs`` from ``ours`` on the operations ours has, and how each matched."""
    check_markers(ours)
    comparer = _Comparer(ours, theirs)
    matches = comparer.run()
    return comparer.found, matches
