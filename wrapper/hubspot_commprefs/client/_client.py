"""The clients: ``BaseClient`` (options and request building), and ``CommPrefs`` and ``AsyncCommPrefs``,
which differ only in how they send and sleep. Paths, parameters and models come from the generated client
(loaded with the first request: it costs more than the rest of this package), so a client regenerated for
another API version works with no change here.
"""

from __future__ import annotations

import copy as _copy
import functools
import importlib
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar
from urllib.parse import quote, urlencode

import httpx

from hubspot_commprefs._errors import CommPrefsError, InvalidSubscriberIdError
from hubspot_commprefs._logging import setup_logging, warn_about_unknown_level
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
    check_int64,
    resolve_base_url,
    resolve_timeout,
    resolve_token,
    with_headers,
)
from hubspot_commprefs.client._results import (
    ResultT,
    SubscriptionStatuses,
    UnsubscribeAllStatus,
    closed_error,
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


@dataclass(frozen=True, slots=True)
class Operation(Generic[ResultT]):
    """One operation: its generated endpoint and the model of its 200 body, by name (imported with the first
    request), and its result type."""

    endpoint: str
    model_name: str
    result_type: type[ResultT]

    @property
    def get_kwargs(self) -> Any:
        return generated(f"api.subscription_statuses.{self.endpoint}", "_get_kwargs")

    @property
    def model(self) -> Any:
        return generated("models", self.model_name)


_IMPORTING = threading.Lock()


@functools.cache
def generated(module: str, name: str) -> Any:
    # One import at a time: threads making their first calls at once would import the generated models'
    # circular imports together, which Python's import system may refuse as a deadlock.
    with _IMPORTING:
        return getattr(importlib.import_module(f"hubspot_commprefs_client.{module}"), name)


STATUSES = Operation("get_statuses", "ActionResponseWithResultsPublicStatus", SubscriptionStatuses)
WIDE = Operation(
    "get_unsubscribe_all_status", "ActionResponseWithResultsPublicWideStatus", UnsubscribeAllStatus
)


MAX_URL_LENGTH = 65536
"""httpx refuses a longer URL (``httpx._urlparse.MAX_URL_LENGTH``)."""

setup_logging()

HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)


class BaseClient(Generic[HttpT]):
    """The options and request building both clients share (options: docs/client.md). ``access_token``
    defaults to ``$HUBSPOT_ACCESS_TOKEN``, ``base_url`` to ``$HUBSPOT_BASE_URL`` or HubSpot's host; an
    ``http_client`` you pass is never closed here. Bounds: one attempt ends within the largest part of
    ``timeout``; a call makes at most ``max_retries + 1`` attempts, waiting at most 8.5 s (backoff) or 60 s
    (the server's delay) between them."""

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
        default = DEFAULT_TIMEOUT if http_client is None else httpx.USE_CLIENT_DEFAULT
        self.timeout: TimeoutTypes | Any = default if timeout is NOT_GIVEN else resolve_timeout(timeout)
        # httpx.Headers hides the Authorization value in its repr, and replaces names ignoring case.
        base = {"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        self._headers = with_headers(base, default_headers, "default_headers")
        self._headers["Authorization"] = f"Bearer {token}"
        self.recorder: Recorder | None = None
        if record_to is not None:
            from hubspot_commprefs.client._recording import Recorder

            self.recorder = Recorder(record_to)
        self._owns_http = http_client is None
        self._http: HttpT = http_client if http_client is not None else self._new_http()

    def _new_http(self) -> HttpT:
        raise NotImplementedError

    def _build(
        self,
        operation: Operation[Any],
        subscriber_id: str,
        channel: object,
        business_unit_id: object,
        *,
        timeout: TimeoutTypes | Any = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Request:
        """Check the arguments and build the request (before any I/O: TypeError/ValueError, or CommPrefsError
        when this client cannot send); the timeout travels in the request and sets the attempt's deadline."""
        call_timeout = self.timeout if timeout is NOT_GIVEN else resolve_timeout(timeout)
        headers = with_headers(self._headers, extra_headers, "extra_headers")
        self._check_usable()
        verbose = extra.get("verbose", False)
        if not isinstance(verbose, bool):  # the generated code would send any value as the query's text
            raise TypeError(f"verbose must be a bool, not {type(verbose).__name__}")
        subscriber = normalise_subscriber_id(subscriber_id)
        if not isinstance(channel, str):
            raise TypeError(f"channel must be a str, not {type(channel).__name__}")
        kwargs = operation.get_kwargs(
            subscriber,
            channel=generated("models", "Channel")(channel),
            business_unit_id=check_int64("business_unit_id", business_unit_id),
            **extra,
        )
        path: str = kwargs["url"]
        # The query is written into the URL here (booleans as httpx writes them): params= would parse it again.
        query = urlencode(
            [(k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in kwargs["params"].items()],
            quote_via=quote,
            safe="",
        )
        url = f"{self.base_url}{path}?{query}" if query else self.base_url + path
        if len(url) > MAX_URL_LENGTH:
            raise InvalidSubscriberIdError(
                f"subscriber id of {len(subscriber)} characters is too long: the request URL would be "
                f"{len(url)} characters, over httpx's limit of {MAX_URL_LENGTH}",
                subscriber_id=subscriber_id,
            )
        try:
            request = self._http.build_request("GET", url, headers=headers, timeout=call_timeout)
        except httpx.InvalidURL as exc:
            raise InvalidSubscriberIdError(
                f"subscriber id makes an invalid request URL: {exc}", subscriber_id=subscriber_id
            ) from None
        check_request_path(request.url.raw_path, path)
        return request

    def _check_usable(self) -> None:
        if self._http.is_closed:
            raise closed_error(self)

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
        """A copy with some options changed (one not given or None is kept; ``timeout=None``: no limit), its
        ``default_headers`` merged over these; it shares this client's HTTP client without owning it."""
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
        copy._headers = with_headers(self._headers, default_headers, "default_headers")
        if access_token is not None:
            copy._headers["Authorization"] = f"Bearer {resolve_token(access_token)}"
        return copy

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"


class CommPrefs(BaseClient[httpx.Client]):
    """A synchronous client of HubSpot's Communication Preferences API (options: see ``BaseClient``).
    Use it as a context manager, or call ``close()``."""

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
            STATUSES, subscriber_id, channel, business_unit_id, timeout=timeout, extra_headers=extra_headers
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
            WIDE,
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
        """Whether the contact opted out of all email; ``IncompleteResultError`` rather than an answer
        from an operation that is not COMPLETE or that carries errors."""
        status = self._call(
            WIDE, subscriber_id, channel, business_unit_id, timeout=timeout, extra_headers=extra_headers
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
        """One ``LookupOutcome`` per id, in input order, under ``rate`` in every rolling window (``"100/10s"``,
        ``"50/s"`` or a tier); ``check``: ``both``, ``unsubscribe-all`` or ``statuses`` (docs/client.md)."""
        from hubspot_commprefs.bulk import lookup_many

        return lookup_many(
            self,
            subscriber_ids,
            business_unit_id=business_unit_id,
            rate=rate,
            concurrency=concurrency,
            check=check,
        )

    def _call(self, operation: Operation[ResultT], *args: Any, **extra: Any) -> ResultT:
        request = self._build(operation, *args, **extra)
        seconds = attempt_seconds(request.extensions["timeout"])

        def attempt() -> ResultT:
            return parse_response(send(self, request, seconds), operation)

        return call_with_retries(attempt, RetryPolicy(self.max_retries), attempt_seconds=seconds)

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


# The event loop each HTTP client was first used in: per HTTP client, so that copies share the binding.
_LOOPS: weakref.WeakKeyDictionary[httpx.AsyncClient, weakref.ref[asyncio.AbstractEventLoop]] = (
    weakref.WeakKeyDictionary()
)


class AsyncCommPrefs(BaseClient[httpx.AsyncClient]):
    """An asynchronous client with the same methods as ``CommPrefs``, awaitable (options: see
    ``BaseClient``). Use it as an async context manager, or await ``aclose()``."""

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
        """See ``CommPrefs.get_statuses``."""
        return await self._call(
            STATUSES, subscriber_id, channel, business_unit_id, timeout=timeout, extra_headers=extra_headers
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
        """See ``CommPrefs.get_unsubscribe_all_status``."""
        return await self._call(
            WIDE,
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
        """See ``CommPrefs.is_unsubscribed_from_all``."""
        status = await self._call(
            WIDE, subscriber_id, channel, business_unit_id, timeout=timeout, extra_headers=extra_headers
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
        """``async for`` over ``LookupOutcome``s; see ``CommPrefs.lookup_many``."""
        from hubspot_commprefs.bulk import lookup_many_async

        return lookup_many_async(
            self,
            subscriber_ids,
            business_unit_id=business_unit_id,
            rate=rate,
            concurrency=concurrency,
            check=check,
        )

    async def _call(self, operation: Operation[ResultT], *args: Any, **extra: Any) -> ResultT:
        request = self._build(operation, *args, **extra)
        seconds = attempt_seconds(request.extensions["timeout"])

        async def attempt() -> ResultT:
            return parse_response(await asend(self, request, seconds), operation)

        return await async_call_with_retries(attempt, RetryPolicy(self.max_retries), attempt_seconds=seconds)

    def _check_usable(self) -> None:
        """Refuse a second event loop: httpx's pooled connections belong to the loop that opened them."""
        super()._check_usable()
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # another async library (trio): nothing to compare
            return
        if _LOOPS.setdefault(self._http, weakref.ref(loop))() is not loop:
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
