"""The Python face of bulk lookups: many ids in, one ``LookupOutcome`` per id out, in input order.

``CommPrefs.lookup_many`` and ``AsyncCommPrefs.lookup_many`` call these. Each lookup makes exactly one
request (the client's own retries are bypassed: the bulk limiter decides when a rate-limited or failed
request is sent again, so that no request escapes it). The sync version runs the same engine on an event
loop in a background thread, the client's blocking calls in a pool of ``concurrency`` threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
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

__all__ = ["async_call", "lookup_many", "lookup_many_async", "sync_call", "threaded_call"]


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


def threaded_call(
    client: CommPrefs, executor: Executor, *, business_unit_id: int | None = None
) -> Callable[[Operation, str], Awaitable[Any]]:
    """``sync_call`` run in ``executor``'s threads, awaitable: httpx's blocking client in a few threads
    costs less CPU per request than its async client, which matters only when HubSpot is fast."""
    return threaded_call_from(sync_call(client, business_unit_id=business_unit_id), executor)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if not future.done():  # not cancelled meanwhile (Ctrl-C, a stopped run)
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


def threaded_call_from(
    blocking: Callable[[Operation, str], Any], executor: Executor
) -> Callable[[Operation, str], Awaitable[Any]]:
    """``blocking`` run in ``executor``'s threads, awaitable. Lighter than ``loop.run_in_executor``: the
    thread settles the loop's own future (one ``call_soon_threadsafe``), with no concurrent future chained
    to it, which at zero latency is a measurable share of the CPU of a row."""

    async def call(operation: Operation, subscriber: str) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def run() -> None:
            try:
                result = blocking(operation, subscriber)
            except BaseException as error:  # noqa: BLE001 - raised in the awaiting task
                loop.call_soon_threadsafe(_settle, future, None, error)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)

        executor.submit(run)
        return await future

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
    blocking = sync_call(client, business_unit_id=business_unit_id)
    engine_args: dict[str, Any] = {"rate": rate, "concurrency": concurrency, "check": check}
    return _background(rows, blocking, engine_args)


_END = object()
HANDOFF = 256
"""Outcomes the background loop hands over ahead of the caller's ``for`` (then it waits for room)."""


class _Background:
    """The engine on its own event loop in a thread, handing outcomes over through a queue."""

    def __init__(
        self, rows: Iterator[Any], blocking: Callable[[Operation, str], Any], engine_args: dict[str, Any]
    ) -> None:
        self.rows = rows
        self.blocking = blocking
        self.engine_args = engine_args
        self.handoff: queue.Queue[Any] = queue.Queue()
        self.loop = asyncio.new_event_loop()
        self.pool = ThreadPoolExecutor(
            max_workers=engine_args["concurrency"], thread_name_prefix="bulk-lookup"
        )
        self.tasks: list[asyncio.Task[None]] = []
        self.room = asyncio.Event()  # set by the caller's thread when it took outcomes from a full handoff
        self.waiting_for_room = False
        self.thread = threading.Thread(target=self._run, name="bulk-lookup", daemon=True)

    async def _pump(self) -> None:
        call = threaded_call_from(self.blocking, self.pool)
        outcomes = BulkLookup(call, **self.engine_args).outcomes(self.rows)
        try:
            async for outcome in in_input_order(outcomes):
                if self.handoff.qsize() >= HANDOFF:  # the caller is slower than the lookups: wait for it
                    self.room.clear()
                    self.waiting_for_room = True
                    if self.handoff.qsize() >= HANDOFF:
                        await self.room.wait()
                    self.waiting_for_room = False
                self.handoff.put(outcome)
        except Exception as error:  # noqa: BLE001 - handed to the caller's thread and raised there
            self.handoff.put(error)
        finally:
            await outcomes.aclose()
            self.handoff.put(_END)

    def _run(self) -> None:
        self.tasks.append(self.loop.create_task(self._pump()))
        with contextlib.suppress(asyncio.CancelledError):
            self.loop.run_until_complete(self.tasks[0])
        self.loop.close()

    def _cancel(self) -> None:
        for task in self.tasks:
            task.cancel()

    def __iter__(self) -> Iterator[LookupOutcome]:
        self.thread.start()
        try:
            while (item := self.handoff.get()) is not _END:
                if isinstance(item, Exception):
                    raise item
                if self.waiting_for_room and self.handoff.qsize() < HANDOFF // 2:
                    self.waiting_for_room = False
                    with contextlib.suppress(RuntimeError):  # the loop closed in the meantime
                        self.loop.call_soon_threadsafe(self.room.set)
                yield item
        finally:
            if self.thread.is_alive():
                with contextlib.suppress(RuntimeError):  # the loop closed in the meantime
                    self.loop.call_soon_threadsafe(self._cancel)
            self.thread.join()
            self.pool.shutdown(wait=True, cancel_futures=True)


def _background(
    rows: Iterator[Any], blocking: Callable[[Operation, str], Any], engine_args: dict[str, Any]
) -> Iterator[LookupOutcome]:
    # A generator, so that nothing starts (no loop, no threads) until the caller iterates.
    yield from _Background(rows, blocking, engine_args)
