"""``CommPrefs``: the synchronous client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx

from hubspot_commprefs.client._base import BaseClient
from hubspot_commprefs.client._options import DEFAULT_CHANNEL, DEFAULT_MAX_RETRIES, NOT_GIVEN, TimeoutTypes
from hubspot_commprefs.client._requests import log_request
from hubspot_commprefs.client._responses import log_response, parse_response
from hubspot_commprefs.client._retry import RetryPolicy, call_with_retries
from hubspot_commprefs.client._sending import send
from hubspot_commprefs.client._transport import DEFAULT_MAX_RESPONSE_BYTES, bounded_http_client

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Iterator, Mapping
    from types import TracebackType

    from hubspot_commprefs.bulk import Check, LookupOutcome, Rate
    from hubspot_commprefs.client._operations import Operation
    from hubspot_commprefs.client._results import SubscriptionStatuses, UnsubscribeAllStatus, _ActionResult

ResultT = TypeVar("ResultT", bound="_ActionResult[Any]")


class CommPrefs(BaseClient):
    """A synchronous client of HubSpot's Communication Preferences API.

    ``access_token`` defaults to ``$HUBSPOT_ACCESS_TOKEN``; ``base_url`` to ``$HUBSPOT_BASE_URL`` or
    ``https://api.hubapi.com``; ``timeout`` to ``DEFAULT_TIMEOUT`` (or, with ``http_client``, that client's
    own timeout); ``max_retries`` to 2. An ``http_client`` you pass is used as given and never closed here.
    ``default_headers`` are sent with every request. ``max_response_bytes`` (10 MiB) caps an answer's
    decoded body: a larger one is a ``ResponseTooLargeError``. ``record_to`` (a directory, created when
    missing) saves every answer in ``DIR/recording.jsonl`` for ``FakeHubSpot(replay=DIR)``; never the token.

    Bounds: one attempt (connect, headers and the whole body) ends within the largest part of ``timeout``
    (10 s by default) however slowly the server sends, in ``APITimeoutError``; a call makes at most
    ``max_retries + 1`` attempts, with waits between them of at most 8.5 s (backoff) or 60 s (what the
    server asks; a longer wait is not made), so a call with the defaults ends within 3 x 10 s + 2 x 60 s. Use it as a context manager, or call ``close()``.

    Every call takes its own ``timeout=`` (which also sets its attempts' deadline) and ``extra_headers=``;
    ``with_options(...)`` returns a copy with other options that shares this client's connection pool.
    """

    def __init__(
        self,
        *,
        access_token: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        record_to: str | os.PathLike[str] | None = None,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise TypeError(f"http_client must be an httpx.Client, not {type(http_client).__name__}")
        super().__init__(
            access_token=access_token,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            own_client=http_client is None,
            max_response_bytes=max_response_bytes,
            record_to=record_to,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else bounded_http_client()

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
        from hubspot_commprefs.bulk import lookup_many  # noqa: PLC0415 - loaded on first use

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
