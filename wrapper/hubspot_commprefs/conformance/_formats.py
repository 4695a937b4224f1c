"""Formats JSON Schema lets through unless asked: RFC 3339 date-times, uuids, and int32/int64 ranges."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from jsonschema import FormatChecker

if TYPE_CHECKING:
    from collections.abc import Callable

INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# RFC 3339 section 5.6: full-date "T" full-time, with a Z or a numeric offset; t and z may be lowercase.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type check reports it
    if not _DATE_TIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper())
    except ValueError:
        return False
    return True


def is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _in_range(name: str) -> Callable[[object], bool]:
    low, high = INT_RANGES[name]

    def check(value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            return True
        return low <= value <= high

    return check


def format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_date_time)
    checker.checks("uuid")(is_uuid)
    for name in INT_RANGES:
        checker.checks(name)(_in_range(name))
    return checker


def describe_format(name: str) -> str:
    """What the spec means by a format, in words for the report."""
    if name in INT_RANGES:
        low, high = INT_RANGES[name]
        return f"integer, format {name} ({low} to {high})"
    if name == "date-time":
        return "string, format date-time (RFC 3339, e.g. 2026-03-18T09:14:02Z)"
    return f"string, format {name}"
