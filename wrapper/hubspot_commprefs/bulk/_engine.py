"""Bulk lookups: many subscribers, one outcome each, at HubSpot's rate-limit ceiling and never over it.

``BulkLookup`` runs ``concurrency`` workers over the rows. Every request goes through one
``RollingWindowLimiter``, which holds the configured rate and slows down on HubSpot's rate-limit headers
and 429s. A row that was rate limited, or met a 502/503/504 or a broken connection, is tried again (the
client's own retries are off here, so that every request the limiter did not admit is never sent); a row
that fails otherwise carries its error. A rejected token (401, 403), an exhausted daily allowance or a
``Retry-After`` over ``MAX_SERVER_DELAY`` (60 s, the longest the client waits for HubSpot) stops the run:
every other row would fail or wait the same way, so they are left for ``--resume``. So does a server that
looks down: ``max(MIN_UNREACHABLE, 2 * concurrency)`` requests in a row without an answer (connection
refused or broken, timeouts) stop the run with an ``APIConnectionError`` instead of failing every row in
turn after its retries.

``outcomes()`` yields outcomes as they finish, reading the rows as they are needed (at most ``read_ahead``
past the oldest row not yielded yet); ``in_input_order()`` puts them back in input order. An
``on_finish`` callback sees each outcome the moment its row finishes, inside the worker, so that a caller
that records rows (the ``bulk`` command) loses none when the run is cancelled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Set as AbstractSet
from collections.abc import Sized
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from hubspot_commprefs._errors import (
    APIConnectionError,
    AuthenticationError,
    CommPrefsError,
    IncompleteResultError,
    InvalidSubscriberIdError,
    PermissionDeniedError,
    RateLimitError,
)
from hubspot_commprefs.bulk._io import DoneRows, InputRow, iter_rows_from_ids
from hubspot_commprefs.bulk._limiter import DEFAULT_RATE, Rate, RollingWindowLimiter
from hubspot_commprefs.bulk._pace import Pace
from hubspot_commprefs.client import UNSUBSCRIBED, RetryPolicy
from hubspot_commprefs.schemas import INT64_MAX, INT64_MIN

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable, Collection, Container, Iterable, Iterator

    from hubspot_commprefs.client import RateLimitInfo, SubscriptionStatuses, UnsubscribeAllStatus

__all__ = [
    "CHECKS",
    "DEFAULT_CONCURRENCY",
    "BulkLookup",
    "BulkStats",
    "Check",
    "LookupOutcome",
    "Operation",
    "check_options",
    "in_input_order",
]

Check = Literal["both", "unsubscribe-all", "statuses"]
CHECKS: tuple[Check, ...] = ("both", "unsubscribe-all", "statuses")
Operation = Literal["statuses", "unsubscribe-all"]
CANNOT_TELL = "cannot-tell"
"""The outcome of a row whose answer tells nothing (see ``LookupOutcome``)."""

DEFAULT_CONCURRENCY = 10
"""Requests in flight at once: enough to hold 250 per 10 s at up to 400 ms per answer."""

MAX_RATE_LIMITED = 10
"""How many 429s one request may meet before its row is given up (each pauses the whole run first)."""

MAX_FAILURES = 3
"""Retries of one request after a 502/503/504, a broken connection or a timeout."""

READ_AHEAD_PER_WORKER = 32
"""Rows read ahead of the oldest row not yet finished and handed on, per worker (``concurrency``), and at
least ``MIN_READ_AHEAD``: what bounds the memory of a run, and of putting its outcomes back in input order,
whatever the length of the input; enough for the other workers to go on while one row waits out a backoff."""

MIN_READ_AHEAD = 256

MIN_UNREACHABLE = 10
"""Requests in a row without an answer that stop the run (at least; twice the concurrency when larger)."""

RETRY = RetryPolicy(max_retries=MAX_FAILURES, retry_statuses=frozenset({502, 503, 504}))
"""Bulk's limits on the client's one retry rule (429s are not among its statuses: they pause the whole run
through the limiter instead, at most ``MAX_RATE_LIMITED`` times per request)."""


@dataclass(frozen=True)
class LookupOutcome:
    """What one input row came to.

    ``outcome`` is ``ok``, ``error`` (the lookup failed: ``error`` says why), ``cannot-tell`` (an answer
    whose ``cannot_tell`` says why it tells nothing: an operation that is not COMPLETE, that lists or
    counts errors, or a wide status this client does not know; ``error`` is an ``IncompleteResultError``
    saying so, and the answer is kept), ``invalid`` or ``duplicate`` (not looked up: ``problem`` says why).
    """

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
        """Whether the contact opted out of all email; None when that was not asked, or when the answer
        cannot tell (its ``cannot_tell``: never a False that would say "may email" without knowing)."""
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
        opted_out = (
            [status for status in wide.wide_statuses if status.status.value == UNSUBSCRIBED] if wide else []
        )
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
    looked_up: int = 0
    failed: int = 0
    skipped: int = 0
    requests: int = 0
    rate_limited: int = 0
    retried: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)


def check_options(
    *, rate: object, concurrency: object, check: object, business_unit_id: object = None
) -> tuple[Rate, int, Check]:
    """Check the bulk options before anything starts; raise TypeError/ValueError naming the option."""
    if isinstance(rate, str):
        parsed = Rate.parse(rate)
    elif isinstance(rate, Rate):
        parsed = rate
    else:
        raise TypeError(f"rate must be a Rate or a str such as '100/10s', not {type(rate).__name__}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError(f"concurrency must be an int, not {type(concurrency).__name__}")
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    if check not in CHECKS:
        raise ValueError(f"check must be one of {', '.join(CHECKS)}, not {check!r}")
    if business_unit_id is not None:
        if isinstance(business_unit_id, bool) or not isinstance(business_unit_id, int):
            raise TypeError(f"business_unit_id must be an int or None, not {type(business_unit_id).__name__}")
        if not INT64_MIN <= business_unit_id <= INT64_MAX:
            raise ValueError(f"business_unit_id {business_unit_id} is out of the int64 range")
    return parsed, concurrency, check


class _StopRunError(Exception):
    """A failure that every further request would meet too (its ``__cause__`` is HubSpot's error)."""


class _RunEndingError(Exception):
    """The run stopped (another row's ``_StopRunError``, the caller stopped iterating): a row that still
    needs a request is left unfinished, for ``--resume``, rather than sending it."""


def _stops_the_run(error: CommPrefsError) -> bool:
    if isinstance(error, (AuthenticationError, PermissionDeniedError)):
        return True
    if isinstance(error, RateLimitError):
        # The daily limit used up, or a wait over MAX_SERVER_DELAY: not waited for, as by the client.
        return RETRY.waiting_cannot_help(error)
    return False


def _retryable(error: CommPrefsError) -> bool:
    return RETRY.retryable(error)


@dataclass
class _Attempts:
    """How one lookup's requests went so far."""

    requests: int = 0
    rate_limited: int = 0
    failures: int = 0


class _Engine:
    """What both drivers of a bulk run share: the options, the counts, and every decision (retry, back
    off, give the row up, stop the run) taken on one request's answer or error. The drivers add only the
    waiting and the running side by side: ``BulkLookup`` (asyncio tasks) and ``ThreadedBulkLookup``
    (threads, in ``_threads``), whose methods of the same name are twins, the one awaited, the other not."""

    limiter: Any  # RollingWindowLimiter or ThreadedRollingWindowLimiter: ``observe``, ``rate_limited``

    def __init__(self, *, concurrency: int, check: Check) -> None:
        self.concurrency = concurrency
        self.operations: tuple[Operation, ...] = (
            ("unsubscribe-all", "statuses") if check == "both" else (check,)
        )
        self.stats = BulkStats()
        self.unreachable_limit = max(MIN_UNREACHABLE, 2 * concurrency)
        self.read_ahead = max(MIN_READ_AHEAD, READ_AHEAD_PER_WORKER * concurrency)
        self._unyielded: dict[int, None] = {}  # rows taken and not yielded yet, in input order
        self._last_row = 0
        self._count_rows = False
        self._unanswered = 0  # requests in a row that got no answer

    def _observe(self, slot: Any, rate_limit: RateLimitInfo | None) -> None:
        if rate_limit is None:
            return
        interval = rate_limit.interval_ms / 1000 if rate_limit.interval_ms else None
        self.limiter.observe(slot, remaining=rate_limit.remaining, limit=rate_limit.max, interval=interval)

    def _answered(self, slot: Any, result: Any) -> None:
        """One request got its answer (``slot`` still held)."""
        self._unanswered = 0
        self._observe(slot, getattr(result, "rate_limit", None))

    def _failed(self, slot: Any, attempts: _Attempts, error: CommPrefsError) -> float:
        """One request failed (``slot`` still held): the seconds to wait before it is sent again, 0 for
        at once (after a 429, the limiter holds it), or the error raised: the row's, or ``_StopRunError``."""
        self._observe(slot, getattr(error, "rate_limit", None))
        self._count_unanswered(error)
        if _stops_the_run(error):
            raise _StopRunError from error
        backoff = 0.0
        if isinstance(error, RateLimitError) and attempts.rate_limited < MAX_RATE_LIMITED:
            attempts.rate_limited += 1
            self.stats.rate_limited += 1
            self.limiter.rate_limited(error.retry_after)
        elif _retryable(error) and attempts.failures < MAX_FAILURES:
            attempts.failures += 1
            backoff = RETRY.backoff(attempts.failures)
        else:
            raise error
        self.stats.retried += 1
        return backoff

    def _count_unanswered(self, error: CommPrefsError) -> None:
        """Count requests in a row without an answer; stop the run when the server looks down."""
        if not isinstance(error, APIConnectionError):
            self._unanswered = 0  # an answer, even an error, means the server is there
            return
        self._unanswered += 1
        if self._unanswered >= self.unreachable_limit:
            down = APIConnectionError(
                f"{self._unanswered} requests in a row got no answer: the server looks down or unreachable "
                f"(the last: {error})"
            )
            raise _StopRunError from down

    @staticmethod
    def _given_up(row: InputRow, failure: Exception, results: dict[str, Any], requests: int) -> LookupOutcome:
        """The outcome of a row one of whose lookups raised ``failure`` (never ``_StopRunError``)."""
        if isinstance(failure, InvalidSubscriberIdError):
            # The client refused the id before sending anything: the row's id is invalid, like one the
            # input check refuses. Only this class: an error met while reading an answer is an error.
            return LookupOutcome(row.number, row.subscriber, problem=str(failure))
        return LookupOutcome(
            row=row.number,
            subscriber=row.subscriber,
            statuses=results.get("statuses"),
            unsubscribe_all=results.get("unsubscribe-all"),
            error=failure,
            requests=requests,
        )

    @staticmethod
    def _answered_row(row: InputRow, results: dict[str, Any], requests: int) -> LookupOutcome:
        """The outcome of a row whose every lookup was answered (an error when the answers cannot be
        trusted: see ``_answer_problem``)."""
        return LookupOutcome(
            row=row.number,
            subscriber=row.subscriber,
            statuses=results.get("statuses"),
            unsubscribe_all=results.get("unsubscribe-all"),
            error=_answer_problem(results),
            requests=requests,
        )

    @staticmethod
    def _unlooked(row: InputRow) -> LookupOutcome:
        """The outcome of a row with a problem (invalid, duplicate): no request."""
        return LookupOutcome(row.number, row.subscriber, problem=row.problem, duplicate_of=row.duplicate_of)

    def _skip_of(
        self, skip: DoneRows | Collection[int] | Iterable[int], rows: object, total: int | None
    ) -> Container[int]:
        """Count the rows to do (``stats.rows``) and return the row numbers to skip, as a container."""
        done = skip if isinstance(skip, (AbstractSet, range, DoneRows)) else set(skip)
        if total is None and isinstance(rows, Sized):
            total = len(rows)
        self._count_rows = total is None
        if total is not None:
            self.stats.rows += total - len(done)
        return done

    def _next_row(self, pending: Iterator[InputRow], done: Container[int]) -> InputRow | None:
        """The next row to do, or None at the end of the input."""
        for row in pending:
            if row.number in done:
                continue
            if self._count_rows:
                self.stats.rows += 1
            self._unyielded[row.number] = None
            self._last_row = row.number
            return row
        return None

    def _no_room(self) -> bool:
        """Whether the next row would be ``read_ahead`` rows past the oldest one not yielded yet."""
        unyielded = self._unyielded
        return bool(unyielded) and self._last_row + 1 - next(iter(unyielded)) >= self.read_ahead

    def _yielded(self, number: int) -> bool:
        """Row ``number`` leaves the engine; True when it was the oldest (room was made)."""
        unyielded = self._unyielded
        oldest = next(iter(unyielded)) == number
        del unyielded[number]
        return oldest

    def _counted(self, outcome: LookupOutcome, looked_up: bool) -> LookupOutcome:
        if looked_up:
            self.stats.looked_up += 1
        name = outcome.outcome
        self.stats.by_outcome[name] = self.stats.by_outcome.get(name, 0) + 1
        if name == "error":
            self.stats.failed += 1
        return outcome


class BulkLookup(_Engine):
    """Looks many subscribers up through ``call(operation, subscriber)``, an awaitable single lookup
    (``"statuses"`` or ``"unsubscribe-all"``) that makes exactly one request and raises the client's
    typed errors. ``check`` picks which of the two each row asks."""

    def __init__(
        self,
        call: Callable[[Operation, str], Awaitable[Any]],
        *,
        rate: Rate | str = DEFAULT_RATE,
        concurrency: int = DEFAULT_CONCURRENCY,
        check: Check = "both",
        limiter: RollingWindowLimiter | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_finish: Callable[[LookupOutcome], None] | None = None,
    ) -> None:
        parsed, concurrency, check = check_options(rate=rate, concurrency=concurrency, check=check)
        super().__init__(concurrency=concurrency, check=check)
        self.call = call
        self.limiter = limiter or RollingWindowLimiter(parsed)
        self._room_made = asyncio.Event()  # room in the read-ahead, or a turn in the pace
        self._stop: list[BaseException] = []
        self.pace = Pace(concurrency, time.monotonic())
        self._working = 0  # tasks with a row in hand
        self._cpu_mark = time.thread_time()  # the event loop's thread: every task's CPU, for the pace
        self._sleep = sleep
        self._on_finish = on_finish

    async def _request(self, operation: Operation, subscriber: str, attempts: _Attempts) -> Any:
        """One lookup, retried as the module says (``attempts`` counts its requests, whatever the end)."""
        while True:
            if self._stop:
                raise _RunEndingError
            async with self.limiter.slot() as slot:
                attempts.requests += 1
                try:
                    result = await self.call(operation, subscriber)
                except CommPrefsError as error:
                    backoff = self._failed(slot, attempts, error)
                else:
                    self._answered(slot, result)
                    return result
            if backoff:
                await self._sleep(backoff)

    async def _lookup(self, row: InputRow) -> LookupOutcome:
        results: dict[str, Any] = {}
        requests = 0
        for operation in self.operations:
            attempts = _Attempts()
            try:
                results[operation] = await self._request(operation, row.subscriber, attempts)
            except (_StopRunError, _RunEndingError):
                raise
            except Exception as failure:  # noqa: BLE001 - a row that failed, never a lost row or a lost run
                return self._given_up(row, failure, results, requests + attempts.requests)
            requests += attempts.requests
        return self._answered_row(row, results, requests)

    async def outcomes(
        self,
        rows: Iterable[InputRow],
        *,
        skip: DoneRows | Collection[int] | Iterable[int] = (),
        total: int | None = None,
    ) -> AsyncGenerator[LookupOutcome, None]:
        """Yield one outcome per row not in ``skip`` (row numbers), as each finishes.

        ``rows`` is read as the workers need rows, never more than ``read_ahead`` rows past the oldest row
        whose outcome has not been yielded yet, so that neither this engine nor a caller putting outcomes
        back in input order holds more than that many, however long the input. Rows with a problem
        (invalid, duplicate) finish when they are reached, without a request. ``total`` (the number of
        rows, when ``rows`` has no length) is only for ``stats.rows``. Raises the client's error when the
        run had to stop (401, 403, daily limit), after yielding every row that finished.
        """
        done = self._skip_of(skip, rows, total)
        async for outcome, looked_up in self._finished(iter(rows), done):
            yield self._counted(outcome, looked_up)

    async def _room(self) -> None:
        """Wait while the next row would be ``read_ahead`` rows past the oldest one not yielded yet, or
        the pace has no turn for one more."""
        while self._no_room() or self._working >= self.pace.limit:
            self._room_made.clear()
            await self._room_made.wait()

    async def _pacing(self) -> None:
        """Every ``pace.interval``, ask the pace whether rows in flight only wait (no row finished): a row
        stuck on a slow answer must not hold the run at a pace of 1."""
        while True:
            await asyncio.sleep(self.pace.interval)
            if self._working and self.pace.waiting(time.monotonic()):
                self._room_made.set()

    def _paced(self) -> None:
        """A looked-up row finished: the pace sees the event loop's CPU since the last one."""
        cpu = time.thread_time()
        before = self.pace.limit
        self.pace.finished(cpu - self._cpu_mark, time.monotonic())
        self._cpu_mark = cpu
        if self.pace.limit > before:
            self._room_made.set()

    async def _work(
        self,
        pending: Iterator[InputRow],
        done: Container[int],
        finished: asyncio.Queue[tuple[LookupOutcome, bool] | None],
    ) -> None:
        on_finish = self._on_finish
        stop = self._stop
        try:
            while not stop:
                await self._room()
                if stop:
                    return
                try:
                    row = self._next_row(pending, done)
                    if row is None:
                        return
                    if row.problem is not None:
                        outcome = self._unlooked(row)
                    else:
                        self._working += 1
                        try:
                            outcome = await self._lookup(row)
                        finally:
                            self._working -= 1
                            self._room_made.set()  # a turn in the pace
                        self._paced()
                    if on_finish is not None:
                        on_finish(outcome)  # e.g. writing the row: a disk full stops the run
                except _StopRunError as error:
                    stop.append(error.__cause__ or error)
                    return
                except _RunEndingError:
                    return
                except Exception as error:  # noqa: BLE001 - raised by _finished once the workers ended
                    stop.append(error)
                    return
                finished.put_nowait((outcome, row.problem is None))
        finally:
            finished.put_nowait(None)

    async def _finished(
        self, pending: Iterator[InputRow], done: Container[int]
    ) -> AsyncGenerator[tuple[LookupOutcome, bool], None]:
        finished: asyncio.Queue[tuple[LookupOutcome, bool] | None] = asyncio.Queue()
        stop: list[BaseException] = []  # what stopped the run; seen by ``_request``: no request after
        self._stop = stop
        self._unyielded = {}
        self._last_row = 0
        self._room_made = asyncio.Event()
        workers = [asyncio.create_task(self._work(pending, done, finished)) for _ in range(self.concurrency)]
        pacer = asyncio.create_task(self._pacing()) if self.concurrency > 1 else None
        running = len(workers)
        try:
            while running:
                item = await finished.get()
                if stop:  # no further request, not even one waiting for the rate limit: rows in flight
                    for task in workers:  # are left unfinished, for --resume
                        task.cancel()
                if item is None:
                    running -= 1
                    continue
                if self._yielded(item[0].row):
                    self._room_made.set()
                yield item
        finally:
            if pacer is not None:
                pacer.cancel()
            for task in workers:
                task.cancel()
            ended = await asyncio.gather(*workers, return_exceptions=True)
            self.stats.requests = self.limiter.sent
        # A worker records its own failure in ``stop``; one that died otherwise is not swallowed either.
        stop.extend(
            error
            for error in ended
            if isinstance(error, BaseException) and not isinstance(error, asyncio.CancelledError)
        )
        if stop:
            raise stop[0]


async def in_input_order(
    outcomes: AsyncGenerator[LookupOutcome, None], *, first_row: int = 1
) -> AsyncGenerator[LookupOutcome, None]:
    """Re-order outcomes that arrive as they finish into input order (rows numbered from ``first_row``)."""
    waiting: dict[int, LookupOutcome] = {}
    following = first_row
    async for outcome in outcomes:
        waiting[outcome.row] = outcome
        while following in waiting:
            yield waiting.pop(following)
            following += 1


def input_rows(subscribers: Iterable[object]) -> Iterator[InputRow]:
    """Number the ids of the Python API's bulk methods and mark invalid and duplicate ones (an item that
    is not a str is an invalid row, not an error), lazily: an id is taken from ``subscribers`` when the
    engine needs its row. An argument that is not an iterable of ids is refused here, at once."""
    if isinstance(subscribers, (str, bytes, bytearray)):
        raise TypeError("subscriber_ids must be an iterable of subscriber ids, not one string")
    try:
        items = iter(subscribers)
    except TypeError:
        raise TypeError(
            f"subscriber_ids must be an iterable of subscriber ids, not {type(subscribers).__name__}"
        ) from None
    return iter_rows_from_ids(items)
