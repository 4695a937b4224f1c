"""Path safety: a subscriber id becomes exactly one percent-encoded path segment, or is refused.

The generated endpoints encode the id with ``quote(safe="")``, which leaves ``.`` alone, and httpx then
removes dot segments: ``..`` would silently request another URL. Ids that are (or decode to) an empty
string, ``.`` or ``..`` are refused here, before any request; and the built request's path is checked to
end with exactly the path the generated code asked for, so nothing can rewrite it unnoticed.
"""

from __future__ import annotations

from urllib.parse import unquote

_DOT_SEGMENTS = frozenset({"", ".", ".."})
_MAX_UNQUOTE_ROUNDS = 8


def check_subscriber_id(subscriber_id: object) -> str:
    """Return ``subscriber_id`` if it is safe to put in a path; raise TypeError or ValueError if not."""
    if not isinstance(subscriber_id, str):
        raise TypeError(f"subscriber id must be a str, not {type(subscriber_id).__name__}")
    if subscriber_id in _DOT_SEGMENTS:
        raise ValueError(f"subscriber id {subscriber_id!r} would change which URL is requested")
    try:
        subscriber_id.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("subscriber id is not valid Unicode text (it holds a lone surrogate)") from None
    if "%" in subscriber_id:
        decoded = subscriber_id
        for _ in range(_MAX_UNQUOTE_ROUNDS):
            previous, decoded = decoded, unquote(decoded)
            if decoded in _DOT_SEGMENTS:
                raise ValueError(
                    f"subscriber id {subscriber_id!r} decodes to {decoded!r}, which would change which "
                    "URL is requested"
                )
            if decoded == previous:
                break
    return subscriber_id


def check_request_path(raw_path: bytes, expected_suffix: str) -> None:
    """Refuse to send a request whose path is not the one the generated endpoint built."""
    path = raw_path.split(b"?", 1)[0]
    if not path.endswith(expected_suffix.encode("ascii")):
        raise ValueError(
            f"refusing to send: the request path {path.decode('ascii', 'replace')!r} is not the "
            f"documented path {expected_suffix!r}"
        )
