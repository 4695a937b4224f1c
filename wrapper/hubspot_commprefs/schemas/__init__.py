"""The one reading of the spec's schemas: what an answer may hold, for the client, the fake server and the
conformance suite alike (``_compiled``: the schemas compiled once, the integer ranges and the date-time
rule; ``_validation``: a body checked against them and the generated model built from it).

Needs only the core dependencies (no YAML): the OpenAPI document itself is read by
``hubspot_commprefs.openapi``, for the harness.
"""

from hubspot_commprefs.schemas._compiled import (
    CLIENT,
    CLOSED,
    DATE_TIME_EXAMPLE,
    INT32_MAX,
    INT64_MAX,
    INT64_MIN,
    INT_RANGES,
    STRICT,
    Compiled,
    Problem,
    ProblemKind,
    SpecSchemas,
    api_version,
    bundled,
    is_date_time,
    json_type,
    types_of,
    value_at,
)
from hubspot_commprefs.schemas._duplicates import duplicate_key
from hubspot_commprefs.schemas._validation import BodyMismatch, build, check, field_path

__all__ = [
    "CLIENT",
    "CLOSED",
    "DATE_TIME_EXAMPLE",
    "INT32_MAX",
    "INT64_MAX",
    "INT64_MIN",
    "INT_RANGES",
    "STRICT",
    "BodyMismatch",
    "Compiled",
    "Problem",
    "ProblemKind",
    "SpecSchemas",
    "api_version",
    "build",
    "bundled",
    "check",
    "duplicate_key",
    "field_path",
    "is_date_time",
    "json_type",
    "types_of",
    "value_at",
]
