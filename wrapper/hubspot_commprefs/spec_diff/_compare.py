"""Compare our spec's operations with another document's, and classify each difference by its effect on
this client (the rules, per direction, are tabled in docs/spec-and-new-versions.md).

Operations are matched by method and path shape (path parameter names and a version segment may differ);
schema names never matter, only structure (``_load``). A difference an ``x-deliberate-difference`` marker
of ours accepts (``Marker``) is ``deliberate``, keeping its ``effect``.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from hubspot_commprefs.spec_diff._load import (
    CONSTRAINT_KEYS,
    MARKER,
    NO_DEFAULT,
    Budget,
    Document,
    SchemaView,
    SpecDocumentError,
    as_list,
    as_mapping,
    schema_view,
    words,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

Severity = Literal["breaking", "tolerated", "informational", "cosmetic", "deliberate"]
Effect = Literal["breaking", "tolerated", "informational", "cosmetic"]
Direction = Literal["response", "error", "request"]
Pair = tuple[Any, Any]  # ours, theirs
Stack = frozenset[tuple[object, object]]  # the schema pairs being compared further up
SEVERITIES: tuple[Severity, ...] = ("breaking", "tolerated", "informational", "deliberate", "cosmetic")
# The kinds of difference spec-diff reports (a marker may name only these), by what they are about.
_OPERATION_KINDS = ("operation", "version", "deprecated", "parameter", "parameter-name", "request-body")
_RESPONSE_KINDS = ("status", "content-type", "header")
_SCHEMA_KINDS = ("field", "required", "type", "nullable", "format", "enum", "default", "schema-name")
_OTHER_KINDS = ("scope", "security-scheme", "summary", "description")
KINDS = frozenset((*_OPERATION_KINDS, *_RESPONSE_KINDS, *_SCHEMA_KINDS, *CONSTRAINT_KEYS, *_OTHER_KINDS))
ABSENT = "absent"
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
# (direction, or "theirs" when only theirs requires it outside a request; whether ours requires it)
_REQUIRED: dict[tuple[str, bool], tuple[Effect, str]] = {
    ("request", False): ("breaking", "required in theirs, optional in ours: the client may leave it out"),
    ("request", True): ("tolerated", "optional in theirs, required in ours"),
    ("response", True): (
        "breaking",
        "required in ours, optional in theirs: an answer without it fails the client's validation",
    ),
    ("error", True): ("tolerated", "required in ours, optional in theirs (error bodies are read tolerantly)"),
    ("theirs", False): ("informational", f"required in theirs, optional in ours: {_KEEP_OURS}"),
}


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference: ``operation`` is ``METHOD path`` of ours, ``location`` where in it; ``ours`` and
    ``theirs`` the two values (None: absent); ``effect`` what it does to the client, ``severity`` the same
    unless a marker of ours describes it (``deliberate``, and ``reason`` is the marker's)."""

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
        return asdict(self)


@dataclass(frozen=True, slots=True)
class OperationMatch:
    """One operation of ours and where theirs has it (None: missing)."""

    label: str
    operation_id: str | None
    theirs_path: str | None


@dataclass(frozen=True, slots=True)
class Marker:
    """One ``x-deliberate-difference`` (format in docs/spec-and-new-versions.md): what theirs has
    (``absent``, or kind -> value) and why."""

    reason: str
    theirs: str | dict[str, Any]

    def accepts(self, kind: str, theirs: Any, *, own: bool) -> bool:
        """Whether it describes a difference of ``kind`` where theirs has ``theirs`` (None: nothing); ``own``:
        the difference is the marked node missing from theirs, all that ``theirs: absent`` accepts."""
        if isinstance(self.theirs, str):
            return own and theirs is None
        if kind not in self.theirs:
            return False
        said = None if self.theirs[kind] == ABSENT else self.theirs[kind]
        return said == theirs or (isinstance(said, list) and not isinstance(theirs, list) and theirs in said)


def read_markers(doc: Document) -> dict[int, Marker]:
    """Every marker of ``doc`` (ours), by the id of its value; a malformed one, reached by the comparison or
    not, is refused (``SpecDocumentError``), so that a typo cannot hide a difference."""
    found = {}
    stack: list[tuple[Any, str]] = [(doc.root, "#")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            if node.get(MARKER) is not None:
                found[id(node[MARKER])] = _marker(node[MARKER], doc.name, where)
            stack.extend((value, f"{where}/{key}") for key, value in node.items() if key != MARKER)
        elif isinstance(node, list):
            stack.extend((value, f"{where}/{index}") for index, value in enumerate(node))
    return found


def _marker(raw: Any, name: str, where: str) -> Marker:
    problem = f"{name}: x-deliberate-difference at {where} must be {{theirs: absent or {{kind: value}}, reason: text}}"
    if not isinstance(raw, dict) or set(raw) != {"theirs", "reason"}:
        raise SpecDocumentError(problem)
    reason, theirs = words(raw["reason"]), raw["theirs"]
    if not reason:
        raise SpecDocumentError(f"{problem}: its reason is empty")
    if theirs == ABSENT:
        return Marker(reason=reason, theirs=ABSENT)
    if not isinstance(theirs, dict) or not theirs:
        raise SpecDocumentError(problem)
    unknown = sorted(str(kind) for kind in theirs if kind not in KINDS)
    if unknown:
        raise SpecDocumentError(f"{problem}: spec-diff reports no difference of kind {', '.join(unknown)}")
    return Marker(reason=reason, theirs=dict(theirs))


@dataclass(frozen=True, slots=True)
class _Operation:
    """An operation object, its path template and its path item (which may hold shared parameters)."""

    path: str
    operation: dict[str, Any]
    item: dict[str, Any]


def _types_text(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types))


def _types_within(narrow: frozenset[str] | None, wide: frozenset[str] | None) -> bool:
    if wide is None:
        return True
    return narrow is not None and all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _format_within(narrow: str | None, wide: str | None) -> bool:
    return wide is None or narrow == wide or (narrow is not None and wide in _WIDER_FORMATS.get(narrow, ()))


def _stricter(key: str, value: Any, other: Any) -> bool | None:
    """Whether bound ``value`` is stricter than ``other`` (None absent = loosest); None: not comparable."""
    if value == other or value is None:
        return False
    if other is None:
        return True
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


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


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


def _scopes_text(scopes: frozenset[str]) -> str:
    return " + ".join(sorted(scopes)) if scopes else "(no scope)"


class _Comparer:
    def __init__(self, ours: Document, theirs: Document) -> None:
        self.ours = ours
        self.theirs = theirs
        self.marks = read_markers(ours)
        self.markers: list[Marker | None] = []  # of the nodes being compared, innermost last
        self.found: list[Difference] = []
        # Where the comparison is: the operation, the parameter or response in it, and what it carries.
        self.operation = DOCUMENT
        self.prefix = ""
        self.direction: Direction = "request"
        self.budget = Budget(theirs.name)

    def add(
        self, kind: str, effect: Effect, where: str, values: Pair, message: str, *, own: Marker | None = None
    ) -> None:
        """Record a difference at ``where``; ``own`` is the marker of the node it reports missing from theirs."""
        accepting = [own] if own is not None and own.accepts(kind, values[1], own=True) else []
        accepting += [m for m in reversed(self.markers) if m and m.accepts(kind, values[1], own=False)]
        reason = accepting[0].reason if accepting and effect != "cosmetic" else None
        severity: Severity = effect if reason is None else "deliberate"
        self.found.append(Difference(kind, severity, effect, self.operation, where, *values, message, reason))

    @contextmanager
    def marked(self, node: Any) -> Iterator[Marker | None]:
        """Compare under the marker of ``node`` of ours (resolved, or a schema's view), if it has one."""
        raw = node.marker if isinstance(node, SchemaView) else as_mapping(node).get(MARKER)
        own = self.marks.get(id(raw))
        self.markers.append(own)
        try:
            yield own
        finally:
            self.markers.pop()

    def _operations(self, doc: Document) -> dict[tuple[str, str], _Operation]:
        found = {}
        for path, raw_item in as_mapping(doc.root.get("paths")).items():
            item, _ = doc.resolve(raw_item, f"paths/{path}")
            for method in HTTP_METHODS:
                operation = as_mapping(item).get(method)
                if isinstance(operation, dict):
                    found[method, str(path)] = _Operation(str(path), operation, item)
        return found

    def run(self) -> tuple[list[Difference], list[OperationMatch]]:
        """Every difference of theirs on the operations ours has, and how each matched."""
        info = [as_mapping(doc.root.get("info")).get("version") for doc in (self.ours, self.theirs)]
        if str(info[0]) != str(info[1]):
            message = f"info.version is {_shown(info[1])} in theirs, {_shown(info[0])} in ours"
            self.add("version", "cosmetic", "info.version", (str(info[0]), str(info[1])), message)
        theirs_ops = self._operations(self.theirs)
        theirs_by_shape: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for method, path in theirs_ops:
            theirs_by_shape.setdefault((method, _path_shape(path)[0]), []).append(path)
        matches = []
        for (method, path), ours in self._operations(self.ours).items():
            self.operation = f"{method.upper()} {path}"
            shape, versions, _ = _path_shape(path)
            candidates = theirs_by_shape.get((method, shape), [])
            # The same version when theirs has it; else the newest version theirs documents.
            same_version = [c for c in candidates if _path_shape(c)[1] == versions]
            chosen = same_version or sorted(candidates, key=lambda c: _path_shape(c)[1])
            theirs_path = chosen[-1] if chosen else None
            operation_id = ours.operation.get("operationId")
            operation_id = str(operation_id) if operation_id else None
            matches.append(OperationMatch(self.operation, operation_id, theirs_path))
            with self.marked(ours.operation) as own:
                if theirs_path is None:
                    message = (
                        f"their document has no {method.upper()} operation at this path (any version): the "
                        "client calls an operation they do not declare"
                    )
                    self.add("operation", "breaking", "operation", (path, None), message, own=own)
                else:
                    self._operation(ours, theirs_ops[method, theirs_path])
        return self.found, matches

    def _operation(self, ours: _Operation, theirs: _Operation) -> None:
        _, versions, names = _path_shape(ours.path)
        _, theirs_versions, theirs_names = _path_shape(theirs.path)
        if versions != theirs_versions:
            ours_version, theirs_version = "/".join(versions), "/".join(theirs_versions)
            message = (
                f"their document has this operation under version {theirs_version}, ours under "
                f"{ours_version}: the client calls the {ours_version} path"
            )
            self.add("version", "tolerated", "path", (ours.path, theirs.path), message)
        for name, theirs_name in zip(names, theirs_names, strict=True):
            if name != theirs_name:
                message = (
                    f"the path parameter is called {theirs_name!r} in theirs (the client fills it by place)"
                )
                where = f"parameter {{{name}}} (path)"
                self.add("parameter-name", "cosmetic", where, (name, theirs_name), message)
        if theirs.operation.get("deprecated") is True and ours.operation.get("deprecated") is not True:
            message = "their document marks the operation deprecated"
            self.add("deprecated", "tolerated", "operation", ("no", "yes"), message)
        for key in ("summary", "description"):
            self._text(key, ours.operation.get(key), theirs.operation.get(key), key)
        self._parameters(ours, theirs)
        self._request_body(ours.operation, theirs.operation)
        self._responses(ours.operation, theirs.operation)
        self._security(ours.operation, theirs.operation)

    def _text(self, kind: str, ours: Any, theirs: Any, location: str) -> None:
        if words(ours) != words(theirs):
            self.add(kind, "cosmetic", location, (words(ours), words(theirs)), f"the {kind} differs")

    def _parameter_map(self, doc: Document, operation: _Operation) -> dict[tuple[str, str], tuple[Any, str]]:
        """(in, key) -> (parameter, display name); a path parameter's key is its place in the path."""
        names = list(_path_shape(operation.path)[2])
        found: dict[tuple[str, str], tuple[Any, str]] = {}
        for source, node in (("path item", operation.item), ("operation", operation.operation)):
            for index, raw in enumerate(as_list(node.get("parameters"))):
                parameter, _ = doc.resolve(raw, f"{self.operation} {source} parameter {index}")
                if not isinstance(parameter, dict) or "name" not in parameter:
                    continue
                where, name = str(parameter.get("in", "query")), str(parameter["name"])
                if where == "path" and name in names:
                    key = str(names.index(name))
                else:
                    key = name.lower() if where == "header" else name
                found[where, key] = (parameter, name)  # the operation's override the path item's
        return found

    def _parameters(self, ours_operation: _Operation, theirs_operation: _Operation) -> None:
        ours = self._parameter_map(self.ours, ours_operation)
        theirs = self._parameter_map(self.theirs, theirs_operation)
        for key in sorted(ours.keys() | theirs.keys()):
            where = key[0]
            ours_parameter, name = ours.get(key, ({}, ""))
            theirs_parameter, theirs_name = theirs.get(key, ({}, ""))
            name = name or theirs_name
            shown = f"{{{name}}}" if where == "path" else name
            location = f"parameter {shown} ({where})"
            self.prefix, self.direction = location, "request"
            ours_required, theirs_required = (
                p.get("required") is True or where == "path" for p in (ours_parameter, theirs_parameter)
            )
            with self.marked(ours_parameter) as own:
                if key not in theirs:
                    message = f"their document no longer declares the {where} parameter {name!r}, which the client sends"
                    self.add("parameter", "breaking", location, (name, None), message, own=own)
                    continue
                if key not in ours:
                    what = "required" if theirs_required else "optional"
                    message = f"their document adds a new {what} {where} parameter {name!r}"
                    if theirs_required:
                        message += ", which the client does not send"
                    effect: Effect = "breaking" if theirs_required else "tolerated"
                    self.add("parameter", effect, location, (None, name), message)
                    continue
                if ours_required != theirs_required:
                    self._required((ours_required, theirs_required), location)
                descriptions = (ours_parameter.get("description"), theirs_parameter.get("description"))
                self._text("description", *descriptions, location)
                schemas = (_parameter_schema(ours_parameter), _parameter_schema(theirs_parameter))
                self._schema(schemas, "")

    def _request_body(self, operation: dict[str, Any], theirs_operation: dict[str, Any]) -> None:
        where = f"{self.operation} requestBody"
        ours, _ = self.ours.resolve(operation.get("requestBody"), where)
        theirs, _ = self.theirs.resolve(theirs_operation.get("requestBody"), where)
        if isinstance(theirs, dict) and not isinstance(ours, dict):
            required = theirs.get("required") is True
            message = f"their document adds {'a required' if required else 'an optional'} request body"
            if required:
                message += ", which the client does not send"
            values = (None, "required" if required else "optional")
            self.add("request-body", "breaking" if required else "tolerated", "request body", values, message)
        elif isinstance(ours, dict) and not isinstance(theirs, dict):
            message = "their document declares no request body, which the client sends"
            with self.marked(ours) as own:
                self.add("request-body", "breaking", "request body", ("declared", None), message, own=own)

    def _responses(self, operation: dict[str, Any], theirs_operation: dict[str, Any]) -> None:
        ours, theirs = (
            {str(code).upper(): node for code, node in as_mapping(op.get("responses")).items()}
            for op in (operation, theirs_operation)
        )
        for code in sorted(ours.keys() | theirs.keys()):
            location = f"response {code.lower() if code == 'DEFAULT' else code}"
            ours_response, _ = self.ours.resolve(ours.get(code), f"{self.operation} {location}")
            success = code[:1] in {"1", "2", "3"}
            effect: Effect = "breaking" if success else "tolerated"
            with self.marked(ours_response) as own:
                if code not in theirs:
                    why = ": the client expects it" if success else " (the client maps every error status)"
                    message = f"their document does not list {location}{why}"
                    self.add("status", effect, location, (code.lower(), None), message, own=own)
                elif code not in ours:
                    why = ": the client takes any success status but its own as unexpected"
                    if not success:
                        why = " (an error status: the client maps it to its exception)"
                    message = f"their document adds {location}{why}"
                    self.add("status", effect, location, (None, code.lower()), message)
                else:
                    theirs_response, _ = self.theirs.resolve(theirs[code], f"{self.operation} {location}")
                    if isinstance(ours_response, dict) and isinstance(theirs_response, dict):
                        self.direction = "response" if code.startswith("2") else "error"
                        self._response(ours_response, theirs_response, location)

    def _response(self, ours: dict[str, Any], theirs: dict[str, Any], location: str) -> None:
        self._text("description", ours.get("description"), theirs.get("description"), location)
        ours_content, theirs_content = (
            {str(k).split(";", 1)[0].strip().lower(): v for k, v in as_mapping(r.get("content")).items()}
            for r in (ours, theirs)
        )
        if ours_content.keys() != theirs_content.keys():
            added = theirs_content.keys() - ours_content.keys()
            json_left = any(_is_json(m) for m in theirs_content) or not ours_content
            fits = self.direction == "error" or (json_left and all(_is_json(m) for m in added))
            listed = [", ".join(sorted(content)) or "none" for content in (ours_content, theirs_content)]
            message = f"their document lists the content types {listed[1]}, ours {listed[0]}"
            if not fits:
                message += ": the client reads only JSON"
            values = (sorted(ours_content), sorted(theirs_content))
            self.add("content-type", "tolerated" if fits else "breaking", location, values, message)
        schemas = (_body_schema(ours_content), _body_schema(theirs_content))
        if schemas[0] is not None and schemas[1] is not None:
            self.prefix = location
            self._schema(schemas, "")
        ours_headers = {str(k).lower(): (str(k), v) for k, v in as_mapping(ours.get("headers")).items()}
        theirs_headers = {str(k).lower(): str(k) for k in as_mapping(theirs.get("headers"))}
        for header in sorted(ours_headers.keys() ^ theirs_headers.keys()):
            if header in theirs_headers:
                name = theirs_headers[header]
                message = f"their document adds the header {name} (the client reads headers tolerantly)"
                self.add("header", "tolerated", f"{location}: header {name}", (None, name), message)
                continue
            name, node = ours_headers[header]
            where = f"{location}: header {name}"
            node, _ = self.ours.resolve(node, f"{self.operation} {where}")
            message = f"their document does not list the header {name} (the client reads headers tolerantly)"
            with self.marked(node) as own:
                self.add("header", "tolerated", where, (name, None), message, own=own)

    def _security(self, operation: dict[str, Any], theirs_operation: dict[str, Any]) -> None:
        ours_ways, ours_alternatives = _security_of(self.ours, operation)
        theirs_ways, theirs_alternatives = _security_of(self.theirs, theirs_operation)
        for way in sorted(ours_ways.keys() - theirs_ways.keys()):
            names = ", ".join(sorted(ours_ways[way]))
            message = f"their document no longer accepts {way} (ours: {names}), which the client sends"
            self.add("security-scheme", "breaking", f"security scheme {names}", (way, None), message)
        for way in sorted(theirs_ways.keys() - ours_ways.keys()):
            names = ", ".join(sorted(theirs_ways[way]))
            message = f"their document adds the security scheme {names}: {way}"
            self.add("security-scheme", "tolerated", f"security scheme {names}", (None, names), message)
        shared = ours_ways.keys() & theirs_ways.keys()
        for way in sorted(shared):
            named = (", ".join(sorted(ours_ways[way])), ", ".join(sorted(theirs_ways[way])))
            if named[0] != named[1]:
                message = f"the security scheme for {way} is named {named[1]} in theirs, {named[0]} in ours"
                self.add("schema-name", "cosmetic", "security", named, message)
            # The OAuth2 flows' URLs, when both sides have some (not an http bearer scheme on one side).
            flows = (_oauth_flows(ours_ways[way]), _oauth_flows(theirs_ways[way]))
            for flow in sorted(flows[0].keys() | flows[1].keys()) if all(flows) else ():
                urls = (flows[0].get(flow), flows[1].get(flow))
                if urls[0] != urls[1]:
                    what = "adds" if urls[0] is None else "no longer lists" if urls[1] is None else "changes"
                    message = (
                        f"their document {what} the OAuth2 flow {flow} (the client only sends the token)"
                    )
                    self.add("security-scheme", "tolerated", f"security flow {flow}", urls, message)
        # The scopes of each alternative whose schemes all send a credential in a way both sides have.
        ours_scopes = list(dict.fromkeys(s for ways, s in ours_alternatives if ways <= shared))
        theirs_scopes = list(dict.fromkeys(s for ways, s in theirs_alternatives if ways <= shared))
        listed = [_scopes_text(s) for s in theirs_scopes]
        added = [s for s in theirs_scopes if s not in ours_scopes]
        for scopes in (s for s in ours_scopes if s not in theirs_scopes):
            message = (
                f"their document no longer accepts {_scopes_text(scopes)}: a token granted it may be refused"
            )
            if added:
                message += f"; theirs lists {' or '.join(listed)}"
            self.add("scope", "breaking", "security", (_scopes_text(scopes), listed), message)
        for scopes in added:
            values = ([_scopes_text(s) for s in ours_scopes], _scopes_text(scopes))
            message = f"their document adds the alternative {_scopes_text(scopes)}"
            self.add("scope", "tolerated", "security", values, message)

    def _schema(
        self, nodes: Pair, field: str, required: tuple[bool, bool] | None = None, stack: Stack = frozenset()
    ) -> None:
        """Compare the schemas ``nodes`` (ours, theirs) at ``field`` of ``self.prefix``; ``required``: whether
        each side requires the field; ``stack``: the schema pairs being compared further up."""
        prefix = self.prefix
        where = f"{self.operation} {prefix} {field}".strip()
        if len(stack) >= MAX_SCHEMA_DEPTH:
            raise SpecDocumentError(
                f"{self.theirs.name}: schemas nested more than {MAX_SCHEMA_DEPTH} levels deep ($refs followed) "
                f"under {self.operation} {prefix}"
            )
        ours = schema_view(self.ours, nodes[0], where, self.budget)
        theirs = schema_view(self.theirs, nodes[1], where, self.budget)
        if (ours.key, theirs.key) in stack:  # a schema that contains itself, compared further up
            return
        stack |= {(ours.key, theirs.key)}
        location = f"{prefix}: {field}" if field else prefix
        with self.marked(ours):
            if ours.name is not None and ours.name != theirs.name:
                message = f"the schema is named {theirs.name or '(inline)'} in theirs, {ours.name} in ours"
                self.add("schema-name", "cosmetic", location, (ours.name, theirs.name), message)
            if required is not None and required[0] != required[1]:
                self._required(required, location)
            self._types(ours.types, theirs.types, location)
            if ours.nullable != theirs.nullable:
                nullable = (ours.nullable, theirs.nullable)
                self._nullable(nullable, location, required is None or required[0])
            self._format(ours.format, theirs.format, location)
            self._enum(ours.enum, theirs.enum, location)
            if ours.default != theirs.default:
                defaults = [None if d is NO_DEFAULT else d for d in (ours.default, theirs.default)]
                message = (
                    f"the default is {_shown(defaults[1])} in theirs, {_shown(defaults[0])} in ours (the "
                    "generated client always sends the spec's default)"
                )
                self.add("default", "tolerated", location, (defaults[0], defaults[1]), message)
            self._constraints(ours.constraints, theirs.constraints, location)
            self._text("description", ours.description, theirs.description, location)
            if all(t is None or "object" in t for t in (ours.types, theirs.types)):
                self._properties(ours, theirs, field, stack)
                if isinstance(ours.additional, dict) and isinstance(theirs.additional, dict):
                    self._schema((ours.additional, theirs.additional), f"{field}{{}}", stack=stack)
            arrays = all(t is not None and "array" in t for t in (ours.types, theirs.types))
            if arrays and ours.items is not None and theirs.items is not None:
                self._schema((ours.items, theirs.items), f"{field}[]", stack=stack)

    def _fit(self, fits: bool) -> Effect:
        """The effect of a difference in what a value may be: breaking when the sender's values may not fit
        the reader's; else tolerated in what the client sends, informational (keep ours) in what they send."""
        if not fits:
            return "breaking"
        return "tolerated" if self.direction == "request" else "informational"

    def _required(self, required: tuple[bool, bool], location: str) -> None:
        """Ours requires a field (or parameter) and theirs not (``required``: ours, theirs), or the reverse."""
        key = self.direction if self.direction == "request" or required[0] else "theirs"
        effect, message = _REQUIRED[key, required[0]]
        self.add("required", effect, location, required, message)

    def _types(self, ours: frozenset[str] | None, theirs: frozenset[str] | None, where: str) -> None:
        if ours == theirs:
            return
        sends = self.direction != "request"
        effect = self._fit(_types_within(theirs, ours) if sends else _types_within(ours, theirs))
        why = {
            "informational": _KEEP_OURS,
            "tolerated": "what the client sends still fits",
            "breaking": f"what {'they send' if sends else 'the client sends'} may not fit",
        }[effect]
        types = (_types_text(ours), _types_text(theirs))
        self.add("type", effect, where, types, f"type {types[1]} in theirs, {types[0]} in ours: {why}")

    def _nullable(self, nullable: tuple[bool, bool], where: str, required: bool) -> None:
        """``required``: ours requires the field."""
        effect: Effect = "tolerated"
        direction = self.direction
        if nullable[1] and required and direction == "response":
            effect = "breaking"
            message = "theirs allows null, ours does not, and ours requires the field: null fails the client"
        elif nullable[1]:
            message = "theirs allows null, ours does not"
            if direction != "request":
                message += " (the client takes null in an optional field as absent)"
        elif direction != "request":
            effect, message = "informational", f"ours allows null, theirs does not: {_KEEP_OURS}"
        else:
            message = "ours allows null, theirs does not"
        self.add("nullable", effect, where, nullable, message)

    def _format(self, ours: str | None, theirs: str | None, where: str) -> None:
        if ours == theirs:
            return
        request = self.direction == "request"
        effect = self._fit(_format_within(ours, theirs) if request else _format_within(theirs, ours))
        why = {
            "tolerated": "what the client sends still fits",
            "informational": f"{_KEEP_OURS[:-1]}; narrowed, it would refuse real values beyond theirs)",
            "breaking": "the client may send values they refuse"
            if request
            else "they may send values the client's validation refuses",
        }[effect]
        message = f"format {theirs or '(none)'} in theirs, {ours or '(none)'} in ours: {why}"
        self.add("format", effect, where, (ours, theirs), message)

    def _enum(self, ours: tuple[Any, ...] | None, theirs: tuple[Any, ...] | None, where: str) -> None:
        request = self.direction == "request"
        if ours is None and theirs is not None:
            message = f"an enum in theirs ({_shown_values(theirs)}), any value in ours"
            if not request:
                message += f": {_KEEP_OURS}"
            self.add("enum", "breaking" if request else "informational", where, (None, list(theirs)), message)
        elif ours is not None and theirs is None:
            self.add("enum", "tolerated", where, (list(ours), None), "any value in theirs, an enum in ours")
        elif ours is not None and theirs is not None:
            self.budget.spend(len(ours) + len(theirs), where)
            ours_keys, theirs_keys = {_canonical(v) for v in ours}, {_canonical(v) for v in theirs}
            for value in (v for v in theirs if _canonical(v) not in ours_keys):
                why = "" if request else " (the client keeps an unknown value, is_known False)"
                message = f"their enum adds {_shown_values([value])}{why}"
                self.add("enum", "tolerated", where, (None, value), message)
            for value in (v for v in ours if _canonical(v) not in theirs_keys):
                why = ": the client may send it" if request else f": {_KEEP_OURS}"
                message = f"their enum no longer has {_shown_values([value])}{why}"
                self.add("enum", "breaking" if request else "informational", where, (value, None), message)

    def _constraints(self, ours: dict[str, Any], theirs: dict[str, Any], where: str) -> None:
        for key in sorted(ours.keys() | theirs.keys()):
            values = (ours.get(key), theirs.get(key))
            if values[0] != values[1]:
                stricter = _stricter(key, values[1], values[0])  # None: not comparable, so it may not fit
                request = self.direction == "request"
                effect = self._fit(stricter is not None and stricter != request)
                message = f"{key} is {_shown(values[1])} in theirs, {_shown(values[0])} in ours"
                if effect == "informational":
                    message += f": {_KEEP_OURS}"
                self.add(key, effect, where, values, message)

    def _properties(self, ours: SchemaView, theirs: SchemaView, field: str, stack: Stack) -> None:
        prefix = self.prefix
        names = sorted(ours.properties.keys() | theirs.properties.keys())
        self.budget.spend(len(names), f"{self.operation} {prefix} {field}")
        for name in names:
            child = f"{field}.{name}" if field else name
            location = f"{prefix}: {child}"
            if name in ours.properties and name in theirs.properties:
                nodes = (ours.properties[name], theirs.properties[name])
                both = (name in ours.required, name in theirs.required)
                self._schema(nodes, child, required=both, stack=stack)
            elif name in ours.properties:
                node, _ = self.ours.resolve(ours.properties[name], f"{self.operation} {location}")
                required = "required" if name in ours.required else "optional"
                message = f"their document no longer has the {required} field {child}"
                effect: Effect = "tolerated"
                if required == "required" and self.direction == "response":
                    effect = "breaking"
                    message += ": an answer without it fails the client's validation"
                with self.marked(node) as own:
                    self.add("field", effect, location, (required, None), message, own=own)
            else:
                required = "required" if name in theirs.required else "optional"
                closed = ours.additional is False and self.direction != "request"
                why = ": ours forbids other fields" if closed else " (the client keeps unknown fields)"
                message = f"their document adds the {required} field {child}{why}"
                self.add("field", "breaking" if closed else "tolerated", location, (None, required), message)


def _security_of(
    doc: Document, operation: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], list[tuple[frozenset[str], frozenset[str]]]]:
    """The operation's effective security requirement: each way of sending a credential it uses -> {scheme
    name: scheme object}, and each alternative's (ways, scopes)."""
    schemes = as_mapping(as_mapping(doc.root.get("components")).get("securitySchemes"))
    ways: dict[str, dict[str, Any]] = {}
    alternatives = []
    requirements = as_list(operation["security"] if "security" in operation else doc.root.get("security"))
    for requirement in (r for r in requirements if isinstance(r, dict)):
        used = set()
        for name in map(str, requirement):
            scheme, _ = doc.resolve(schemes.get(name), f"securitySchemes {name}")
            way = _way(name, scheme)
            used.add(way)
            ways.setdefault(way, {})[name] = as_mapping(scheme)
        scopes = frozenset(str(s) for scopes in requirement.values() for s in as_list(scopes))
        alternatives.append((frozenset(used), scopes))
    return ways, alternatives


def _way(name: str, scheme: Any) -> str:
    """How a credential of the scheme ``name`` (``scheme``, resolved) is sent."""
    if not isinstance(scheme, dict):
        return f"the undeclared scheme {name}"
    kind, http = str(scheme.get("type", "")).lower(), str(scheme.get("scheme", "")).lower()
    if kind in {"oauth2", "openidconnect"} or (kind == "http" and http == "bearer"):
        return "a bearer token"
    if kind == "http":
        return f"HTTP {http or '(no scheme)'} credentials"
    if kind == "apikey":
        return f"an API key in {scheme.get('in')} {scheme.get('name')}"
    return f"{kind or 'untyped'} credentials"


def _oauth_flows(schemes: dict[str, Any]) -> dict[str, dict[str, str]]:
    """flow name -> its URLs, over the OAuth2 schemes among ``schemes``."""
    flows: dict[str, dict[str, str]] = {}
    for scheme in schemes.values():
        if str(scheme.get("type", "")).lower() == "oauth2":
            for name, flow in as_mapping(scheme.get("flows")).items():
                urls = as_mapping(flow)
                keys = ("authorizationUrl", "tokenUrl", "refreshUrl")
                flows[str(name)] = {key: str(urls[key]) for key in keys if key in urls}
    return flows


def _parameter_schema(parameter: dict[str, Any]) -> Any:
    if "schema" in parameter:
        return parameter["schema"]
    media = next((m for m in as_mapping(parameter.get("content")).values() if isinstance(m, dict)), {})
    return media.get("schema", {})


def _body_schema(content: dict[str, Any]) -> Any:
    """The schema of the JSON content, else of ``*/*``, else of the first content type listed."""
    for media in sorted(content, key=lambda m: (not _is_json(m), m != "*/*", m)):
        if isinstance(content[media], dict) and "schema" in content[media]:
            return content[media]["schema"]
    return None


def compare(ours: Document, theirs: Document) -> tuple[list[Difference], list[OperationMatch]]:
    """Every difference of ``theirs`` from ``ours`` on the operations ours has, and how each matched."""
    return _Comparer(ours, theirs).run()
