"""The exceptions the client raises: every one a ``CommPrefsError``, but the argument errors (``TypeError``,
``ValueError``), raised before any request. docs/client.md draws the tree and what each one means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from hubspot_commprefs.client import RateLimitInfo


class CommPrefsError(Exception):
    """The base of every exception this package raises about HubSpot's answers and the client's state."""


class MissingTokenError(CommPrefsError, ValueError):
    """No access token to send: none given and ``HUBSPOT_ACCESS_TOKEN`` unset, or an empty or blank one (the
    message says which, never showing a token). A ``ValueError`` too, as every bad constructor argument."""


@dataclass(eq=False, repr=False)
class _FieldsError(Exception):
    """The exceptions below as dataclasses (each field a keyword, but the message), whose ``str()`` and
    ``repr()`` stay an exception's."""

    message: str

    def __post_init__(self) -> None:
        super().__init__(self.message)


@dataclass(eq=False, repr=False, kw_only=True)
class InvalidSubscriberIdError(_FieldsError, ValueError):
    """The client refuses this subscriber id before any request (``str(error)`` says why; ``subscriber_id``
    is the id as given). ``bulk`` and ``lookup_many`` file such a row as ``invalid``."""

    subscriber_id: str


@dataclass(eq=False, repr=False)
class APIError(_FieldsError, CommPrefsError):
    """Something went wrong talking to HubSpot."""


class APIConnectionError(APIError):
    """No HTTP answer arrived: the connection failed or broke."""


class APITimeoutError(APIConnectionError):
    """No HTTP answer arrived within the timeout."""


@dataclass(eq=False, repr=False, kw_only=True)
class UnexpectedResponseError(APIError):
    """HubSpot answered with something the spec does not allow: ``status_code``, ``text`` (the body with the
    access token scrubbed) and ``content`` (the body as received) show it."""

    status_code: int
    text: str
    headers: httpx.Headers | None
    content: bytes = b""


@dataclass(eq=False, repr=False, kw_only=True)
class ResponseTooLargeError(UnexpectedResponseError):
    """The answer's body passed ``max_response_bytes`` (``limit``) once decoded: reading stopped there."""

    text: str = field(default="", init=False)
    limit: int


@dataclass(eq=False, repr=False, kw_only=True)
class DuplicateKeyError(UnexpectedResponseError):
    """A 200 whose body holds a key twice in one object (``{"status": "UNSUBSCRIBED", "status":
    "SUBSCRIBED"}``): JSON readers differ on which one counts, so the answer says nothing for sure and is
    not read. ``key`` is the repeated key, ``path`` where it is (``results[0].status``)."""

    key: str
    path: str


@dataclass(eq=False, repr=False, kw_only=True)
class APIStatusError(APIError):
    """HubSpot answered with a 4xx or 5xx status. What the (all optional) error body lacks is ``None``;
    ``message``, ``category``, ``sub_category`` and ``correlation_id`` have the access token scrubbed,
    ``body`` and ``headers`` are as received."""

    status_code: int
    category: str | None
    sub_category: str | None
    correlation_id: str | None
    body: Any
    headers: httpx.Headers
    rate_limit: RateLimitInfo

    def __str__(self) -> str:
        text = f"{self._heading()}: {self.message}"
        if self.correlation_id:
            text += f" (correlation id {self.correlation_id})"
        return text

    def _heading(self) -> str:
        """What ``str()`` says before the server's message: the status and the body's category."""
        return " ".join(part for part in (f"HTTP {self.status_code}", self.category) if part)


class BadRequestError(APIStatusError):
    """400: HubSpot refused the request's parameters."""


class AuthenticationError(APIStatusError):
    """401: the access token is missing, invalid or expired. ``str()`` says first that the token was refused:
    HubSpot's own message ("Authentication credentials not found") reads as if none had been sent."""

    def _heading(self) -> str:
        return f"HubSpot refused the token ({super()._heading()})"


class PermissionDeniedError(APIStatusError):
    """403: the token lacks a scope; ``missing_scopes`` names them when the body does (the message says
    which to grant)."""

    missing_scopes: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = super().__str__()
        if self.missing_scopes:
            text += f"; grant the app one of these scopes, then use its new token: {', '.join(self.missing_scopes)}"
        return text


class NotFoundError(APIStatusError):
    """404."""


class RateLimitError(APIStatusError):
    """429: a rate limit was hit. ``policy_name`` says which (e.g. TEN_SECONDLY_ROLLING or DAILY);
    ``retry_after`` is the server's delay in seconds, when it gave one."""

    policy_name: str | None = None

    @property
    def retry_after(self) -> float | None:
        return self.rate_limit.retry_after


class InternalServerError(APIStatusError):
    """500-599: HubSpot (or a proxy in front of it) failed."""


@dataclass(eq=False, repr=False, kw_only=True)
class IncompleteResultError(_FieldsError, CommPrefsError):
    """A 200 whose operation is not COMPLETE, or carries or counts ``errors``, or whose wide statuses cannot
    answer "unsubscribed from all?" (an unknown status). Raised by ``result.raise_if_incomplete()`` and by
    ``is_unsubscribed_from_all``; ``result`` is the whole typed result."""

    result: Any
