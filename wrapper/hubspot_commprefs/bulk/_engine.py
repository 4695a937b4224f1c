"""Bulk lookups: many subscribers, one outcome each, in input order, at HubSpot's rate-limit ceiling and
never over it.

Every request goes through one limiter (``_limiter``), one request per lookup (the client's retries are
off). ``_Engine`` decides on every answer: a row rate limited, or met by a 502/503/504 or a broken
connection, is sent again; a row that fails otherwise carries its error. A refused token (401, 403), a
used-up daily allowance, a ``Retry-After`` over ``MAX_SERVER_DELAY`` or a server that looks down
(``max(MIN_UNREACHABLE, 2 * self.concurrency)`` requests in a row without an answer) stops the run; a row in
flight that needs another request is left undone (never handed on with half its checks).

Both drivers run ``_Engine._look_up`` per row and differ only in how they wait: ``ThreadedBulkLookup``
(``lookup_many``, the ``bulk`` command) in a ``ThreadPoolExecutor`` while the caller's thread reads the
input and yields (Ctrl-C lands there, never inside httpx); ``BulkLookup`` in asyncio tasks. Both hold at
most ``read_ahead`` rows and yield from the head: input order, bounded memory. ``on_finish`` sees each
outcome the moment its row finishes, one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Set as AbstractSet
from collections.abc import Sized
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from hubspot_commprefs._errors import (
    APIConnectionError,
    AuthenticationError,
    CommPrefsError,
    IncompleteResultError,
    InvalidSubscriberIdError,
    PermissionDeniedError,
    RateLimitError,
)
from hubspot_commprefs.bulk._io import InputRow, ResumeState
from hubspot_commprefs.bulk._limiter import DEFAULT_RATE, AsyncLimiter, Limiter, Rate
from hubspot_commprefs.client import RetryPolicy

if TYPE_CHECKING:
    from collections.abc import (
        AsyncGenerator,
        Awaitable,
        Callable,
        Collection,
        Container,
        Generator,
        Iterable,
        Iterator,
    )

    from hubspot_commprefs.client import RateLimitInfo, SubscriptionStatuses, UnsubscribeAllStatus

Check = Literal["both", "unsubscribe-all", "statuses"]
CHECKS: tuple[Check, ...] = ("both", "unsubscribe-all", "statuses")
Operation = Literal["statuses", "unsubscribe-all"]
CANNOT_TELL = "cannot-tell"

DEFAULT_CONCURRENCY = 10
"""Requests in flight at once: enough to hold 250 per 10 s at up to 400 ms per answer."""

MAX_RATE_LIMITED = 10  # 429s one request may meet (each pausing the whole run) before its row is given up
MAX_FAILURES = 3  # retries of one request after a 502/503/504, a broken connection or a timeout
# Rows taken ahead of the oldest not yet yielded: enough for the others to go on while one waits.
READ_AHEAD_PER_WORKER = 32
MIN_READ_AHEAD = 256
MIN_UNREACHABLE = 10  # requests in a row without an answer that stop the run (or twice the concurrency)
SIGNAL_CHECK = 0.1  # seconds the caller's thread waits at most before it looks again (Ctrl-C, tick)
LEAVING_WAIT = 5.0  # seconds it waits, leaving on Ctrl-C, for a row being handed on
# The client's one retry rule with bulk's limits; 429s pause the whole run through the limiter instead.
RETRY = RetryPolicy(max_retries=MAX_FAILURES, retry_statuses=frozenset({502, 503, 504}))


@dataclass(frozen=True)
class LookupOutcome:
    """What one input row came to: ``outcome`` is ``ok``, ``error`` (``error`` says why), ``cannot-tell``
    (the answer, kept, tells nothing: ``error`` is an ``IncompleteResultError`` saying why), ``invalid`` or
    ``duplicate`` (not looked up: ``problem`` says why)."""

    row: int
    subscriber: str
    statuses: SubscriptionStatuses | None = None
    unsubscribe_all: UnsubscribeAllStatus | None = None
    error: Exception | None = None
    problem: str | None = None
    duplicate_of: int | None = None
    requests: int = 0

    @property
    def outcome(self) -> str:
        if self.duplicate_of is not None:
            return "duplicate"
        if self.problem is not None:
            return "invalid"
        if isinstance(self.error, IncompleteResultError):
            return CANNOT_TELL
        return "error" if self.error is not None else "ok"

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def unsubscribed_from_all(self) -> bool | None:
        """Whether the contact opted out of all email; None when not asked or when the answer cannot tell
        (never a False that would say "may email" without knowing)."""
        wide = self.unsubscribe_all
        return None if wide is None or wide.cannot_tell is not None else wide.verdict

    @property
    def error_message(self) -> str | None:
        if self.problem is not None:
            return self.problem
        if self.error is None:
            return None
        return f"{type(self.error).__name__}: {self.error}"

    def to_record(self) -> dict[str, Any]:
        """The output row: plain JSON values, keyed by the columns of ``hubspot-commprefs bulk``."""
        wide = self.unsubscribe_all
        opted_out = wide.opted_out if wide else []  # the client's rule, in its one home
        statuses = self.statuses
        return {
            "row": self.row,
            "subscriber": self.subscriber,
            "outcome": self.outcome,
            "unsubscribed_from_all": self.unsubscribed_from_all,
            "wide_status_type": ";".join(sorted({status.wide_status_type.value for status in opted_out}))
            or None,
            # ``is not None``: an answer with no subscription types is 0 and [], not "not asked"
            "subscribed": len(statuses.subscribed) if statuses is not None else None,
            "unsubscribed": len(statuses.unsubscribed) if statuses is not None else None,
            "statuses": [
                {
                    "subscriptionId": status.subscription_id,
                    "name": status.subscription_name if isinstance(status.subscription_name, str) else None,
                    "status": status.status.value,
                }
                for status in statuses
            ]
            if statuses is not None
            else None,
            "error": self.error_message,
        }


LookupOutcome.__module__ = "hubspot_commprefs"  # shown under its public name (see the package's __init__)


def _answer_problem(results: dict[str, Any]) -> IncompleteResultError | None:
    """Why the answers of one row tell nothing (the result type's rule, ``cannot_tell``), or None."""
    for result in results.values():
        reason = result.cannot_tell
        if reason is not None:
            return IncompleteResultError(reason, result=result)
    return None


@dataclass
class BulkStats:
    """Counts of one run, for the summary line and the benchmark."""

    rows: int = 0
    requests: int = 0
    rate_limited: int = 0


def check_options(*, rate: object, concurrency: object, check: object) -> tuple[Rate, int, Check]:
    """Check the bulk options before anything starts; raise TypeError/ValueError naming the option."""
    if isinstance(rate, str):
        rate = Rate.parse(rate)
    if not isinstance(rate, Rate):
        raise TypeError(f"rate must be a Rate or a str such as '100/10s', not {type(rate).__name__}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError(f"concurrency must be an int, not {type(concurrency).__name__}")
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    if check not in CHECKS:
        raise ValueError(f"check must be one of {', '.join(CHECKS)}, not {check!r}")
    return rate, concurrency, check


class _Stopped(Exception):  # noqa: N818 - a control-flow signal inside this module
    """The run stopped: the row that still needs a request is left undone, for ``--resume``."""


def _stops_the_run(error: CommPrefsError) -> bool:
    """A refused token, the daily limit used up, or a wait over MAX_SERVER_DELAY (not waited, as by the client)."""
    return isinstance(error, (AuthenticationError, PermissionDeniedError)) or (
        isinstance(error, RateLimitError) and RETRY.waiting_cannot_help(error)
    )


@dataclass
class _Attempts:
    """How one lookup's requests went so far."""

    requests: int = 0
    rate_limited: int = 0
    failures: int = 0


class _Engine:
    """What both drivers share: the options, the counts, the read-ahead, and every decision taken on one
    request's answer or error (retry, back off, give the row up, stop the run)."""

    limiter: Limiter | AsyncLimiter
    # How a driver takes a slot (None once cancelled), sends a request, waits (True: the run stopped).
    _acquire: Callable[[], Awaitable[float | None]]
    _send: Callable[[Operation, str], Awaitable[Any]]
    _wait: Callable[[float], Awaitable[bool]]

    def __init__(
        self,
        call: Callable[[Operation, str], Any],
        *,
        rate: Rate | str,
        concurrency: int,
        check: Check,
        on_finish: Callable[[LookupOutcome], None] | None,
    ) -> None:
        self.rate, self.concurrency, check = check_options(rate=rate, concurrency=concurrency, check=check)
        self.call = call
        self.operations: tuple[Operation, ...] = (
            ("unsubscribe-all", "statuses") if check == "both" else (check,)
        )
        self.stats = BulkStats()
        self.unreachable_limit = max(MIN_UNREACHABLE, 2 * self.concurrency)
        self.read_ahead = max(MIN_READ_AHEAD, READ_AHEAD_PER_WORKER * self.concurrency)
        self._on_finish = on_finish
        self._lock = threading.Lock()  # the counts, the decisions, ``on_finish``
        self._stop_error: BaseException | None = None  # why the run stopped, raised by ``outcomes``
        self._interrupted = False
        self._left = False  # the caller's thread left without waiting: no row is handed on any more
        self._count_rows = False
        self._exhausted = False
        self._input_error: Exception | None = None  # what reading the input raised
        self._unanswered = 0  # requests in a row that got no answer

    def interrupt(self) -> None:
        """Stop gently (the ``bulk`` command's first Ctrl-C): no further request, the rows in flight end,
        then ``outcomes()`` raises ``KeyboardInterrupt``. A flag: safe in a signal handler."""
        self._interrupted = True

    def _stopped(self) -> bool:
        return self._interrupted or self._stop_error is not None

    def _stop(self, error: BaseException) -> None:
        """End the run because of ``error`` (the first reason is kept): no further request."""
        if self._stop_error is None:
            self._stop_error = error

    def _raise_why(self) -> None:
        """Raise what ended the run early, if anything did."""
        if self._stop_error is not None and not isinstance(self._stop_error, _Stopped):
            raise self._stop_error
        if self._input_error is not None:
            raise self._input_error

    def _observe(self, sent_at: float, rate_limit: RateLimitInfo | None) -> None:
        if rate_limit is not None:
            interval = rate_limit.interval_ms / 1000 if rate_limit.interval_ms else None
            self.limiter.observe(
                sent_at, remaining=rate_limit.remaining, limit=rate_limit.max, interval=interval
            )

    def _answered(self, sent_at: float, result: Any) -> None:
        """One request got its answer (holding the lock)."""
        self.stats.requests += 1
        self._unanswered = 0
        self._observe(sent_at, getattr(result, "rate_limit", None))

    def _failed(self, sent_at: float, attempts: _Attempts, error: CommPrefsError) -> float:
        """One request failed (under the lock): seconds to wait before sending it again, or raise."""
        self.stats.requests += 1
        self._observe(sent_at, getattr(error, "rate_limit", None))
        if isinstance(error, APIConnectionError):
            self._unanswered += 1
            if self._unanswered >= self.unreachable_limit:
                self._stop(
                    APIConnectionError(
                        f"{self._unanswered} requests in a row got no answer: the server looks down or "
                        f"unreachable (the last: {error})"
                    )
                )
                raise _Stopped
        else:
            self._unanswered = 0  # an answer, even an error, means the server is there
        if _stops_the_run(error):
            self._stop(error)
            raise _Stopped
        if isinstance(error, RateLimitError) and attempts.rate_limited < MAX_RATE_LIMITED:
            attempts.rate_limited += 1
            self.stats.rate_limited += 1
            self.limiter.rate_limited(error.retry_after)
            return 0.0
        if RETRY.retryable(error) and attempts.failures < MAX_FAILURES:
            attempts.failures += 1
            return RETRY.backoff(attempts.failures)
        raise error

    @staticmethod
    def _outcome(
        row: InputRow, results: dict[str, Any], requests: int, failure: Exception | None = None
    ) -> LookupOutcome:
        """The outcome of a row whose lookups were answered, or one of which raised ``failure``."""
        if isinstance(failure, InvalidSubscriberIdError):
            # The client refused the id before sending anything: an invalid id, as the input check finds.
            return LookupOutcome(row.number, row.subscriber, problem=str(failure))
        return LookupOutcome(
            row=row.number,
            subscriber=row.subscriber,
            statuses=results.get("statuses"),
            unsubscribe_all=results.get("unsubscribe-all"),
            error=failure or _answer_problem(results),
            requests=requests,
        )

    def _hand_on(self, outcome: LookupOutcome) -> LookupOutcome | None:
        """Give the row to ``on_finish``; None when not handed on (the caller left, ``on_finish`` failed)."""
        with self._lock:
            if self._left:
                return None
            if self._on_finish is not None:
                try:
                    self._on_finish(outcome)
                except Exception as error:  # noqa: BLE001 - raised by outcomes() once the rows in flight end
                    self._stop(error)
                    return None
        return outcome

    def _skip_of(
        self, skip: ResumeState | Collection[int] | Iterable[int], rows: object, total: int | None
    ) -> Container[int]:
        """Count the rows to do (``stats.rows``) and return the row numbers to skip, as a container."""
        done = skip if isinstance(skip, (AbstractSet, range, ResumeState)) else set(skip)
        if total is None and isinstance(rows, Sized):
            total = len(rows)
        self._count_rows = total is None
        if total is not None:
            self.stats.rows += total - len(done)
        return done

    def _next_row(self, pending: Iterator[InputRow], done: Container[int]) -> InputRow | None:
        """The next row to do; None at the end, once stopped, or when reading failed (raised later)."""
        if self._exhausted or self._stopped():
            return None
        try:
            for row in pending:
                if row.number not in done:
                    if self._count_rows:
                        self.stats.rows += 1
                    return row
        except Exception as error:  # noqa: BLE001 - raised by outcomes() once the rows before it end
            self._input_error = error
        self._exhausted = True
        return None

    def _take(
        self,
        taken: deque[Any],
        pending: Iterator[InputRow],
        done: Container[int],
        start: Callable[[InputRow], Any],
        ready: Callable[[], Any],
    ) -> None:
        """Take rows up to the read-ahead: ``start(row)`` looks one up; a row with a problem finishes now, in
        a ``ready()`` future."""
        while len(taken) < self.read_ahead and (row := self._next_row(pending, done)) is not None:
            if row.problem is None:
                taken.append(start(row))
                continue
            future = ready()
            future.set_result(self._hand_on(_unlooked(row)))
            taken.append(future)

    def _result(self, future: Future[LookupOutcome | None] | asyncio.Future[LookupOutcome | None]) -> Any:
        """The outcome of a finished row's future; None when it is undone (the run stops on its error)."""
        if future.cancelled():
            return None
        error = future.exception()
        if error is not None:
            self._stop(error)
            return None
        return future.result()

    async def _look_up(self, row: InputRow) -> LookupOutcome | None:
        """Look ``row`` up and hand it on; None when the run stopped before it was done."""
        results: dict[str, Any] = {}
        requests = 0
        for operation in self.operations:
            attempts = _Attempts()
            try:
                results[operation] = await self._request(operation, row.subscriber, attempts)
            except _Stopped:
                return None
            except Exception as failure:  # noqa: BLE001 - a row that failed, never a lost row or a lost run
                return self._hand_on(self._outcome(row, results, requests + attempts.requests, failure))
            requests += attempts.requests
        return self._hand_on(self._outcome(row, results, requests))

    async def _request(self, operation: Operation, subscriber: str, attempts: _Attempts) -> Any:
        """One lookup, sent again as the module says (``attempts`` counts its requests)."""
        while True:
            sent_at = None if self._stopped() else await self._acquire()
            if sent_at is None:
                raise _Stopped
            try:
                if self._stopped():  # stopped while this request waited for its slot
                    raise _Stopped
                attempts.requests += 1
                try:
                    result = await self._send(operation, subscriber)
                except CommPrefsError as error:
                    with self._lock:
                        backoff = self._failed(sent_at, attempts, error)
                else:
                    with self._lock:
                        self._answered(sent_at, result)
                    return result
            finally:
                self.limiter.release()
            if backoff and await self._wait(backoff):
                raise _Stopped


class ThreadedBulkLookup(_Engine):
    """Looks many subscribers up in ``concurrency`` threads through ``call(operation, subscriber)``: one
    blocking request that raises the client's typed errors. ``check`` picks the operations."""

    def __init__(
        self,
        call: Callable[[Operation, str], Any],
        *,
        rate: Rate | str = DEFAULT_RATE,
        concurrency: int = DEFAULT_CONCURRENCY,
        check: Check = "both",
        limiter: Limiter | None = None,
        on_finish: Callable[[LookupOutcome], None] | None = None,
    ) -> None:
        super().__init__(call, rate=rate, concurrency=concurrency, check=check, on_finish=on_finish)
        self.limiter = self._limiter = limiter or Limiter(self.rate)
        self._stopping = threading.Event()  # what a row waiting out a backoff waits on

    def _stop(self, error: BaseException) -> None:
        super()._stop(error)
        self._stopping.set()
        self._limiter.cancel()

    def outcomes(
        self,
        rows: Iterable[InputRow],
        *,
        skip: ResumeState | Collection[int] | Iterable[int] = (),
        total: int | None = None,
        tick: Callable[[], None] | None = None,
        tick_every: float = 0.5,
    ) -> Generator[LookupOutcome, None, None]:
        """Yield one outcome per row not in ``skip``, in input order; rows with a problem finish when read.
        ``total`` (when ``rows`` has no length) is for ``stats.rows``; ``tick`` is called every
        ``tick_every`` s or so, under the lock ``on_finish`` runs under. When the run stops (401, 403, the
        daily limit, ``interrupt()``, a failing input or ``on_finish``), the rows in flight end, the
        finished rows up to the first undone one are yielded, then the error is raised; ``close()`` sends
        no further request; on Ctrl-C it leaves at once, handing on no row any more."""
        done = self._skip_of(skip, rows, total)
        pending = iter(rows)
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="bulk-lookup")
        taken: deque[Future[LookupOutcome | None]] = deque()
        finished: queue.SimpleQueue[object] = queue.SimpleQueue()  # wakes this thread when a row ends
        next_tick = time.monotonic() + tick_every
        wait = True
        try:
            while True:
                if self._interrupted:
                    self._stop(KeyboardInterrupt())
                self._take(taken, pending, done, lambda row: self._submit(pool, row, finished), Future)
                if not taken:
                    break
                if taken[0].done():
                    outcome = self._result(taken.popleft())
                    if outcome is None:  # undone: the run stopped; nothing after it comes out of order
                        break
                    yield outcome
                    continue
                with contextlib.suppress(queue.Empty):
                    finished.get(timeout=SIGNAL_CHECK)
                if tick is not None and time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + tick_every
                    with self._lock:
                        try:
                            tick()
                        except (OSError, ValueError):  # a display that fails stops drawing, not the run
                            tick = None
        except BaseException as error:
            self._stop(error)
            wait = isinstance(error, (Exception, GeneratorExit))
            if not wait:  # Ctrl-C: leave at once, but never while a row is being handed on (written)
                held = self._lock.acquire(timeout=LEAVING_WAIT)
                self._left = True
                if held:
                    self._lock.release()
            raise
        finally:
            self._stop(_Stopped())  # the run is over: idle threads and waits end now
            pool.shutdown(wait=wait, cancel_futures=True)
        self._raise_why()

    def _submit(
        self, pool: ThreadPoolExecutor, row: InputRow, finished: queue.SimpleQueue[object]
    ) -> Future[LookupOutcome | None]:
        future = pool.submit(self._run_row, row)
        future.add_done_callback(finished.put)
        return future

    def _run_row(self, row: InputRow) -> LookupOutcome | None:
        """``_look_up`` in this thread: nothing in it suspends."""
        steps = self._look_up(row)
        try:
            while True:
                steps.send(None)
        except StopIteration as finished:
            return cast("LookupOutcome | None", finished.value)

    async def _acquire(self) -> float | None:
        return self._limiter.acquire()

    async def _send(self, operation: Operation, subscriber: str) -> Any:
        return self.call(operation, subscriber)

    async def _wait(self, seconds: float) -> bool:
        return self._stopping.wait(seconds)


class BulkLookup(_Engine):
    """``ThreadedBulkLookup`` for an awaitable ``call``, in asyncio tasks; a stop cancels the rows in flight
    (left undone)."""

    def __init__(
        self,
        call: Callable[[Operation, str], Awaitable[Any]],
        *,
        rate: Rate | str = DEFAULT_RATE,
        concurrency: int = DEFAULT_CONCURRENCY,
        check: Check = "both",
        limiter: AsyncLimiter | None = None,
        on_finish: Callable[[LookupOutcome], None] | None = None,
    ) -> None:
        super().__init__(call, rate=rate, concurrency=concurrency, check=check, on_finish=on_finish)
        self.limiter = self._limiter = limiter or AsyncLimiter(self.rate)
        self._sleep = asyncio.sleep  # what a backoff waits with
        self._tasks: deque[asyncio.Future[LookupOutcome | None]] = deque()

    def _stop(self, error: BaseException) -> None:
        super()._stop(error)
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()

    async def outcomes(
        self,
        rows: Iterable[InputRow],
        *,
        skip: ResumeState | Collection[int] | Iterable[int] = (),
        total: int | None = None,
    ) -> AsyncGenerator[LookupOutcome, None]:
        """``ThreadedBulkLookup.outcomes``, awaited."""
        done = self._skip_of(skip, rows, total)
        pending = iter(rows)
        turns = asyncio.Semaphore(self.concurrency)
        taken = self._tasks = deque()
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._take(
                    taken,
                    pending,
                    done,
                    lambda row: loop.create_task(self._turn(row, turns)),
                    loop.create_future,
                )
                if not taken:
                    break
                head = taken[0]
                if not head.done():
                    await asyncio.wait([head])
                    continue
                outcome = self._result(taken.popleft())
                if outcome is None:
                    break
                yield outcome
        finally:
            for task in taken:
                task.cancel()
            await asyncio.gather(*taken, return_exceptions=True)
        self._raise_why()

    async def _turn(self, row: InputRow, turns: asyncio.Semaphore) -> LookupOutcome | None:
        async with turns:
            return await self._look_up(row)

    async def _acquire(self) -> float | None:
        return await self._limiter.acquire()

    async def _send(self, operation: Operation, subscriber: str) -> Any:
        return await self.call(operation, subscriber)

    async def _wait(self, seconds: float) -> bool:
        await self._sleep(seconds)
        return False


def _unlooked(row: InputRow) -> LookupOutcome:
    """The outcome of a row with a problem (invalid, duplicate): no request."""
    return LookupOutcome(row.number, row.subscriber, problem=row.problem, duplicate_of=row.duplicate_of)
