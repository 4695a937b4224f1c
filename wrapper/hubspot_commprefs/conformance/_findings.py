"""What the conformance suite reports: one finding per thing an answer got wrong (or merely added)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

TOKEN_PLACEHOLDER = "$HUBSPOT_ACCESS_TOKEN"  # noqa: S105 - shell text that reads the variable, not a token
"""What a reproduce command sends as the token: the shell reads it from the environment when the command
runs, so the report never holds the token and the command still works."""
ERROR_STATUS = 400  # from here on an answer is an error, its body the spec's Error


class Severity(enum.StrEnum):
    FAILURE = "failure"
    NOTE = "note"


class Kind(enum.StrEnum):
    """What went wrong; the value is how the report names it."""

    SERVER_ERROR = "server error"
    UNDOCUMENTED_STATUS = "undocumented status"
    CONTENT_TYPE = "wrong content type"
    NOT_JSON = "body is not JSON"
    ENUM_VALUE = "enum value the spec lacks"
    MISSING_FIELD = "missing required field"
    WRONG_TYPE = "wrong type"
    WRONG_FORMAT = "wrong format"
    INTEGER_RANGE = "integer outside its format"
    SCHEMA = "does not match the schema"
    DUPLICATE_KEY = "key held twice in one object"
    UNEXPECTED_STATUS = "unexpected status"
    SCHEMATHESIS = "schemathesis check failed"
    TRANSPORT = "no answer"
    # Notes: reported, never a failure.
    EXTRA_FIELD = "field the spec does not list"
    ERROR_FIELD_ABSENT = "error body lacks a documented field"


NOTE_KINDS = frozenset({Kind.EXTRA_FIELD, Kind.ERROR_FIELD_ABSENT})


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request the suite sent and what came back (``status`` 0 when nothing did)."""

    endpoint: str  # the spec's path template, e.g. /communication-preferences/<version>/statuses/{subscriberIdString}
    method: str
    url: str
    status: int
    content_type: str | None
    body: bytes
    source: str  # examples, coverage, fuzzing, targeted
    authorized: bool = True  # whether the request carried the token


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Kind
    endpoint: str
    field: str  # JSON path in the body, e.g. results[0].channel; "" for the whole answer
    expected: str  # what the spec says
    actual: str  # what came back
    exchange: Exchange

    @property
    def severity(self) -> Severity:
        return Severity.NOTE if self.kind in NOTE_KINDS else Severity.FAILURE

    @property
    def field_pattern(self) -> str:
        """The field with array indexes generalised (``results[*].channel``), to group findings."""
        return re.sub(r"\[\d+\]", "[*]", self.field)

    @property
    def in_error_body(self) -> bool:
        """Whether the field is one of an error answer's body (4xx, 5xx), not of a success's."""
        return bool(self.field) and self.exchange.status >= ERROR_STATUS

    @property
    def subject(self) -> str:
        """What the finding is about: its field (generalised), or for a finding about the whole answer what
        the spec says (so that two schemathesis checks, or two targeted cases, stay two findings)."""
        return self.field_pattern or self.expected

    @property
    def what(self) -> tuple[str, str, bool]:
        """What went wrong, wherever: the kind, the subject and whether it is in an error body."""
        return (self.kind.value, self.subject, self.in_error_body)

    @property
    def group_key(self) -> tuple[str, str, str, bool]:
        return (self.endpoint, *self.what)
