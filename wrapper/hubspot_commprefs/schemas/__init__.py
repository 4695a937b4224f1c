"""The one reading of the spec's schemas, for the client, the fake server and the conformance suite
(``_compiled``: the schemas compiled, formats and ranges; ``_validation``: a 200 body checked, a key held
twice found, and its model built). Core dependencies only: no YAML."""

from hubspot_commprefs.schemas._compiled import (
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
    is_date_time,
    json_type,
    types_of,
    value_at,
)
from hubspot_commprefs.schemas._validation import BodyMismatch, build, check, duplicate_key, field_path

__all__ = [
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
    "check",
    "duplicate_key",
    "field_path",
    "is_date_time",
    "json_type",
    "types_of",
    "value_at",
]
