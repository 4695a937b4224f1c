"""The bulk engine driven by threads: what ``CommPrefs.lookup_many`` and the ``bulk`` command run.

Why threads of their own rather than ``BulkLookup`` on an event loop calling the blocking client in a
pool (as before): that way every row crossed three threads (the loop, a pool thread, the caller's), and
at zero latency the hand-overs cost more CPU than the lookup itself. Here a worker thread takes a row,
sends its requests through the ``ThreadedRollingWindowLimiter`` and records the outcome; the caller's
thread is a worker too (at a pace of 1 the only one: no hand-over at all) and collects the outcomes of
the others in batches. Every decision on an answer or an error is ``_Engine``'s, shared with the
asyncio driver; ``_request`` and ``_lookup`` are the blocking twins of ``BulkLookup``'s.

``concurrency`` is a ceiling: ``Pace`` (in ``_pace``) decides how many rows are worked on at once.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from hubspot_commprefs._errors import CommPrefsError
from hubspot_commprefs.bulk._engine import (
    DEFAULT_CONCURRENCY,
    Check,
    LookupOutcome,
    Operation,
    _Attempts,
    _Engine,
    _RunEndingError,
    _StopRunError,
    check_options,
)
from hubspot_commprefs.bulk._limiter import (
    DEFAULT_RATE,
    LimiterCancelledError,
    Rate,
    ThreadedRollingWindowLimiter,
)
from hubspot_commprefs.bulk._pace import Pace

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Container, Generator, Iterable, Iterator
    from types import FrameType

    from hubspot_commprefs.bulk._io import DoneRows, InputRow

__all__ = ["COLLECT_BATCH", "SIGNAL_CHECK", "ThreadedBulkLookup", "in_input_order_sync"]

SIGNAL_CHECK = 0.1
"""Seconds the caller's thread waits for outcomes at most before it looks again: how late Ctrl-C taken by
a worker thread may be, and how late an outcome finished by a worker may be handed over while the caller's
thread waits. While the caller's thread looks a row up itself (it is a worker too), outcomes wait for the
end of that row: at most its requests' timeouts and backoffs."""

HAND_ON_WAIT = 5.0
"""Seconds the caller's thread, leaving on Ctrl-C, waits for a row being handed on (written) to be done."""

COLLECT_BATCH = 32
"""Finished rows that wake the caller's thread before its next look: waking it for each row would cost
two thread switches a row (it collects every finished row at once)."""


class ThreadedBulkLookup(_Engine):
    """``BulkLookup`` for a blocking ``call(operation, subscriber)``: the same rows, outcomes, retries,
    stops and limits, with worker threads instead of tasks, and ``outcomes()`` a plain generator.

    ``on_finish`` is called in the worker, one row at a time (never two at once), the moment the row
    finishes. When the caller stops iterating (``break``, an exception, Ctrl-C in its thread), no further
    request is sent; the rows in flight finish (each within the client's timeout) and reach ``on_finish``.
    """

    def __init__(
        self,
        call: Callable[[Operation, str], Any],
        *,
        rate: Rate | str = DEFAULT_RATE,
        concurrency: int = DEFAULT_CONCURRENCY,
        check: Check = "both",
        limiter: ThreadedRollingWindowLimiter | None = None,
        on_finish: Callable[[LookupOutcome], None] | None = None,
    ) -> None:
        parsed, concurrency, check = check_options(rate=rate, concurrency=concurrency, check=check)
        super().__init__(concurrency=concurrency, check=check)
        self.call = call
        self.limiter = limiter or ThreadedRollingWindowLimiter(parsed)
        self.pace = Pace(concurrency, time.monotonic())
        self._on_finish = on_finish
        self._lock = threading.Lock()  # guards everything below and the shared state of ``_Engine``
        self._may_work = threading.Condition(self._lock)  # room in the read-ahead, a turn in the pace
        self._may_collect = threading.Condition(self._lock)  # an outcome finished, or a worker ended
        self._finished: deque[tuple[LookupOutcome, bool]] = deque()
        self._errors: list[BaseException] = []  # what stopped the run, raised by ``outcomes``
        self._ending = False  # no further row or request
        self._ended = threading.Event()  # the same, for workers waiting out a backoff
        self._over = threading.Event()  # the run is over: the timer threads (progress, pace) end
        self._threads: list[threading.Thread] = []  # the workers
        self._ticker: threading.Thread | None = None
        self._pacer: threading.Thread | None = None
        self._running = 0  # worker threads alive
        self._working = 0  # threads with a row in hand (the caller's included)
        self._exhausted = False  # the input is read to its end
        self._interrupted = False  # ``interrupt()`` was called
        self._abandoned = False  # the caller's thread left on Ctrl-C: no row is handed on any more
        self._caller: threading.Thread | None = None  # the thread iterating ``outcomes()``
        self._caller_busy = False  # that thread is looking a row up

    def outcomes(
        self,
        rows: Iterable[InputRow],
        *,
        skip: DoneRows | Collection[int] | Iterable[int] = (),
        total: int | None = None,
        tick: Callable[[], None] | None = None,
        tick_every: float = 0.5,
    ) -> Generator[LookupOutcome, None, None]:
        """Yield one outcome per row not in ``skip``, as each finishes: ``BulkLookup.outcomes``, blocking.

        ``tick`` is called every ``tick_every`` seconds, in a thread of its own, holding the lock that
        ``on_finish`` runs under: for a progress display. Raises what stopped the run after yielding every
        row that finished.
        """
        done = self._skip_of(skip, rows, total)
        pending = iter(rows)
        self._caller = threading.current_thread()
        self._unyielded = {}
        self._last_row = 0
        if tick is not None:
            self._start_ticking(tick, tick_every)
        self._start_pacing(pending, done)
        wait_for_workers = True
        restore_ctrl_c = self._defer_ctrl_c_in_own_rows()
        try:
            while True:
                row, batch = self._next_step(pending, done)
                if row is not None:
                    self._caller_busy = True
                    try:
                        self._do(row, pending, done)  # this thread is a worker too: at a pace of 1, the only
                    finally:
                        self._caller_busy = False
                elif batch is None:
                    break
                else:
                    for outcome, looked_up in batch:
                        yield self._counted(outcome, looked_up)
        except BaseException as error:
            # Ctrl-C (or SystemExit) in this thread, maybe inside httpx: its connection pool may be left
            # locked, and a worker waiting for it would never end. The workers are not waited for; a row
            # they finish from now on is not handed on (``_abandoned``): it is done again on --resume.
            wait_for_workers = isinstance(error, (Exception, GeneratorExit))
            raise
        finally:
            restore_ctrl_c()
            self._halt(wait=wait_for_workers)
            self.stats.requests = self.limiter.sent
        if self._errors:
            raise self._errors[0]

    def _defer_ctrl_c_in_own_rows(self) -> Callable[[], None]:
        """While the caller's thread (the main thread, with Python's own SIGINT handler) looks a row up
        itself, Ctrl-C becomes ``interrupt()``: raised inside httpx, KeyboardInterrupt can leave the
        client's connection pool locked, and every later call on that client would wait for ever (Ctrl-C
        in a notebook, then the next cell). Anywhere else it raises KeyboardInterrupt as usual, and so does
        a second Ctrl-C. Returns what puts the handler back."""
        if (
            threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        ):
            return lambda: None

        def on_ctrl_c(_signum: int, _frame: FrameType | None) -> None:
            if not self._caller_busy:
                raise KeyboardInterrupt
            self.interrupt()  # a flag: no lock, no I/O in a signal handler
            signal.signal(signal.SIGINT, signal.default_int_handler)

        signal.signal(signal.SIGINT, on_ctrl_c)

        def restore() -> None:
            if signal.getsignal(signal.SIGINT) is on_ctrl_c:
                signal.signal(signal.SIGINT, signal.default_int_handler)

        return restore

    def _next_step(
        self, pending: Iterator[InputRow], done: Container[int]
    ) -> tuple[InputRow | None, list[tuple[LookupOutcome, bool]] | None]:
        """What the caller's thread does next: a row to look up, finished rows to yield, or (None, None)
        at the end of the run."""
        with self._lock:
            while True:
                if self._finished:
                    return None, self._collect()
                if self._may_take():
                    row = self._take(pending, done)
                    if row is not None:
                        return row, None
                    continue
                if not self._running and (self._ending or self._exhausted):
                    return None, None  # nothing in flight, nothing finished, nothing more to take
                # Never an endless wait: a signal (Ctrl-C) may have been taken by a worker thread, and its
                # handler runs in this thread only once this thread runs Python again.
                self._may_collect.wait(SIGNAL_CHECK)

    def _start_ticking(self, tick: Callable[[], None], every: float) -> None:
        """Call ``tick`` every ``every`` seconds until the run ends, in a thread of its own (the caller's
        thread may be waiting for the rate limit), holding the lock."""

        def ticking() -> None:
            while not self._over.wait(every):
                with self._lock:
                    try:
                        tick()
                    except Exception:  # noqa: BLE001 - a display that fails stops drawing, not the run
                        return

        self._ticker = threading.Thread(target=ticking, name="bulk-lookup-progress", daemon=True)
        self._ticker.start()

    def _start_pacing(self, pending: Iterator[InputRow], done: Container[int]) -> None:
        """Every ``pace.interval``, ask the pace whether rows in flight only wait (no row finished): a row
        stuck on a slow answer must not hold the run at a pace of 1, when it may be the only one. Also
        turns ``interrupt()`` into the run's stop."""

        def pacing() -> None:
            while not self._over.wait(self.pace.interval):
                with self._lock:
                    if self._interrupted and not self._ending:
                        self._stop_with(KeyboardInterrupt())
                    elif self._working and self.pace.waiting(time.monotonic()):
                        self._spawn(pending, done)
                        self._may_work.notify_all()

        self._pacer = threading.Thread(target=pacing, name="bulk-lookup-pace", daemon=True)
        self._pacer.start()

    def _collect(self) -> list[tuple[LookupOutcome, bool]]:
        """Take every finished row, making room in the read-ahead (holding the lock)."""
        batch = list(self._finished)
        self._finished.clear()
        room = False
        for outcome, _ in batch:
            room = self._yielded(outcome.row) or room
        if room and self._threads:  # only worker threads wait for room
            self._may_work.notify_all()
        return batch

    def _may_take(self) -> bool:
        """Whether a thread may take a row now (holding the lock): a turn in the pace, room in the read-ahead,
        and no ``interrupt()`` (a row taken before the pace's timer stops the run would be left undone)."""
        return (
            not (self._ending or self._interrupted)
            and not self._exhausted
            and self._working < self.pace.limit
            and not self._no_room()
        )

    def _take(self, pending: Iterator[InputRow], done: Container[int]) -> InputRow | None:
        """The next row for the calling thread, or None at the end of the input or when reading it failed
        (holding the lock, ``_may_take()`` true)."""
        try:
            row = self._next_row(pending, done)
        except Exception as error:  # noqa: BLE001 - the input failed: raised by outcomes()
            self._stop_with(error)
            return None
        if row is None:
            self._exhausted = True
            self._may_work.notify_all()  # the waiting workers end
            return None
        self._working += 1
        return row

    def _spawn(self, pending: Iterator[InputRow], done: Container[int]) -> None:
        """Start worker threads up to the pace's limit, less the caller's thread (holding the lock)."""
        while len(self._threads) < self.pace.limit - 1 and not (self._ending or self._exhausted):
            worker = threading.Thread(
                target=self._work, args=(pending, done), name=f"bulk-lookup-{len(self._threads)}", daemon=True
            )
            try:
                worker.start()
            except RuntimeError:  # "can't start new thread": the run goes on with the threads it has
                self.pace.ceiling = self.pace.limit = len(self._threads) + 1
                return
            self._threads.append(worker)
            self._running += 1

    def _halt(self, *, wait: bool = True) -> None:
        """No further row or request; wait for the workers (each ends its request in flight), or with
        ``wait=False`` only for a row being handed on at this moment (it holds the lock)."""
        if wait:
            with self._lock:
                self._ending = True
                self._may_work.notify_all()
        else:
            self._abandoned = True  # read under the lock by ``_hand_on``: set first, then take the lock
            if self._lock.acquire(timeout=HAND_ON_WAIT):
                self._ending = True
                self._may_work.notify_all()
                self._lock.release()
        self._ended.set()
        self._over.set()
        self.limiter.cancel()
        if not wait:
            return
        for worker in self._threads:
            worker.join()
        for timer in (self._ticker, self._pacer):
            if timer is not None:
                timer.join()

    @property
    def abandoned(self) -> bool:
        """Whether the run ended on Ctrl-C in the caller's own thread, without waiting for its workers
        (the client's connection pool may then be left locked by the request it cut short)."""
        return self._abandoned

    def interrupt(self) -> None:
        """Stop the run as Ctrl-C would, but gently: no further request; the rows in flight finish and are
        handed on; ``outcomes()`` then raises ``KeyboardInterrupt``. Takes no lock and may be called from a
        signal handler (the pace's timer thread does the rest within ``pace.interval``)."""
        self._interrupted = True

    def _stop_with(self, error: BaseException) -> None:
        """End the run because of ``error`` (holding the lock): no further request, not even one waiting
        for the rate limit."""
        self._errors.append(error)
        self._ending = True
        self._ended.set()
        self._may_work.notify_all()
        self.limiter.cancel()  # the limiter's lock is only ever taken after this one

    def _work(self, pending: Iterator[InputRow], done: Container[int]) -> None:
        try:
            while True:
                with self._lock:
                    while not (self._ending or self._exhausted or self._may_take()):
                        self._may_work.wait()
                    if self._ending or self._exhausted:
                        return
                    row = self._take(pending, done)
                    if row is None:
                        return
                self._do(row, pending, done)
        finally:
            with self._lock:
                self._running -= 1
                self._may_collect.notify()

    def _do(self, row: InputRow, pending: Iterator[InputRow], done: Container[int]) -> None:
        """Look ``row`` up and hand its outcome on (to ``on_finish``, then to the caller's thread)."""
        started = time.thread_time()
        outcome: LookupOutcome | None = None
        failure: BaseException | None = None
        try:
            outcome = self._unlooked(row) if row.problem is not None else self._lookup(row)
        except (_RunEndingError, LimiterCancelledError):
            pass  # the run is ending: the row is not finished
        except _StopRunError as error:
            failure = error.__cause__ or error
        except Exception as error:  # noqa: BLE001 - raised by outcomes() once the workers ended
            failure = error
        except BaseException as error:
            if threading.current_thread() is self._caller:
                raise  # Ctrl-C in the caller's own row: out at once (see outcomes())
            failure = error  # in a worker: raised by outcomes(), in the caller's thread
        cpu = time.thread_time() - started
        with self._lock:
            self._working -= 1
            if self._threads:  # a worker may wait for this turn
                self._may_work.notify()
            if failure is not None:
                self._stop_with(failure)
            if outcome is not None:
                self._hand_on(outcome, looked_up=row.problem is None)
            if row.problem is None:
                self._paced(cpu, pending, done)

    def _paced(self, cpu: float, pending: Iterator[InputRow], done: Container[int]) -> None:
        """A looked-up row that took ``cpu`` finished: the pace sees it (holding the lock)."""
        before = self.pace.limit
        self.pace.finished(cpu, time.monotonic())
        if self.pace.limit > before:
            self._spawn(pending, done)
            self._may_work.notify_all()

    def _hand_on(self, outcome: LookupOutcome, *, looked_up: bool) -> None:
        """``on_finish``, then to the caller's thread (holding the lock)."""
        if self._abandoned:
            return
        try:
            if self._on_finish is not None:
                self._on_finish(outcome)  # e.g. writing the row: a disk full stops the run
        except Exception as error:  # noqa: BLE001 - raised by outcomes() once the workers ended
            self._stop_with(error)
            return
        self._finished.append((outcome, looked_up))
        # Otherwise collected at the caller's next look (SIGNAL_CHECK): no room in the read-ahead means
        # that rows wait for the caller to collect.
        if len(self._finished) >= COLLECT_BATCH or self._no_room():
            self._may_collect.notify()

    def _request(self, operation: Operation, subscriber: str, attempts: _Attempts) -> Any:
        """``BulkLookup._request``, blocking."""
        while True:
            if self._ending or self._interrupted:
                raise _RunEndingError
            slot = self.limiter.acquire()
            try:
                if self._ending or self._interrupted:  # stopped while this request waited for its slot
                    self.limiter.unsend(slot)
                    raise _RunEndingError
                attempts.requests += 1
                try:
                    result = self.call(operation, subscriber)
                except CommPrefsError as error:
                    with self._lock:
                        backoff = self._failed(slot, attempts, error)
                else:
                    with self._lock:
                        self._answered(slot, result)
                    return result
            finally:
                self.limiter.release(slot)
            if backoff and self._ended.wait(backoff):
                raise _RunEndingError

    def _lookup(self, row: InputRow) -> LookupOutcome:
        """``BulkLookup._lookup``, blocking."""
        results: dict[str, Any] = {}
        requests = 0
        for operation in self.operations:
            attempts = _Attempts()
            try:
                results[operation] = self._request(operation, row.subscriber, attempts)
            except (_StopRunError, _RunEndingError, LimiterCancelledError):
                raise
            except Exception as failure:  # noqa: BLE001 - a row that failed, never a lost row or a lost run
                return self._given_up(row, failure, results, requests + attempts.requests)
            requests += attempts.requests
        return self._answered_row(row, results, requests)


def in_input_order_sync(outcomes: Iterator[LookupOutcome], *, first_row: int = 1) -> Iterator[LookupOutcome]:
    """``in_input_order`` for a plain iterator of outcomes."""
    waiting: dict[int, LookupOutcome] = {}
    following = first_row
    for outcome in outcomes:
        waiting[outcome.row] = outcome
        while following in waiting:
            yield waiting.pop(following)
            following += 1
