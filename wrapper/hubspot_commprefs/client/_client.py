"""The clients: ``BaseClient`` (options, operations and request building, shared), ``CommPrefs`` and
``AsyncCommPrefs``, which differ only in how they send and sleep.

The two operations come from the generated client, imported with the first request rather than with the
package (the generated package and attrs cost more than the rest of this package together): request paths
and parameters come from the generated endpoints' ``_get_kwargs`` and bodies are parsed with the generated
models, so a client regenerated for another API version works with no change here.
"""

from __future__ import annotations

import copy as _copy
import functools
import logging
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Self, TypeVar
from urllib.parse import quote, urlencode

import httpx

from hubspot_commprefs._errors import CommPrefsError, InvalidSubscriberIdError
from hubspot_commprefs._logging import (
    logger,
    redact_headers,
    secret_of,
    setup_logging,
    warn_about_unknown_level,
)
from hubspot_commprefs.client._http import (
    ACCEPT_ENCODING,
    DEFAULT_MAX_RESPONSE_BYTES,
    asend,
    attempt_seconds,
    bounded_http_client,
    send,
)
from hubspot_commprefs.client._ids import check_request_path, normalise_subscriber_id
from hubspot_commprefs.client._options import (
    DEFAULT_CHANNEL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    USER_AGENT,
    TimeoutTypes,
    check_count,
    check_headers,
    check_int64,
    resolve_base_url,
    resolve_timeout,
    resolve_token,
)
from hubspot_commprefs.client._results import (
    SubscriptionStatuses,
    UnsubscribeAllStatus,
    closed_error,
    log_response,
    parse_response,
)
from hubspot_commprefs.client._retry import RetryPolicy, async_call_with_retries, call_with_retries

if TYPE_CHECKING:
    import asyncio
    import os
    from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
    from types import TracebackType

    from hubspot_commprefs.bulk import Check, LookupOutcome, Rate
    from hubspot_commprefs.client._recording import Recorder
    from hubspot_commprefs.client._results import _ActionResult


ResultT = TypeVar("ResultT", bound="_ActionResult[Any]")

OperationName = Literal["statuses", "unsubscribe-all"]
"""An operation's short name, as the bulk engine and the command line call it."""


@dataclass(frozen=True, slots=True)
class Operation(Generic[ResultT]):
    """One operation: the generated endpoint, the model and result type of its 200 body, and the
    parameters a call sends when not told otherwise. The one place an operation is mapped to its result."""

    name: str
    short_name: OperationName
    get_kwargs: Any
    """The generated endpoint's ``_get_kwargs``: (subscriber id, channel=..., ...) -> request kwargs."""
    model: Any
    """The generated model of the 200 body."""
    result_type: type[ResultT]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    """Parameters sent unless a call gives its own (``verbose=False`` for unsubscribe-all)."""


@dataclass(frozen=True, slots=True)
class Operations:
    get_statuses: Operation[SubscriptionStatuses]
    get_unsubscribe_all_status: Operation[UnsubscribeAllStatus]
    channel: Any
    """The generated ``Channel`` enum."""

    def by_short_name(self, name: OperationName) -> Operation[Any]:
        """The operation of a short name (``statuses`` or ``unsubscribe-all``)."""
        return self.get_statuses if name == "statuses" else self.get_unsubscribe_all_status


@functools.cache
def load_operations() -> Operations:
    from hubspot_commprefs_client.api.subscription_statuses import (
        get_statuses,
        get_unsubscribe_all_status,
    )
    from hubspot_commprefs_client.models import (
        ActionResponseWithResultsPublicStatus,
        ActionResponseWithResultsPublicWideStatus,
        Channel,
    )

    return Operations(
        get_statuses=Operation(
            "get_statuses",
            "statuses",
            get_statuses._get_kwargs,
            ActionResponseWithResultsPublicStatus,
            SubscriptionStatuses,
        ),
        get_unsubscribe_all_status=Operation(
            "get_unsubscribe_all_status",
            "unsubscribe-all",
            get_unsubscribe_all_status._get_kwargs,
            ActionResponseWithResultsPublicWideStatus,
            UnsubscribeAllStatus,
            {"verbose": False},
        ),
        channel=Channel,
    )


MAX_URL_LENGTH = 65536
"""httpx refuses a longer URL (``httpx._urlparse.MAX_URL_LENGTH``)."""


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def query_string(params: Mapping[str, object]) -> str:
    """The query string of the generated endpoint's params (booleans as true/false, as httpx writes them)."""
    return urlencode([(k, _query_value(v)) for k, v in params.items()], quote_via=quote, safe="")


def log_request(request: httpx.Request) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "request: %s %s headers=%s",
            request.method,
            request.url,
            redact_headers(request.headers.items(), secret_of(request)),
        )


def request_url(
    base_url: str,
    ops: Operations,
    operation: Operation[Any],
    subscriber_id: str,
    *,
    channel: object,
    business_unit_id: object,
    **extra: Any,
) -> tuple[str, str]:
    """The URL and the path of ``operation`` for ``subscriber_id``; raises ``TypeError``, ``ValueError`` or
    ``InvalidSubscriberIdError`` (naming the id as given) for arguments that cannot be sent."""
    verbose = extra.get("verbose", False)
    if not isinstance(verbose, bool):  # the generated code would send any value as the query's text
        raise TypeError(f"verbose must be a bool, not {type(verbose).__name__}")
    given = subscriber_id
    subscriber_id = normalise_subscriber_id(subscriber_id)
    if not isinstance(channel, str):
        raise TypeError(f"channel must be a str, not {type(channel).__name__}")
    kwargs = operation.get_kwargs(
        subscriber_id,
        channel=ops.channel(channel),
        business_unit_id=check_int64("business_unit_id", business_unit_id),
        **extra,
    )
    path: str = kwargs["url"]
    # The query is written into the URL here: httpx's params= would parse the URL a second time.
    url = f"{base_url}{path}?{query_string(kwargs['params'])}" if kwargs["params"] else base_url + path
    if len(url) > MAX_URL_LENGTH:
        raise InvalidSubscriberIdError(
            f"subscriber id of {len(subscriber_id)} characters is too long: the request URL would be "
            f"{len(url)} characters, over httpx's limit of {MAX_URL_LENGTH}",
            subscriber_id=given,
        )
    return url, path


setup_logging()


HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)


@functools.cache
def _policy(max_retries: int) -> RetryPolicy:
    """The client's retry policy for ``max_retries`` (one per value, not one per call)."""
    return RetryPolicy(max_retries)


class BaseClient(Generic[HttpT]):
    """What ``CommPrefs`` and ``AsyncCommPrefs`` share: the constructor and its options, ``with_options``,
    and building a request. Only sending (and sleeping between retries) differs between the two.

    ``access_token`` defaults to ``$HUBSPOT_ACCESS_TOKEN``; ``base_url`` to ``$HUBSPOT_BASE_URL`` or
    ``https://api.hubapi.com``; ``timeout`` to ``DEFAULT_TIMEOUT`` (or, with ``http_client``, that client's
    own timeout); ``max_retries`` to 2. An ``http_client`` you pass is used as given and never closed here.
    ``default_headers`` are sent with every request. ``max_response_bytes`` (10 MiB) caps an answer's
    decoded body: a larger one is a ``ResponseTooLargeError``. ``record_to`` (a directory, created when
    missing) saves every answer in ``DIR/recording.jsonl`` for ``FakeHubSpot(replay=DIR)``; never the token.

    Bounds: one attempt (connect, headers and the whole body) ends within the largest part of ``timeout``
    (10 s by default) however slowly the server sends, in ``APITimeoutError``; a call makes at most
    ``max_retries + 1`` attempts, with waits between them of at most 8.5 s (backoff) or 60 s (what the
    server asks; a longer wait is not made), so a call with the defaults ends within 3 x 10 s + 2 x 60 s.

    Every call takes its own ``timeout=`` (which also sets its attempts' deadline) and ``extra_headers=``;
    ``with_options(...)`` returns a copy with other options that shares this client's connection pool.
    """

    _http_type: type[HttpT]
    max_retries: int
    base_url: str

    def __init__(
        self,
        *,
        access_token: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: HttpT | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        record_to: str | os.PathLike[str] | None = None,
    ) -> None:
        if http_client is not None and not isinstance(http_client, self._http_type):
            raise TypeError(
                f"http_client must be an httpx.{self._http_type.__name__}, not {type(http_client).__name__}"
            )
        warn_about_unknown_level()  # at the line that made the client (CommPrefs(...))
        token = resolve_token(access_token)
        self.base_url = resolve_base_url(base_url)
        self.max_retries = check_count("max_retries", max_retries, 0)
        self.max_response_bytes = check_count("max_response_bytes", max_response_bytes, 1)
        if timeout is NOT_GIVEN:
            self.timeout: TimeoutTypes | Any = (
                DEFAULT_TIMEOUT if http_client is None else httpx.USE_CLIENT_DEFAULT
            )
        else:
            self.timeout = resolve_timeout(timeout)
        # httpx.Headers hides the Authorization value in its repr, and replaces names ignoring case.
        headers = httpx.Headers(
            {"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        )
        for name, value in check_headers(default_headers).items():
            headers[name] = value
        headers["Authorization"] = f"Bearer {token}"
        self._headers = headers
        self.recorder: Recorder | None = None
        if record_to is not None:
            from hubspot_commprefs.client._recording import Recorder

            self.recorder = Recorder(record_to)
        self._owns_http = http_client is None
        self._http: HttpT = http_client if http_client is not None else self._new_http()

    def _new_http(self) -> HttpT:
        raise NotImplementedError

    @property
    def _ops(self) -> Operations:
        """The generated endpoints and models, loaded with the first request rather than with the client:
        a client is ready to use as soon as it is made (the generated package and attrs cost about 15 ms)."""
        return load_operations()

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        operation: Operation[Any],
        subscriber_id: str,
        channel: object,
        business_unit_id: object,
        *,
        timeout: TimeoutTypes | Any = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Request:
        """Check the arguments and build the request; raises TypeError/ValueError before any I/O (and
        CommPrefsError when this client cannot send: closed, or, async, used in another event loop).
        ``timeout`` and ``extra_headers`` are this call's own, checked as the constructor checks its
        ``timeout`` and ``default_headers``; the timeout travels in the request (``attempt_seconds``)."""
        call_timeout = self.timeout if timeout is NOT_GIVEN else resolve_timeout(timeout)
        headers = self._headers
        if extra_headers is not None:
            headers = httpx.Headers(headers)
            for name, value in check_headers(extra_headers, "extra_headers").items():
                headers[name] = value
        self._check_usable(http)
        given = subscriber_id
        url, path = request_url(
            self.base_url,
            self._ops,
            operation,
            subscriber_id,
            channel=channel,
            business_unit_id=business_unit_id,
            **extra,
        )
        try:
            request = http.build_request("GET", url, headers=headers, timeout=call_timeout)
        except httpx.InvalidURL as exc:
            raise InvalidSubscriberIdError(
                f"subscriber id makes an invalid request URL: {exc}", subscriber_id=given
            ) from None
        check_request_path(request.url.raw_path, path)
        return request

    def _check_usable(self, http: httpx.Client | httpx.AsyncClient) -> None:
        if http.is_closed:
            raise closed_error(self)

    def attempt_seconds(
        self, http: httpx.Client | httpx.AsyncClient, request: httpx.Request | None = None
    ) -> float | None:
        """How long one attempt may take in all (``_http.attempt_seconds``), None for no limit: from
        the timeout ``request`` carries (httpx writes the one it applies into every request it builds,
        a per-call ``timeout`` included), else from this client's."""
        parts = request.extensions.get("timeout") if request is not None else None
        if isinstance(parts, dict):
            return attempt_seconds(parts)
        timeout = self.timeout if isinstance(self.timeout, httpx.Timeout) else http.timeout
        return attempt_seconds(timeout.as_dict())

    def with_options(
        self,
        *,
        access_token: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = NOT_GIVEN,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_response_bytes: int | None = None,
    ) -> Self:
        """A copy of this client with some options changed (an option not given, or None, is kept; ``timeout``
        may be None for no limit), checked as the constructor checks them. ``default_headers`` are merged
        over this client's. The copy shares this client's HTTP client and so its connection pool; it does
        not own it: closing the copy closes nothing, and once this client (or the owner of the HTTP client
        passed in) closes it, the copy is closed too."""
        copy = _copy.copy(self)
        copy._owns_http = False
        if base_url is not None:
            copy.base_url = resolve_base_url(base_url)
        if timeout is not NOT_GIVEN:
            copy.timeout = resolve_timeout(timeout)
        if max_retries is not None:
            copy.max_retries = check_count("max_retries", max_retries, 0)
        if max_response_bytes is not None:
            copy.max_response_bytes = check_count("max_response_bytes", max_response_bytes, 1)
        headers = httpx.Headers(self._headers)
        for name, value in check_headers(default_headers).items():
            headers[name] = value
        if access_token is not None:
            headers["Authorization"] = f"Bearer {resolve_token(access_token)}"
        copy._headers = headers
        return copy

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"


class CommPrefs(BaseClient[httpx.Client]):
    """A synchronous client of HubSpot's Communication Preferences API (options: see ``BaseClient``).
    Use it as a context manager, or call ``close()``.
    """

    _http_type = httpx.Client

    def _new_http(self) -> httpx.Client:
        return bounded_http_client()

    def get_statuses(
        self,
        subscriber_id: str,
        *,
        business_unit_id: int | None = None,
        channel: str = DEFAULT_CHANNEL,
        timeout: TimeoutTypes = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> SubscriptionStatuses:
        """The contact's status for every subscription type (of one business unit, if given).
        ``timeout`` and ``extra_headers`` apply to this call only (see ``with_options``)."""
        return self._call(
            self._ops.get_statuses,
            subscriber_id,
            channel,
            business_unit_id,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def get_unsubscribe_all_status(
        self,
        subscriber_id: str,
        *,
        business_unit_id: int | None = None,
        verbose: bool = False,
        channel: str = DEFAULT_CHANNEL,
        timeout: TimeoutTypes = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> UnsubscribeAllStatus:
        """Whether the contact opted out of all email, portal-wide or for a business unit.
        ``timeout`` and ``extra_headers`` apply to this call only (see ``with_options``)."""
        return self._call(
            self._ops.get_unsubscribe_all_status,
            subscriber_id,
            channel,
            business_unit_id,
            verbose=verbose,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def is_unsubscribed_from_all(
        self,
        subscriber_id: str,
        *,
        business_unit_id: int | None = None,
        channel: str = DEFAULT_CHANNEL,
        timeout: TimeoutTypes = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Whether the contact opted out of all email; raises ``IncompleteResultError`` rather than answer
        from an operation that is not COMPLETE or that carries errors."""
        status = self.get_unsubscribe_all_status(
            subscriber_id,
            business_unit_id=business_unit_id,
            channel=channel,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return status.raise_if_incomplete().is_unsubscribed_from_all

    def lookup_many(
        self,
        subscriber_ids: Iterable[str],
        *,
        business_unit_id: int | None = None,
        rate: Rate | str = "100/10s",
        concurrency: int = 10,
        check: Check = "both",
    ) -> Iterator[LookupOutcome]:
        """Look many subscribers up, one ``LookupOutcome`` per id, in input order, under ``rate`` in every
        rolling window (``"100/10s"``, ``"50/s"`` or a tier: ``starter``, ``professional``...). Invalid and
        repeated ids are outcomes of their own; a refused token or an exhausted daily limit raises its
        error after the outcomes before it. ``check``: ``both``, ``unsubscribe-all`` or ``statuses``."""
        from hubspot_commprefs.bulk import lookup_many

        return lookup_many(
            self,
            subscriber_ids,
            business_unit_id=business_unit_id,
            rate=rate,
            concurrency=concurrency,
            check=check,
        )

    def _call(
        self,
        operation: Operation[ResultT],
        subscriber_id: str,
        channel: str,
        business_unit_id: int | None,
        **extra: Any,
    ) -> ResultT:
        """One lookup, with retries: the typed result, or a typed error raised (arguments are checked first)."""
        request = self._build(self._http, operation, subscriber_id, channel, business_unit_id, **extra)

        def attempt() -> ResultT:
            log_request(request)
            response = send(self, self._http, request)
            log_response(request, response)
            return parse_response(response, operation)

        seconds = self.attempt_seconds(self._http, request)
        return call_with_retries(attempt, _policy(self.max_retries), attempt_seconds=seconds)

    def close(self) -> None:
        """Close the HTTP client, unless it was passed in (its owner closes it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


_LOOPS: weakref.WeakKeyDictionary[
    httpx.Client | httpx.AsyncClient, weakref.ref[asyncio.AbstractEventLoop]
] = weakref.WeakKeyDictionary()
"""The event loop each HTTP client was first used in, kept per HTTP client (not per ``AsyncCommPrefs``), so
that the copies ``with_options`` makes, which share it, share its binding too."""


class AsyncCommPrefs(BaseClient[httpx.AsyncClient]):
    """An asynchronous client of HubSpot's Communication Preferences API, with the same methods as
    ``CommPrefs``, awaitable (options: see ``BaseClient``). Use it as an async context manager, or await
    ``aclose()``.
    """

    _http_type = httpx.AsyncClient

    def _new_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(follow_redirects=False)

    async def get_statuses(
        self,
        subscriber_id: str,
        *,
        business_unit_id: int | None = None,
        channel: str = DEFAULT_CHANNEL,
        timeout: TimeoutTypes = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> SubscriptionStatuses:
        """The contact's status for every subscription type (of one business unit, if given).
        ``timeout`` and ``extra_headers`` apply to this call only (see ``with_options``)."""
        return await self._call(
            self._ops.get_statuses,
            subscriber_id,
            channel,
            business_unit_id,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    async def get_unsubscribe_all_status(
        self,
        subscriber_id: str,
        *,
        business_unit_id: int | None = None,
        verbose: bool = False,
        channel: str = DEFAULT_CHANNEL,
        timeout: TimeoutTypes = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> UnsubscribeAllStatus:
        """Whether the contact opted out of all email, portal-wide or for a business unit.
        ``timeout`` and ``extra_headers`` apply to this call only (see ``with_options``)."""
        return await self._call(
            self._ops.get_unsubscribe_all_status,
            subscriber_id,
            channel,
            business_unit_id,
            verbose=verbose,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    async def is_unsubscribed_from_all(
        self,
        subscriber_id: str,
        *,
        business_unit_id: int | None = None,
        channel: str = DEFAULT_CHANNEL,
        timeout: TimeoutTypes = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Whether the contact opted out of all email; raises ``IncompleteResultError`` rather than answer
        from an operation that is not COMPLETE or that carries errors."""
        status = await self.get_unsubscribe_all_status(
            subscriber_id,
            business_unit_id=business_unit_id,
            channel=channel,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return status.raise_if_incomplete().is_unsubscribed_from_all

    def lookup_many(
        self,
        subscriber_ids: Iterable[str],
        *,
        business_unit_id: int | None = None,
        rate: Rate | str = "100/10s",
        concurrency: int = 10,
        check: Check = "both",
    ) -> AsyncIterator[LookupOutcome]:
        """``async for`` over many subscribers: one ``LookupOutcome`` per id, in input order, under ``rate``
        in every rolling window; see ``CommPrefs.lookup_many``."""
        from hubspot_commprefs.bulk import lookup_many_async

        return lookup_many_async(
            self,
            subscriber_ids,
            business_unit_id=business_unit_id,
            rate=rate,
            concurrency=concurrency,
            check=check,
        )

    async def _call(
        self,
        operation: Operation[ResultT],
        subscriber_id: str,
        channel: str,
        business_unit_id: int | None,
        **extra: Any,
    ) -> ResultT:
        """One lookup, with retries: the typed result, or a typed error raised (arguments are checked first)."""
        request = self._build(self._http, operation, subscriber_id, channel, business_unit_id, **extra)

        async def attempt() -> ResultT:
            log_request(request)
            response = await asend(self, self._http, request)
            log_response(request, response)
            return parse_response(response, operation)

        seconds = self.attempt_seconds(self._http, request)
        return await async_call_with_retries(attempt, _policy(self.max_retries), attempt_seconds=seconds)

    def _check_usable(self, http: httpx.Client | httpx.AsyncClient) -> None:
        """Refuse a second event loop: httpx's pooled connections belong to the loop that opened them."""
        super()._check_usable(http)
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # another async library (trio): nothing to compare
            return
        binding = _LOOPS.get(http)
        bound = binding() if binding is not None else None
        if bound is loop:
            return
        if binding is None:
            _LOOPS[http] = weakref.ref(loop)
            return
        raise CommPrefsError(
            f"this {type(self).__name__} is bound to the event loop it was first used in (its connections "
            "belong to that loop), and this is another one: create one AsyncCommPrefs per event loop "
            "(for example, inside the function you pass to asyncio.run)"
        )

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was passed in (its owner closes it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
