"""A subscriber id: the one rule for what may be looked up (single lookups, the CLI, ``bulk``,
``lookup_many`` and the conformance suite, with the same messages), and the check that a request's path is
the one the generated endpoint built. An id is the contact's email address, stripped of surrounding
whitespace. The email rule also keeps the path safe: the generated endpoints leave ``.`` unencoded and httpx
removes dot segments, but an id holding ``@`` is never ``.``/``..`` nor decodes to one (``%2e%2e``).
"""

from __future__ import annotations

import unicodedata

from hubspot_commprefs._errors import InvalidSubscriberIdError

MAX_ID_LENGTH = 1000
"""The longest id looked up (an email address has at most 254 characters)."""


def _is_surrogate(ch: str) -> bool:
    return "\ud800" <= ch <= "\udfff"


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch).startswith("C")


# Characters an id may not hold, each with the problem it names (the first that matches is reported).
_BAD_CHARACTERS = (
    (_is_surrogate, "the subscriber id is not valid Unicode text (it holds a lone surrogate)"),
    (str.isspace, "the subscriber id contains whitespace"),
    (_is_control, "the subscriber id contains a control character"),
)


def id_problem(subscriber: str) -> str | None:
    """Why ``subscriber`` (already stripped) cannot be an email address HubSpot knows, or None."""
    if not subscriber:
        return "empty subscriber id"
    if subscriber in {".", ".."}:  # the email rule refuses it too; this says what it would do
        return f"subscriber id {subscriber!r} would change which URL is requested"
    if len(subscriber) > MAX_ID_LENGTH:
        return f"the subscriber id is longer than {MAX_ID_LENGTH} characters ({len(subscriber)})"
    # Printable ASCII without a space holds none of the bad characters: most ids, checked in C at once.
    if not (subscriber.isascii() and subscriber.isprintable() and " " not in subscriber):
        for bad, problem in _BAD_CHARACTERS:
            if any(bad(ch) for ch in subscriber):
                return problem
    local, at, domain = subscriber.rpartition("@")
    if not at or not local or not domain:
        return "not an email address (HubSpot identifies subscribers by email)"
    return None


def normalise_subscriber_id(subscriber_id: object) -> str:
    """The id to send: ``subscriber_id`` stripped and checked; ``TypeError`` for a value that is not a str,
    ``InvalidSubscriberIdError`` (a ``ValueError``) naming the problem otherwise."""
    if not isinstance(subscriber_id, str):
        raise TypeError(f"subscriber id must be a str, not {type(subscriber_id).__name__}")
    subscriber = subscriber_id.strip()
    problem = id_problem(subscriber)
    if problem is not None:
        raise InvalidSubscriberIdError(problem, subscriber_id=subscriber_id)
    return subscriber


def check_request_path(raw_path: bytes, expected_suffix: str) -> None:
    """Refuse to send a request whose path is not the one the generated endpoint built."""
    path = raw_path.split(b"?", 1)[0]
    if not path.endswith(expected_suffix.encode("ascii")):
        raise ValueError(
            f"refusing to send: the request path {path.decode('ascii', 'replace')!r} is not the "
            f"documented path {expected_suffix!r}"
        )
