"""Typed results: the generated models of a 200 answer, with the helpers callers need.

A 200 answer is an *operation* whose ``status`` may be other than COMPLETE and that may carry ``errors``;
``is_complete`` says whether it is a clean answer and ``raise_if_incomplete()`` turns the other case into
an ``IncompleteResultError``; ``cannot_tell`` says why an answer tells nothing about the contact (the one
rule that ``lookup_many``, ``bulk`` and the command line apply). Unknown enum values and fields never fail: each generated enum member keeps
its raw ``value`` (``is_known`` is False for a value the spec does not list) and ``extra_fields`` holds
what the spec does not name. ``null`` in an optional field is taken as absent (the field is ``UNSET`` in
the model); ``body`` keeps the decoded JSON exactly as received, nulls included.

The client checks a body against the spec when the answer arrives, and builds its generated ``model`` when
the result first needs it: a caller that reads only ``body`` (or drops the result) never pays for it.
"""

from __future__ import annotations

import copy
import operator
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, SupportsIndex, TypeVar, overload

from hubspot_commprefs._errors import IncompleteResultError
from hubspot_commprefs._logging import scrub, secret_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import httpx
    from hubspot_commprefs_client.models import (
        ActionResponseStatus,
        ActionResponseWithResultsPublicStatus,  # noqa: F401 - named in a string below
        ActionResponseWithResultsPublicWideStatus,  # noqa: F401 - named in a string below
        PublicStatus,
        PublicWideStatus,
    )

    from hubspot_commprefs.client._rate_limit import RateLimitInfo

COMPLETE = "COMPLETE"
SUBSCRIBED = "SUBSCRIBED"
UNSUBSCRIBED = "UNSUBSCRIBED"
NOT_SPECIFIED = "NOT_SPECIFIED"
PORTAL_WIDE = "PORTAL_WIDE"
BUSINESS_UNIT_WIDE = "BUSINESS_UNIT_WIDE"
ERRORS_FIELD = "errors"
_SHOWN = 200
T = TypeVar("T")
_MODEL_LOCK = threading.Lock()
"""Held while a result's model is built, so that every thread sees the one model of a result."""


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class ReportedError:
    """One item of ``errors`` in a 200 answer, read tolerantly: HubSpot says every field of an error body
    is optional, so each attribute is None when the item lacks it (or, for the text ones, when it is not a
    string). ``raw`` is the item exactly as received."""

    message: str | None
    category: str | None
    status: str | None
    id: str | None
    sub_category: Any
    """As received: the spec says an object, HubSpot's examples also show a string."""
    context: Any
    links: Any
    errors: Any
    """The item's own ``errors`` (details), as received."""
    raw: Any

    @classmethod
    def from_raw(cls, item: Any) -> ReportedError:
        fields: dict[str, Any] = item if isinstance(item, dict) else {}
        return cls(
            message=_text(fields.get("message")) if fields else _text(item),
            category=_text(fields.get("category")),
            status=_text(fields.get("status")),
            id=_text(fields.get("id")),
            sub_category=fields.get("subCategory"),
            context=fields.get("context"),
            links=fields.get("links"),
            errors=fields.get("errors"),
            raw=item,
        )

    def __str__(self) -> str:
        return self.message if self.message is not None else _cut(repr(self.raw))


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _item(items: list[T], index: object, owner: str) -> T | list[T]:
    """``items[index]`` for a result's ``__getitem__``, with errors that name the result."""
    if isinstance(index, slice):
        return items[index]
    if isinstance(index, bool) or not isinstance(index, SupportsIndex):
        raise TypeError(f"{owner} indices must be integers or slices, not {type(index).__name__}")
    position = operator.index(index)
    try:
        return items[position]
    except IndexError:
        raise IndexError(f"{owner} index {position} is out of range ({len(items)} results)") from None


class _ActionResponse(Protocol):
    @property
    def status(self) -> ActionResponseStatus: ...
    @property
    def errors(self) -> Any: ...
    @property
    def additional_properties(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...


ModelT = TypeVar("ModelT", bound=_ActionResponse)


class _ActionResult(Generic[ModelT]):
    __slots__ = ("_build", "_model", "_request", "body", "content", "headers", "rate_limit")

    def __init__(
        self,
        model: ModelT | None = None,
        *,
        rate_limit: RateLimitInfo,
        headers: httpx.Headers,
        request: httpx.Request | None = None,
        body: Any = None,
        build: Callable[[], ModelT] | None = None,
        content: bytes = b"",
    ) -> None:
        if model is None and build is None:
            raise TypeError("a result needs its model, or build= to make it")
        self._model = model
        self._build = build
        self.rate_limit = rate_limit
        """HubSpot's rate-limit headers of this answer."""
        self.headers = headers
        """The answer's HTTP headers."""
        self._request = request  # only to scrub the token from messages built from the answer
        self.body = body
        """The decoded JSON body exactly as received (``null`` values included)."""
        self.content = content
        """The body's bytes as received (gzip or deflate undone): the text ``body`` was decoded from."""

    def to_dict(self) -> dict[str, Any]:
        """HubSpot's body as received: its keys and values as the server sent them (``null`` values and fields
        the spec does not name included), as a new dict each time. A result built from a model alone gives
        the model's ``to_dict()``."""
        if isinstance(self.body, dict):
            return copy.deepcopy(self.body)
        return self.model.to_dict()

    @property
    def model(self) -> ModelT:
        """The generated model of the whole body (built on first use)."""
        model = self._model
        if model is None:
            with _MODEL_LOCK:
                if self._model is None and self._build is not None:
                    self._model = self._build()
                    self._build = None  # it holds the answer; the model is all that is needed now
                model = self._model
        return model  # type: ignore[return-value]

    @property
    def status(self) -> ActionResponseStatus:
        """The operation's status (COMPLETE, PENDING, PROCESSING, CANCELED, or a raw unknown value)."""
        return self.model.status

    @property
    def _shown_status(self) -> str:
        """The operation's status for a repr (the server's text: the token scrubbed)."""
        return repr(scrub(str(self.model.status.value), secret_of(self._request)))

    @property
    def errors(self) -> list[ReportedError]:
        """Errors HubSpot reported inside this 200 answer (empty when none), each read tolerantly."""
        return [ReportedError.from_raw(item) for item in self._raw_errors]

    @property
    def _raw_errors(self) -> list[Any]:
        raw = self.body.get(ERRORS_FIELD) if isinstance(self.body, dict) else None
        if isinstance(raw, list):
            return raw
        errors = self.model.errors  # a result built from a model alone
        return [e.to_dict() for e in errors] if isinstance(errors, list) else []

    @property
    def num_errors(self) -> int | None:
        """HubSpot's ``numErrors`` (None when absent)."""
        value = getattr(self.model, "num_errors", None)
        return value if isinstance(value, int) else None

    @property
    def is_complete(self) -> bool:
        """True only for a clean answer: the operation is COMPLETE, carries no errors and does not count
        any (``numErrors`` absent or 0)."""
        return self.model.status == COMPLETE and not self._raw_errors and not self.num_errors

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Top-level fields of the body that the spec does not name (kept, never fatal)."""
        extra = self.model.additional_properties
        if ERRORS_FIELD in extra:  # errors that did not match the spec, kept there for to_dict()
            return {k: v for k, v in extra.items() if k != ERRORS_FIELD}
        return extra

    @property
    def cannot_tell(self) -> str | None:
        """The one rule of "cannot tell", which ``lookup_many``, ``bulk`` and the command line apply: None
        when this answer tells the contact's state, otherwise why it does not (one sentence). An operation
        that is not COMPLETE, lists errors or counts them (``numErrors`` > 0) cannot tell: what it holds may
        be partial, so neither a yes nor a no is read from it. ``UnsubscribeAllStatus`` adds its own case."""
        return None if self.is_complete else self._incomplete_message()

    def raise_if_incomplete(self) -> Self:
        """Return this result if ``is_complete``; otherwise raise ``IncompleteResultError``."""
        if self.is_complete:
            return self
        raise IncompleteResultError(self._incomplete_message(), result=self)

    def _incomplete_message(self) -> str:
        """What is wrong with an answer that is not ``is_complete`` (the token scrubbed)."""
        problems = [f"operation status {self.model.status.value}"] if self.model.status != COMPLETE else []
        secret = secret_of(self._request)
        errors = self.errors
        problems += [f"error: {_cut(scrub(e.message or repr(e.raw), secret))}" for e in errors]
        if self.num_errors and not errors:
            problems.append(f"numErrors is {self.num_errors} but no errors are listed")
        return scrub("HubSpot's answer is not a clean one: " + "; ".join(problems), secret)


class SubscriptionStatuses(_ActionResult["ActionResponseWithResultsPublicStatus"], Sequence["PublicStatus"]):
    """A contact's status for every subscription type (the answer of ``get_statuses``).

    A sequence of ``PublicStatus``, in HubSpot's order: iterate, index (``statuses[0]``), slice
    (``statuses[1:]``, a list) and ``len()``; ``to_dict()`` gives the body as received.
    """

    __slots__ = ()

    @property
    def all(self) -> list[PublicStatus]:
        """Every subscription status, in HubSpot's order."""
        return self.model.results

    def __iter__(self) -> Iterator[PublicStatus]:
        return iter(self.model.results)

    def __len__(self) -> int:
        return len(self.model.results)

    @overload
    def __getitem__(self, index: int) -> PublicStatus: ...
    @overload
    def __getitem__(self, index: slice) -> list[PublicStatus]: ...
    def __getitem__(self, index: int | slice) -> PublicStatus | list[PublicStatus]:
        return _item(self.model.results, index, type(self).__name__)

    def by_id(self, subscription_id: int) -> PublicStatus | None:
        """The status for one subscription type id, or None if the answer has none."""
        if isinstance(subscription_id, bool) or not isinstance(subscription_id, int):
            raise TypeError(f"subscription_id must be an int, not {type(subscription_id).__name__}")
        return next((s for s in self.model.results if s.subscription_id == subscription_id), None)

    def by_name(self, name: str) -> PublicStatus | None:
        """The status for the subscription type of this name (exact match first, then ignoring case)."""
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}")
        results = self.model.results
        found = next((s for s in results if s.subscription_name == name), None)
        if found is None:
            folded = name.casefold()
            found = next(
                (
                    s
                    for s in results
                    if isinstance(s.subscription_name, str) and s.subscription_name.casefold() == folded
                ),
                None,
            )
        return found

    @property
    def subscribed(self) -> list[PublicStatus]:
        """The subscription types the contact is SUBSCRIBED to."""
        return [s for s in self.model.results if s.status == SUBSCRIBED]

    @property
    def unsubscribed(self) -> list[PublicStatus]:
        """The subscription types the contact is UNSUBSCRIBED from."""
        return [s for s in self.model.results if s.status == UNSUBSCRIBED]

    @property
    def not_specified(self) -> list[PublicStatus]:
        """The subscription types with no status set (NOT_SPECIFIED)."""
        return [s for s in self.model.results if s.status == NOT_SPECIFIED]

    @property
    def unknown_statuses(self) -> list[PublicStatus]:
        """Statuses whose value this client does not know (HubSpot added one): the raw value is ``.status.value``."""
        return [s for s in self.model.results if not s.status.is_known]

    def __repr__(self) -> str:
        return (
            f"<SubscriptionStatuses status={self._shown_status} subscriptions={len(self)} "
            f"subscribed={len(self.subscribed)} unsubscribed={len(self.unsubscribed)} "
            f"errors={len(self._raw_errors)}>"
        )


class UnsubscribeAllStatus(
    _ActionResult["ActionResponseWithResultsPublicWideStatus"], Sequence["PublicWideStatus"]
):
    """Whether a contact opted out of all email (the answer of ``get_unsubscribe_all_status``).

    A sequence of ``PublicWideStatus`` (iterate, index, slice, ``len()``); ``to_dict()`` gives the body as
    received. HubSpot answers with no wide status at all when the contact has not opted out (unless
    ``verbose``).
    """

    __slots__ = ()

    @property
    def wide_statuses(self) -> list[PublicWideStatus]:
        """The wide statuses of the answer (empty when the contact has not opted out, without ``verbose``)."""
        return self.model.results

    def __iter__(self) -> Iterator[PublicWideStatus]:
        return iter(self.model.results)

    def __len__(self) -> int:
        return len(self.model.results)

    @overload
    def __getitem__(self, index: int) -> PublicWideStatus: ...
    @overload
    def __getitem__(self, index: slice) -> list[PublicWideStatus]: ...
    def __getitem__(self, index: int | slice) -> PublicWideStatus | list[PublicWideStatus]:
        return _item(self.model.results, index, type(self).__name__)

    @property
    def _opted_out(self) -> list[PublicWideStatus]:
        return [w for w in self.model.results if w.status == UNSUBSCRIBED]

    @property
    def unknown_wide_statuses(self) -> list[str]:
        """The raw values (distinct, in order of appearance) of the wide statuses this client does not know
        (HubSpot added one, e.g. OPTED_OUT)."""
        return list(dict.fromkeys(w.status.value for w in self.model.results if not w.status.is_known))

    @property
    def verdict(self) -> bool | None:
        """The rule of "unknown wide statuses get no yes or no", which ``is_unsubscribed_from_all`` and
        ``cannot_tell`` apply: True when any wide status says UNSUBSCRIBED; otherwise None when one has a
        status this client does not know (False would say "may email" without knowing); otherwise False. It
        does not look at ``is_complete`` (``cannot_tell`` does)."""
        if self._opted_out:
            return True
        return None if self.unknown_wide_statuses else False

    @property
    def cannot_tell(self) -> str | None:
        """Why this answer cannot tell whether the contact opted out of all email, or None when it can: it
        is not a clean operation (see ``_ActionResult.cannot_tell``), or ``verdict`` is None (a wide status
        this client does not know, and none says UNSUBSCRIBED)."""
        incomplete = self._incomplete_message() if not self.is_complete else None
        if incomplete is not None or self.verdict is not None:
            return incomplete
        return self._unknown_message("of all email")

    @property
    def is_unsubscribed_from_all(self) -> bool:
        """Whether any wide status says UNSUBSCRIBED (portal-wide or for a business unit).

        Raises ``IncompleteResultError`` naming the value when none does but one has a status this client
        does not know (HubSpot added one; see ``verdict``). The raw value is ``wide_status.status.value``.
        """
        verdict = self.verdict
        if verdict is None:
            raise self._cannot_tell("of all email")
        return verdict

    def _cannot_tell(self, what: str) -> IncompleteResultError:
        return IncompleteResultError(self._unknown_message(what), result=self)

    def _unknown_message(self, what: str) -> str:
        message = (
            f"cannot tell whether the contact opted out {what}: wide status "
            f"{', '.join(repr(v) for v in self.unknown_wide_statuses)} is unknown to this client"
        )
        return scrub(message, secret_of(self._request))

    def _unknown_of_type(self, wide_status_type: str) -> bool:
        """Whether a wide status of this type (or of a type this client does not know) has a status this
        client does not know."""
        return any(
            not w.status.is_known
            and (w.wide_status_type == wide_status_type or not w.wide_status_type.is_known)
            for w in self.model.results
        )

    def _known_or_raise(self, found: bool, wide_status_type: str, what: str) -> bool:
        """``found`` when it is a yes, or when every wide status of that type is known; else "cannot tell"
        (a no would say "may email" without knowing)."""
        if found or not self._unknown_of_type(wide_status_type):
            return found
        raise self._cannot_tell(what)

    @property
    def is_portal_wide(self) -> bool:
        """Whether the contact opted out of all email of the whole portal; ``IncompleteResultError`` rather
        than a no when a wide status is unknown to this client."""
        return self._known_or_raise(
            any(w.wide_status_type == PORTAL_WIDE for w in self._opted_out),
            PORTAL_WIDE,
            "of all email portal-wide",
        )

    @property
    def is_business_unit_wide(self) -> bool:
        """Whether the contact opted out of all email of a business unit (see ``business_unit_ids``);
        ``IncompleteResultError`` rather than a no when a wide status is unknown to this client."""
        return self._known_or_raise(
            any(w.wide_status_type == BUSINESS_UNIT_WIDE for w in self._opted_out),
            BUSINESS_UNIT_WIDE,
            "of all email of a business unit",
        )

    @property
    def business_unit_ids(self) -> list[int]:
        """The business units the contact opted out of all email of; ``IncompleteResultError`` when a wide
        status is unknown to this client (the list could leave out a unit the contact opted out of)."""
        if self._unknown_of_type(BUSINESS_UNIT_WIDE):
            raise self._cannot_tell("of all email of which business units")
        return [
            w.business_unit_id
            for w in self._opted_out
            if w.wide_status_type == BUSINESS_UNIT_WIDE and isinstance(w.business_unit_id, int)
        ]

    def for_business_unit(self, business_unit_id: int) -> PublicWideStatus | None:
        """The wide status of one business unit, or None."""
        return next((w for w in self.model.results if w.business_unit_id == business_unit_id), None)

    def __repr__(self) -> str:
        try:
            unsubscribed: object = self.is_unsubscribed_from_all
        except IncompleteResultError:
            unsubscribed = "unknown"
        try:
            portal_wide: object = self.is_portal_wide
        except IncompleteResultError:
            portal_wide = "unknown"
        return (
            f"<UnsubscribeAllStatus status={self._shown_status} "
            f"unsubscribed_from_all={unsubscribed} portal_wide={portal_wide} "
            f"errors={len(self._raw_errors)}>"
        )
