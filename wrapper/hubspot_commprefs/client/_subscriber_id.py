"""The one rule for a subscriber id, applied alike by single lookups (Python and the CLI), ``bulk`` and
``lookup_many``, with the same messages.

A subscriber id is the contact's email address (the API's ``subscriberIdString``). Surrounding whitespace
is removed first (a space copied along with an address is not part of it). The id is then refused with
``InvalidSubscriberIdError`` when it is empty; would change which URL is requested (``.``, ``..`` or a
percent-encoded form of them: see ``_paths``); is longer than ``MAX_ID_LENGTH``; holds a lone surrogate,
whitespace, or a control or format character; or is not of the form ``local@domain``.
"""

from __future__ import annotations

import unicodedata

from hubspot_commprefs._errors import InvalidSubscriberIdError
from hubspot_commprefs.client._paths import check_subscriber_id

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
    """The id to send: ``subscriber_id`` without surrounding whitespace, checked by the rule above.

    Raises ``TypeError`` for a value that is not a str and ``InvalidSubscriberIdError`` (a ``ValueError``)
    naming the problem otherwise.
    """
    if not isinstance(subscriber_id, str):
        raise TypeError(f"subscriber id must be a str, not {type(subscriber_id).__name__}")
    subscriber = subscriber_id.strip()
    if not subscriber:
        raise InvalidSubscriberIdError("empty subscriber id", subscriber_id=subscriber_id)
    try:
        check_subscriber_id(subscriber)
    except ValueError as unsafe:
        raise InvalidSubscriberIdError(str(unsafe), subscriber_id=subscriber_id) from None
    problem = id_problem(subscriber)
    if problem is not None:
        raise InvalidSubscriberIdError(problem, subscriber_id=subscriber_id)
    return subscriber
