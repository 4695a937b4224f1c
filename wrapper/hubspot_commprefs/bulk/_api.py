"""The Python face of bulk lookups: many ids in, one ``LookupOutcome`` per id out, in input order.

``CommPrefs.lookup_many`` and ``AsyncCommPrefs.lookup_many`` call these. Each lookup makes exactly one
request (the client's own retries are bypassed: the bulk limiter decides when a rate-limited or failed
request is sent again, so that no request escapes it). The async version runs ``BulkLookup`` on the
caller's event loop, the sync version ``ThreadedBulkLookup`` in worker threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from hubspot_commprefs._errors import InvalidSubscriberIdError
from hubspot_commprefs.bulk._engine import (
    DEFAULT_CONCURRENCY,
    BulkLookup,
    Check,
    LookupOutcome,
    Operation,
    check_options,
    in_input_order,
    input_rows,
)
from hubspot_commprefs.bulk._limiter import DEFAULT_RATE, Rate
from hubspot_commprefs.bulk._threads import ThreadedBulkLookup, in_input_order_sync
from hubspot_commprefs.client import (
    DEFAULT_CHANNEL,
    asend,
    log_request,
    log_response,
    parse_response,
    send,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator

    from hubspot_commprefs.client import AsyncCommPrefs, CommPrefs

__all__ = ["async_call", "lookup_many", "lookup_many_async", "sync_call"]


def _request(
    client: CommPrefs | AsyncCommPrefs, operation: Operation, subscriber: str, business_unit_id: int | None
) -> tuple[httpx.Request, Any]:
    op = client._ops.by_short_name(operation)  # noqa: SLF001 - the bulk engine is part of the client
    http = client._http  # noqa: SLF001
    try:
        request = client._build(http, op, subscriber, DEFAULT_CHANNEL, business_unit_id, **op.defaults)  # noqa: SLF001
    except httpx.InvalidURL as error:  # e.g. "URL too long": the id cannot be sent; a bad id, not a crash
        raise InvalidSubscriberIdError(
            f"subscriber id cannot be sent: {error}", subscriber_id=subscriber
        ) from None
    return request, op


def async_call(
    client: AsyncCommPrefs, *, business_unit_id: int | None = None
) -> Callable[[Operation, str], Awaitable[Any]]:
    """One request per call, no retries, typed result or typed error: what ``BulkLookup`` needs."""

    async def call(operation: Operation, subscriber: str) -> Any:
        request, op = _request(client, operation, subscriber, business_unit_id)
        log_request(request)
        response = await asend(client, client._http, request)  # noqa: SLF001 - same checked path as a call
        log_response(request, response)
        return parse_response(response, op)

    return call


def sync_call(client: CommPrefs, *, business_unit_id: int | None = None) -> Callable[[Operation, str], Any]:
    """The blocking twin of ``async_call``."""

    def call(operation: Operation, subscriber: str) -> Any:
        request, op = _request(client, operation, subscriber, business_unit_id)
        log_request(request)
        response = send(client, client._http, request)  # noqa: SLF001 - same checked path as a call
        log_response(request, response)
        return parse_response(response, op)

    return call


def lookup_many_async(
    client: AsyncCommPrefs,
    subscriber_ids: Iterable[str],
    *,
    business_unit_id: int | None = None,
    rate: Rate | str = DEFAULT_RATE,
    concurrency: int = DEFAULT_CONCURRENCY,
    check: Check = "both",
) -> AsyncIterator[LookupOutcome]:
    # A plain function, so that bad options and ids are refused at the call, not at the first ``async for``.
    check_options(rate=rate, concurrency=concurrency, check=check, business_unit_id=business_unit_id)
    rows = input_rows(subscriber_ids)
    engine = BulkLookup(
        async_call(client, business_unit_id=business_unit_id), rate=rate, concurrency=concurrency, check=check
    )
    return _in_order(engine, rows)


async def _in_order(engine: BulkLookup, rows: Iterator[Any]) -> AsyncIterator[LookupOutcome]:
    outcomes = engine.outcomes(rows)
    try:
        async for outcome in in_input_order(outcomes):
            yield outcome
    finally:
        await outcomes.aclose()


def lookup_many(
    client: CommPrefs,
    subscriber_ids: Iterable[str],
    *,
    business_unit_id: int | None = None,
    rate: Rate | str = DEFAULT_RATE,
    concurrency: int = DEFAULT_CONCURRENCY,
    check: Check = "both",
) -> Iterator[LookupOutcome]:
    # The options are checked here, in the caller's thread, before anything starts.
    check_options(rate=rate, concurrency=concurrency, check=check, business_unit_id=business_unit_id)
    rows = input_rows(subscriber_ids)
    engine = ThreadedBulkLookup(
        sync_call(client, business_unit_id=business_unit_id), rate=rate, concurrency=concurrency, check=check
    )
    return _in_order_sync(engine, rows)


def _in_order_sync(engine: ThreadedBulkLookup, rows: Iterator[Any]) -> Iterator[LookupOutcome]:
    # A generator, so that nothing starts (no thread) until the caller iterates.
    outcomes = engine.outcomes(rows)
    try:
        yield from in_input_order_sync(outcomes)
    finally:
        outcomes.close()
