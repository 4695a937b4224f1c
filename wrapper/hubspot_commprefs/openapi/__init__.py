"""The OpenAPI document as the harness reads it (its operations, paths, enums and query parameters),
shared by the fake server (``hubspot_commprefs.testing``) and the conformance suite, so that neither
imports the other's modules. Needs PyYAML (the ``harness`` extra)."""

from hubspot_commprefs.openapi._document import (
    Endpoint,
    QueryParameter,
    SpecEndpoints,
    SpecError,
    endpoints,
    enum_values,
    load_spec,
    query_parameters,
)

__all__ = [
    "Endpoint",
    "QueryParameter",
    "SpecEndpoints",
    "SpecError",
    "endpoints",
    "enum_values",
    "load_spec",
    "query_parameters",
]
