"""Answers: an HTTP answer turned into the typed result of a 200 (checked against the spec, its generated
model built on first use) or the typed error of anything else; the results, with the one "cannot tell" rule
(``cannot_tell``); HubSpot's rate-limit headers (``RateLimitInfo``). Pure (no I/O): shared by both clients
and the bulk engine. Unknown enum values and fields are kept, never fatal.
"""

from __future__ import annotations

import copy
import datetime as dt
import email.utils
import json
import math
import operator
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, SupportsIndex, TypeVar, overload

import httpx

from hubspot_commprefs._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CommPrefsError,
    DuplicateKeyError,
    IncompleteResultError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnexpectedResponseError,
)
from hubspot_commprefs._logging import scrub, secret_of
from hubspot_commprefs.schemas import INT64_MAX, BodyMismatch, build, check, duplicate_key, field_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from hubspot_commprefs_client.models import (
        ActionResponseStatus,
        ActionResponseWithResultsPublicStatus,  # noqa: F401 - named in a string below
        ActionResponseWithResultsPublicWideStatus,  # noqa: F401 - named in a string below
        PublicStatus,
        PublicWideStatus,
    )

    from hubspot_commprefs.client._client import Operation


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What HubSpot said about its rate limits in one answer; a header that is absent or malformed is
    ``None`` (HubSpot sends no daily ones for OAuth calls). ``retry_after`` is in seconds, never negative."""

    max: int | None = None
    remaining: int | None = None
    interval_ms: int | None = None
    daily: int | None = None
    daily_remaining: int | None = None
    retry_after: float | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str] | httpx.Headers) -> RateLimitInfo:
        """Parse the headers of one answer (of a repeated header, the first counts)."""
        if isinstance(headers, httpx.Headers):
            pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in reversed(headers.raw)]
        else:
            pairs = list(headers.items())
        found = {name.lower(): value for name, value in pairs}
        return cls(
            max=header_count(found.get("x-hubspot-ratelimit-max")),
            remaining=header_count(found.get("x-hubspot-ratelimit-remaining")),
            interval_ms=header_count(found.get("x-hubspot-ratelimit-interval-milliseconds")),
            daily=header_count(found.get("x-hubspot-ratelimit-daily")),
            daily_remaining=header_count(found.get("x-hubspot-ratelimit-daily-remaining")),
            retry_after=parse_retry_after(found.get("retry-after")),
        )

    @property
    def window_exhausted(self) -> bool:
        """Whether the rolling window has no request left."""
        return self.remaining is not None and self.remaining <= 0

    @property
    def daily_exhausted(self) -> bool:
        """Whether the account's daily allowance is used up (waiting seconds will not help)."""
        return self.daily_remaining is not None and self.daily_remaining <= 0


def header_count(value: str | None, maximum: int | None = INT64_MAX) -> int | None:
    """A count from a header (at most 19 ASCII digits and ``maximum``), or None when absent or implausible."""
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if maximum is None or number <= maximum else None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date); ``None`` if malformed."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > 64:  # no delay or HTTP date is this long
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


COMPLETE = "COMPLETE"
SUBSCRIBED = "SUBSCRIBED"
UNSUBSCRIBED = "UNSUBSCRIBED"
NOT_SPECIFIED = "NOT_SPECIFIED"
PORTAL_WIDE = "PORTAL_WIDE"
BUSINESS_UNIT_WIDE = "BUSINESS_UNIT_WIDE"
ERRORS_FIELD = "errors"
_SHOWN = 200  # the most characters of a server's text shown in a message
_MODEL_LOCK = threading.Lock()  # held while a result's model is built: every thread sees the one model


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


@dataclass(frozen=True, slots=True)
class ReportedError:
    """One item of ``errors`` in a 200 answer, read tolerantly: each attribute is None when the item lacks it
    (or, for the text ones, when it is not a string); ``raw`` is the item exactly as received."""

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


ItemT = TypeVar("ItemT")


class _ActionResponse(Protocol[ItemT]):
    status: ActionResponseStatus
    errors: Any
    results: list[ItemT]
    additional_properties: dict[str, Any]

    def to_dict(self) -> dict[str, Any]: ...


ModelT = TypeVar("ModelT", bound=_ActionResponse[Any])


class _ActionResult(Sequence[ItemT], Generic[ModelT, ItemT]):
    """What both results share: the answer, the operation's status and errors, and the sequence of its
    ``results`` (iterate, index, slice as a list, ``len()``)."""

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
        """HubSpot's body as received (``null`` values and unknown fields included), a new dict each time; a
        result built from a model alone gives the model's ``to_dict()``."""
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

    def __iter__(self) -> Iterator[ItemT]:
        return iter(self.model.results)

    def __len__(self) -> int:
        return len(self.model.results)

    @overload
    def __getitem__(self, index: int) -> ItemT: ...
    @overload
    def __getitem__(self, index: slice) -> list[ItemT]: ...
    def __getitem__(self, index: int | slice) -> ItemT | list[ItemT]:
        items: list[ItemT] = self.model.results
        owner = type(self).__name__
        if isinstance(index, slice):
            return items[index]
        if isinstance(index, bool) or not isinstance(index, SupportsIndex):
            raise TypeError(f"{owner} indices must be integers or slices, not {type(index).__name__}")
        position = operator.index(index)
        try:
            return items[position]
        except IndexError:
            raise IndexError(f"{owner} index {position} is out of range ({len(items)} results)") from None

    @property
    def status(self) -> ActionResponseStatus:
        """The operation's status (COMPLETE, PENDING, PROCESSING, CANCELED, or a raw unknown value)."""
        return self.model.status

    @property
    def _shown_status(self) -> str:
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
        """True only for a clean answer: the operation is COMPLETE, lists no errors and counts none."""
        return self.model.status == COMPLETE and not self._raw_errors and not self.num_errors

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Top-level fields of the body that the spec does not name (kept, never fatal)."""
        # Errors that did not match the spec are kept there too, for to_dict().
        return {k: v for k, v in self.model.additional_properties.items() if k != ERRORS_FIELD}

    @property
    def cannot_tell(self) -> str | None:
        """None when this answer tells the contact's state, else why not (one sentence): an operation that is
        not ``is_complete`` may be partial, so neither a yes nor a no is read from it."""
        return None if self.is_complete else self._incomplete_message()

    def raise_if_incomplete(self) -> Self:
        """Return this result if ``is_complete``; otherwise raise ``IncompleteResultError``."""
        if self.is_complete:
            return self
        raise IncompleteResultError(self._incomplete_message(), result=self)

    def _incomplete_message(self) -> str:
        problems = [f"operation status {self.model.status.value}"] if self.model.status != COMPLETE else []
        secret = secret_of(self._request)
        errors = self.errors
        problems += [f"error: {_cut(scrub(e.message or repr(e.raw), secret))}" for e in errors]
        if self.num_errors and not errors:
            problems.append(f"numErrors is {self.num_errors} but no errors are listed")
        return scrub("HubSpot's answer is not a clean one: " + "; ".join(problems), secret)


class SubscriptionStatuses(_ActionResult["ActionResponseWithResultsPublicStatus", "PublicStatus"]):
    """A contact's status for every subscription type (the answer of ``get_statuses``): a sequence of
    ``PublicStatus`` in HubSpot's order; ``to_dict()`` gives the body as received."""

    __slots__ = ()

    @property
    def all(self) -> list[PublicStatus]:
        """Every subscription status, in HubSpot's order."""
        return self.model.results

    def by_id(self, subscription_id: int) -> PublicStatus | None:
        """The status for one subscription type id, or None if the answer has none."""
        if isinstance(subscription_id, bool) or not isinstance(subscription_id, int):
            raise TypeError(f"subscription_id must be an int, not {type(subscription_id).__name__}")
        return next((s for s in self.model.results if s.subscription_id == subscription_id), None)

    def by_name(self, name: str) -> PublicStatus | None:
        """The status for the subscription type of this name (exact match first, then ignoring case)."""
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}")
        folded = name.casefold()
        matches = [
            s
            for s in self.model.results
            if isinstance(s.subscription_name, str) and s.subscription_name.casefold() == folded
        ]
        return next((s for s in matches if s.subscription_name == name), next(iter(matches), None))

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


class UnsubscribeAllStatus(_ActionResult["ActionResponseWithResultsPublicWideStatus", "PublicWideStatus"]):
    """Whether a contact opted out of all email (the answer of ``get_unsubscribe_all_status``): a sequence
    of ``PublicWideStatus``, empty when the contact has not opted out (unless ``verbose``)."""

    __slots__ = ()

    @property
    def wide_statuses(self) -> list[PublicWideStatus]:
        """The wide statuses of the answer (empty when the contact has not opted out, without ``verbose``)."""
        return self.model.results

    @property
    def opted_out(self) -> list[PublicWideStatus]:
        """The wide statuses that say UNSUBSCRIBED (portal-wide or of a business unit)."""
        return [w for w in self.model.results if w.status == UNSUBSCRIBED]

    @property
    def unknown_wide_statuses(self) -> list[str]:
        """The raw values (distinct, in order of appearance) of the wide statuses this client does not know
        (HubSpot added one, e.g. OPTED_OUT)."""
        return list(dict.fromkeys(w.status.value for w in self.model.results if not w.status.is_known))

    @property
    def verdict(self) -> bool | None:
        """True when any wide status says UNSUBSCRIBED; otherwise None when one has a status this client
        does not know (False would say "may email" without knowing); otherwise False. It does not look at
        ``is_complete`` (``cannot_tell`` does)."""
        if self.opted_out:
            return True
        return None if self.unknown_wide_statuses else False

    @property
    def cannot_tell(self) -> str | None:
        """Why this answer cannot tell whether the contact opted out of all email (not ``is_complete``, or
        ``verdict`` is None), or None when it can."""
        if not self.is_complete:
            return self._incomplete_message()
        return None if self.verdict is not None else self._unknown_message("of all email")

    @property
    def is_unsubscribed_from_all(self) -> bool:
        """Whether any wide status says UNSUBSCRIBED (portal-wide or for a business unit); raises
        ``IncompleteResultError`` when none does but one has a status this client does not know."""
        verdict = self.verdict
        if verdict is None:
            raise IncompleteResultError(self._unknown_message("of all email"), result=self)
        return verdict

    def _unknown_message(self, what: str) -> str:
        message = (
            f"cannot tell whether the contact opted out {what}: wide status "
            f"{', '.join(repr(v) for v in self.unknown_wide_statuses)} is unknown to this client"
        )
        return scrub(message, secret_of(self._request))

    def _unknown_of_type(self, wide_status_type: str) -> bool:
        return any(
            not w.status.is_known
            and (w.wide_status_type == wide_status_type or not w.wide_status_type.is_known)
            for w in self.model.results
        )

    def _opted_out_of(self, wide_status_type: str, what: str) -> bool:
        """Whether a wide status of this type says UNSUBSCRIBED; "cannot tell" rather than a no when one
        (of this type or an unknown one) has a status this client does not know."""
        if any(w.wide_status_type == wide_status_type for w in self.opted_out):
            return True
        if self._unknown_of_type(wide_status_type):
            raise IncompleteResultError(self._unknown_message(what), result=self)
        return False

    @property
    def is_portal_wide(self) -> bool:
        """Whether the contact opted out of all email of the whole portal (``IncompleteResultError`` rather
        than a no when a wide status is unknown to this client)."""
        return self._opted_out_of(PORTAL_WIDE, "of all email portal-wide")

    @property
    def is_business_unit_wide(self) -> bool:
        """Whether the contact opted out of all email of a business unit (see ``business_unit_ids``;
        ``IncompleteResultError`` rather than a no when a wide status is unknown to this client)."""
        return self._opted_out_of(BUSINESS_UNIT_WIDE, "of all email of a business unit")

    @property
    def business_unit_ids(self) -> list[int]:
        """The business units the contact opted out of all email of; ``IncompleteResultError`` when a wide
        status is unknown to this client (the list could leave out a unit the contact opted out of)."""
        if self._unknown_of_type(BUSINESS_UNIT_WIDE):
            what = "of all email of which business units"
            raise IncompleteResultError(self._unknown_message(what), result=self)
        return [
            w.business_unit_id
            for w in self.opted_out
            if w.wide_status_type == BUSINESS_UNIT_WIDE and isinstance(w.business_unit_id, int)
        ]

    def for_business_unit(self, business_unit_id: int) -> PublicWideStatus | None:
        """The wide status of one business unit, or None."""
        return next((w for w in self.model.results if w.business_unit_id == business_unit_id), None)

    def __repr__(self) -> str:
        shown: list[object] = []
        for name in ("is_unsubscribed_from_all", "is_portal_wide"):
            try:
                shown.append(getattr(self, name))
            except IncompleteResultError:
                shown.append("unknown")
        return (
            f"<UnsubscribeAllStatus status={self._shown_status} "
            f"unsubscribed_from_all={shown[0]} portal_wide={shown[1]} errors={len(self._raw_errors)}>"
        )


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a response built by hand, never sent
        return None


def _snippet(text: str, secret: str | None) -> str:
    """The start of ``text``, the token scrubbed first (so that cutting cannot leave a piece of it)."""
    return _cut(scrub(text, secret))


def _response_text(response: httpx.Response) -> str:
    try:
        return response.text
    except (httpx.ResponseNotRead, httpx.StreamError, UnicodeDecodeError, LookupError):
        return ""


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for a 4xx or 5xx answer; every field of the body is optional."""
    code = response.status_code
    secret = secret_of(request_of(response))
    text = _response_text(response)
    try:
        body: Any = json.loads(response.content)
    except (ValueError, RecursionError, httpx.ResponseNotRead):
        body = None
    fields: Mapping[str, Any] = body if isinstance(body, dict) else {}

    def text_field(name: str) -> str | None:
        value = fields.get(name)
        return scrub(value, secret) if isinstance(value, str) else None

    reason = scrub(response.reason_phrase, secret) or "error"
    message = text_field("message")
    if not message or not message.strip():
        message = (
            f"{reason} (the body is not a JSON error object: {_snippet(text, secret)!r})"
            if text.strip() and not fields
            else reason
        )
    cls = _STATUS_ERRORS.get(code) or (InternalServerError if code >= 500 else APIStatusError)
    error = cls(
        message,
        status_code=code,
        category=text_field("category"),
        sub_category=text_field("subCategory"),
        correlation_id=text_field("correlationId")
        or scrub(response.headers.get("X-HubSpot-Correlation-Id") or "", secret)
        or None,
        body=body if body is not None else text,
        headers=response.headers,
        rate_limit=RateLimitInfo.from_headers(response.headers),
    )
    if isinstance(error, PermissionDeniedError):
        error.missing_scopes = tuple(scrub(scope, secret) for scope in _scopes(fields))
    if isinstance(error, RateLimitError):
        error.policy_name = text_field("policyName")
    return error


def _scopes(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """Scope names from the error body's contexts (HubSpot puts them under ``requiredGranularScopes``)."""
    contexts = [fields.get("context")]
    details = fields.get("errors")
    if isinstance(details, list):
        contexts += [d.get("context") for d in details if isinstance(d, dict)]
    found: dict[str, None] = {}
    for context in contexts:
        if isinstance(context, dict):
            for key, values in context.items():
                if "scope" in str(key).lower() and isinstance(values, list):
                    found.update((v, None) for v in values if isinstance(v, str))
    return tuple(found)


def unexpected(
    response: httpx.Response,
    message: str,
    cls: type[UnexpectedResponseError] = UnexpectedResponseError,
    **fields: Any,
) -> UnexpectedResponseError:
    """An ``UnexpectedResponseError`` (or ``cls``) for ``response``: the token scrubbed from the message and
    ``text``."""
    secret = secret_of(request_of(response))
    try:
        content = response.content
    except httpx.ResponseNotRead:
        content = b""
    return cls(
        scrub(message, secret),
        status_code=response.status_code,
        text=scrub(_response_text(response), secret),
        headers=response.headers,
        content=content,
        **fields,
    )


def answer_error(response: httpx.Response) -> APIError:
    """The typed error of an answer that is not a 200 (the API answers 200 or a 4xx/5xx)."""
    code = response.status_code
    if 400 <= code <= 599:
        return status_error(response)
    return unexpected(
        response, f"HTTP {code}: the API answers 200 or an error (4xx/5xx); {code} is not expected here"
    )


_FRACTIONS = threading.local()


def _fraction(text: str) -> float:
    _FRACTIONS.seen = True
    return float(text)


_DECODER = json.JSONDecoder(parse_float=_fraction)  # one for every answer: the per-call benchmark needs it


def _decode(content: bytes) -> tuple[Any, bool]:
    """The decoded JSON (as ``json.loads`` reads bytes), and whether it holds a number with a fraction part
    (the decoder calls back only for those; the flag is the thread's own)."""
    _FRACTIONS.seen = False
    body = _DECODER.decode(content.decode(json.detect_encoding(content), "surrogatepass"))
    return body, _FRACTIONS.seen


ResultT = TypeVar("ResultT", bound=_ActionResult[Any, Any])


def parse_response(response: httpx.Response, operation: Operation[ResultT]) -> ResultT:
    """The typed result of a 200 answer, or the typed error of any other."""
    if response.status_code != 200:
        raise answer_error(response)
    try:
        body, fractions = _decode(response.content)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, RecursionError):
            why = "JSON nested too deeply to read"
        elif not isinstance(exc, json.JSONDecodeError):
            # Python's own limits: an integer of over 4300 digits, say
            why = f"JSON that cannot be read ({str(exc).split(';', 1)[0]})"
        else:
            why = f"a body that is not JSON ({response.headers.get('content-type', 'no content type')})"
        text = _snippet(_response_text(response), secret_of(request_of(response)))
        raise unexpected(response, f"HTTP 200 with {why}: {text!r}") from None
    repeated = duplicate_key(response.content, body)
    if repeated is not None:
        secret = secret_of(request_of(response))
        where = _snippet(field_path(repeated), secret)
        raise unexpected(
            response,
            f"HTTP 200 with a body that holds a key twice in one object, {where}: which one counts is not "
            "known, so the answer is not read",
            DuplicateKeyError,
            key=scrub(str(repeated[-1]), secret),
            path=where,
        )
    try:
        check(operation.model, body, whole_integers=fractions)
    except BodyMismatch as exc:
        secret = secret_of(request_of(response))
        raise unexpected(
            response, f"HTTP 200 with a body the spec does not allow: {exc.describe(secret)}"
        ) from None
    except (ValueError, RecursionError) as exc:  # jsonschema-rs' own limits, if a body ever meets them
        raise unexpected(
            response, f"HTTP 200 with a body that cannot be checked ({type(exc).__name__})"
        ) from None

    def build_model() -> Any:
        # Once checked, building does not fail; were it to, the error is that of a body that fails the check.
        try:
            return build(operation.model, body, nulls=b"null" in response.content)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise unexpected(response, f"HTTP 200 with a body the spec does not allow: {exc}") from None

    return operation.result_type(
        build=build_model,
        rate_limit=RateLimitInfo.from_headers(response.headers),
        headers=response.headers,
        request=request_of(response),
        body=body,
        content=response.content,
    )


def transport_error(exc: httpx.HTTPError, request: httpx.Request) -> APIError:
    """The typed error for an httpx failure: no answer (``APIConnectionError``, retried), or an answer
    whose body a response hook of the caller's client could not decode."""
    if isinstance(exc, httpx.DecodingError):
        # Without the response: the status is unknown, 0.
        return UnexpectedResponseError(
            f"an answer whose body cannot be decoded: {type(exc).__name__}",
            status_code=0,
            text="",
            headers=None,
        )
    where = request_line(request)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"no answer in time from {where}: {type(exc).__name__}")
    return APIConnectionError(
        scrub(f"no answer from {where}: {type(exc).__name__}: {exc}", secret_of(request))
    )


def closed_error(client: object) -> CommPrefsError:
    return CommPrefsError(
        f"this {type(client).__name__} is closed (its HTTP client was closed): create a new one"
    )


def request_line(request: httpx.Request) -> str:
    return f"{request.method} {request.url.copy_with(query=None)}"
