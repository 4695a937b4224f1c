"""Load the project's spec and turn its component schemas into standalone JSON Schemas."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = next(iter(sorted((ROOT / "spec").glob("*.yaml"))))


@functools.cache
def load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as f:
        spec: dict[str, Any] = yaml.safe_load(f)
    return spec


def component_schema(name: str) -> dict[str, Any]:
    """A JSON Schema for ``#/components/schemas/<name>`` whose ``$ref``s resolve inside it."""
    spec = load_spec()
    return {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}


def operations() -> dict[str, tuple[str, dict[str, Any]]]:
    """operationId -> (path, operation object)."""
    found = {}
    for path, item in load_spec()["paths"].items():
        for method, op in item.items():
            if method == "get":
                found[op["operationId"]] = (path, op)
    return found
