"""The OpenAPI document as the harness reads it (operations, paths, enums, query parameters): the copy the
generated client carries, shared by the fake server and the conformance suite. Paths are found by
``operationId``, never from an API version. Needs PyYAML (the ``harness`` extra)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from hubspot_commprefs.schemas import Compiled

import yaml

from hubspot_commprefs._refs import References
from hubspot_commprefs.schemas import STRICT, SpecSchemas


class SpecError(Exception):
    """The spec lacks something the harness needs (an operation, a path parameter)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One GET operation of the spec: its path template and a matcher for concrete raw paths."""

    operation_id: str
    path_template: str
    pattern: re.Pattern[str]

    def match(self, raw_path: str) -> dict[str, str] | None:
        """The (still percent-encoded) path parameters when ``raw_path`` is this endpoint's, else None."""
        found = self.pattern.fullmatch(raw_path)
        return None if found is None else found.groupdict()


class SpecEndpoints(NamedTuple):
    statuses: Endpoint
    unsubscribe_all: Endpoint


@functools.cache
def load_spec() -> dict[str, Any]:
    """The spec as a dict, read once from the installed generated package."""
    spec = yaml.safe_load((files("hubspot_commprefs_client") / "openapi.yaml").read_text(encoding="utf-8"))
    if not isinstance(spec, dict):
        raise SpecError("hubspot_commprefs_client/openapi.yaml is not an OpenAPI document")
    return spec


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{([^}]+)\}", template)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)" for index, part in enumerate(parts)
    )
    return re.compile(regex)


def endpoints(spec: dict[str, Any] | None = None) -> SpecEndpoints:
    """Both endpoints of ``spec`` (default: the installed one), found by their ``operationId``."""
    spec = load_spec() if spec is None else spec
    found: dict[str, str] = {}
    for path, item in spec.get("paths", {}).items():
        operation = item.get("get") if isinstance(item, dict) else None
        if isinstance(operation, dict) and "operationId" in operation:
            found[operation["operationId"]] = path

    def endpoint(operation_id: str) -> Endpoint:
        if operation_id not in found:
            raise SpecError(f"the spec has no GET operation with operationId {operation_id!r}")
        return Endpoint(operation_id, found[operation_id], _compile(found[operation_id]))

    return SpecEndpoints(endpoint("getStatuses"), endpoint("getUnsubscribeAllStatus"))


def enum_values(schema_name: str) -> tuple[str, ...]:
    """The values of the enum ``#/components/schemas/<schema_name>`` of the installed spec."""
    try:
        values = load_spec()["components"]["schemas"][schema_name]["enum"]
    except KeyError:
        raise SpecError(f"the spec has no enum schema {schema_name!r}") from None
    return tuple(str(value) for value in values)


@dataclass(frozen=True, slots=True)
class QueryParameter:
    """A query parameter of the spec's GET operations: its schema, compiled as every answer's is."""

    name: str
    schema: dict[str, Any]
    """The parameter's schema, ``$ref`` resolved."""
    compiled: Compiled

    @property
    def enum(self) -> tuple[str, ...]:
        return tuple(str(v) for v in self.schema.get("enum", ()))

    @property
    def format(self) -> str | None:
        fmt = self.schema.get("format")
        return fmt if isinstance(fmt, str) else None


@functools.cache
def query_parameters() -> dict[str, QueryParameter]:
    """The query parameters of the installed spec's GET operations, by name."""
    spec = load_spec()
    refs = References(spec)
    schemas = SpecSchemas(spec.get("components", {}).get("schemas", {}))
    found: dict[str, QueryParameter] = {}
    for item in spec.get("paths", {}).values():
        operation = item.get("get") if isinstance(item, dict) else None
        for declared in (operation or {}).get("parameters", ()):
            parameter, _ = refs.resolve(declared, "a parameter")
            if parameter.get("in") == "query" and parameter["name"] not in found:
                schema = parameter.get("schema", {})
                found[parameter["name"]] = QueryParameter(
                    parameter["name"],
                    refs.resolve(schema, parameter["name"])[0],
                    schemas.compiled(schema, STRICT),
                )
    return found
