"""OpenAPI documents for the spec-diff tests, written by this project from the bundled spec.

HubSpot's own definition files are not licensed for redistribution, so the tests never use them: they
build a document shaped like HubSpot's (OpenAPI 3.0.1 JSON, other schema names, OAuth2 scopes, other
operations beside ours, refs inlined or renamed) by transforming the bundled spec, then make targeted
edits. The documents follow the spec: when it changes, so do they, and no version is spelled here (each
is computed from the spec's ``info.version``).
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from tests.spec_helpers import load_spec, operations

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

SCHEMAS = "#/components/schemas/"
# HubSpot-style names for ours (its published definitions use names like these).
HUBSPOT_NAMES = {
    "ActionResponseWithResultsPublicStatus": "CollectionResponsePublicStatus",
    "ActionResponseWithResultsPublicWideStatus": "ActionResponseWithResultsPublicWideStatus",
    "PublicStatus": "PublicStatusV4",
    "PublicWideStatus": "PublicWideStatusV4",
    "StandardError": "StandardError",
    "ErrorDetail": "ErrorDetail",
    "Error": "Error",
}
STATUSES = operations()["getStatuses"][0]
UNSUBSCRIBE_ALL = operations()["getUnsubscribeAllStatus"][0]
VERSION = str(load_spec()["info"]["version"])
RENAMED_SCOPES = ["communication_preferences.statuses.read", "communication_preferences.statuses.read_write"]
MARKER = "x-deliberate-difference"
# The scheme HubSpot's newer definitions add for private apps: an API key in a header of its own.
PRIVATE_APPS = {"type": "apiKey", "in": "header", "name": "private-app"}


def another_version(version: str = VERSION, months: int = 6) -> str:
    """The date version ``months`` after ``version`` (``YYYY-MM``), as HubSpot names its next one."""
    year, month = (int(part) for part in version.split("-")[:2])
    year, month = divmod(year * 12 + month - 1 + months, 12)
    return f"{year:04d}-{month + 1:02d}"


def at_version(doc: dict[str, Any], version: str) -> dict[str, Any]:
    """``doc`` with its paths under ``version`` (a date or ``v4``) instead of the spec's."""
    doc["paths"] = {path.replace(f"/{VERSION}/", f"/{version}/"): item for path, item in doc["paths"].items()}
    doc["info"]["version"] = version
    return doc


def ours() -> dict[str, Any]:
    """A fresh copy of the bundled spec (OpenAPI 3.1), to edit or mark."""
    return copy.deepcopy(load_spec())


def _walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _inline(node: Any, root: dict[str, Any]) -> Any:
    """``node`` with every ``$ref`` replaced by a copy of its target (the spec has no recursive schema)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            return _inline(target, root)
        return {key: _inline(value, root) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, root) for value in node]
    return node


def _to_30(node: dict[str, Any]) -> None:
    """One schema's 3.1 spellings in 3.0's: a type array with null becomes ``nullable``; ``examples``
    becomes ``example``."""
    types = node.get("type")
    if isinstance(types, list):
        others = [t for t in types if t != "null"]
        node["type"] = others[0]
        if "null" in types:
            node["nullable"] = True
    if isinstance(node.get("examples"), list) and "type" in node:
        node["example"] = node.pop("examples")[0]


def hubspot_shaped(
    spec: dict[str, Any] | None = None,
    *,
    inline: bool = False,
    names: dict[str, str] | None = None,
    other_operations: bool = True,
) -> dict[str, Any]:
    """``spec`` (default: ours) as HubSpot publishes its definitions: OpenAPI 3.0.1, schemas renamed (or
    every reference inlined), an OAuth2 scheme holding the scopes, and other operations beside ours."""
    doc = copy.deepcopy(spec if spec is not None else load_spec())
    doc["openapi"] = "3.0.1"
    doc["info"].pop("summary", None)
    doc["info"]["license"].pop("identifier", None)
    renamed = names if names is not None else HUBSPOT_NAMES
    schemas = doc["components"]["schemas"]
    doc["components"]["schemas"] = {renamed.get(name, name): schema for name, schema in schemas.items()}

    def rename(node: dict[str, Any]) -> None:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMAS):
            node["$ref"] = SCHEMAS + renamed.get(ref[len(SCHEMAS) :], ref[len(SCHEMAS) :])

    _walk(doc, rename)
    _walk(doc, lambda node: node.pop(MARKER, None))  # their documents carry no marker of ours
    if inline:
        components = doc["components"]
        doc["paths"] = _inline(doc["paths"], doc)
        doc["components"] = {"securitySchemes": components["securitySchemes"]}
    _walk(doc, _to_30)
    scopes = {s for requirement in doc["security"] for s in requirement["bearerAuth"]}
    doc["components"]["securitySchemes"] = {
        "oauth2": {
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "https://app.hubspot.com/oauth/authorize",
                    "tokenUrl": "https://api.hubapi.com/oauth/v1/token",
                    "scopes": {scope: scope for scope in sorted(scopes)},
                }
            },
        }
    }
    doc["security"] = [{"oauth2": requirement["bearerAuth"]} for requirement in doc["security"]]
    if other_operations:
        _add_other_operations(doc)
    return doc


def _add_other_operations(doc: dict[str, Any]) -> None:
    """Operations HubSpot documents beside ours (a write endpoint at our path, another resource)."""
    definition = {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "isActive": {"type": "boolean"}},
    }
    doc.setdefault("components", {}).setdefault("schemas", {})["SubscriptionDefinition"] = definition
    answer = {
        "200": {
            "description": "successful operation",
            "content": {"application/json": {"schema": {"$ref": f"{SCHEMAS}SubscriptionDefinition"}}},
        }
    }
    version = doc["info"]["version"]
    doc["paths"][f"/communication-preferences/{version}/definitions"] = {
        "get": {"operationId": "getDefinitions", "responses": answer}
    }
    statuses = next(p for p in doc["paths"] if p.endswith("{subscriberIdString}"))
    doc["paths"][statuses]["post"] = {
        "operationId": "postStatuses",
        "parameters": [
            {"name": "subscriberIdString", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": definition}}},
        "responses": answer,
    }


def hubspot_published() -> dict[str, Any]:
    """The spec's version as HubSpot publishes it (the facts our markers stand for, written here without
    reading them): only ``200`` and ``default`` per operation, no response header, the ``default`` body
    as ``*/*``, and an Error without ``status``."""
    doc = hubspot_shaped()
    for item in doc["paths"].values():
        operation = item.get("get")
        if operation is not None and "responses" in operation:
            responses = operation["responses"]
            operation["responses"] = {
                code: responses[code] for code in ("200", "default") if code in responses
            }
            responses["200"].pop("headers", None)
    components = doc["components"]
    components.pop("headers")
    error = components["responses"]["Error"]
    error.pop("headers")
    error["content"] = {"*/*": {"schema": error["content"]["application/json"]["schema"]}}
    components["responses"] = {"Error": error}
    del components["schemas"]["RateLimitExceeded"]
    del schema(doc, "Error")["properties"]["status"]
    return doc


def drifted_hubspot_document() -> dict[str, Any]:
    """HubSpot-shaped, with subscriptionId as int32, renamed scopes and an added enum value."""
    theirs = hubspot_shaped()
    schema(theirs, "PublicStatusV4")["properties"]["subscriptionId"]["format"] = "int32"
    theirs["security"] = [{"oauth2": [scope]} for scope in RENAMED_SCOPES]
    schema(theirs, "SubscriptionStatus")["enum"].append("OPTED_OUT")
    return theirs


def write_json(doc: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """A component schema of ``doc`` under its (possibly renamed) name."""
    found: dict[str, Any] = doc["components"]["schemas"][name]
    return found
