"""The threaded driver: its pace, its bound on calls in flight, and how a run ends (early, by an input
that fails, by Ctrl-C), with no row lost. What it decides on answers and errors is the shared engine's,
tested for both drivers in ``test_engine``.

``Pace`` is a pure object: its properties are driven by clock readings. The driver's tests use blocking
calls that sleep a few milliseconds: a thread that sleeps uses no CPU, which is what lets the pace grow.
"""

from __future__ import annotations

import dataclasses
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from hubspot_commprefs import AuthenticationError
from hubspot_commprefs.bulk import _engine
from hubspot_commprefs.bulk._api import sync_call
from hubspot_commprefs.bulk._io import iter_rows_from_ids, rows_from_ids
from hubspot_commprefs.bulk._pace import Pace
from hubspot_commprefs.bulk._threads import ThreadedBulkLookup
from hypothesis import given
from hypothesis import strategies as st

from tests.bulk.test_engine import FAST, Portal, _Complete, error
from tests.bulk.test_streaming import Counted
from tests.bulk_helpers import wait_until

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hubspot_commprefs import CommPrefs
    from hubspot_commprefs.bulk._engine import LookupOutcome, Operation


# --- Pace ----------------------------------------------------------------------------------------------

CEILINGS = st.integers(1, 64)
STARTS = st.integers(-3, 80)  # clamped to 1..ceiling
INTERVALS = st.floats(0.001, 1.0)
GAPS = st.floats(0.0, 0.3)  # wall seconds between two rows finishing


def pace_after(pace: Pace, rows: list[tuple[float, float]]) -> list[int]:
    """Feed ``(gap, share)`` rows (each used ``share * gap`` of CPU); the limit after each."""
    now = 0.0
    limits = []
    for gap, share in rows:
        now += gap
        pace.finished(share * gap, now)
        limits.append(pace.limit)
    return limits


@given(
    ceiling=CEILINGS,
    start=STARTS,
    interval=INTERVALS,
    rows=st.lists(st.tuples(GAPS, st.floats(0.0, 20.0)), max_size=80),
)
def test_the_pace_always_stays_between_one_and_the_ceiling(
    ceiling: int, start: int, interval: float, rows: list[tuple[float, float]]
) -> None:
    pace = Pace(ceiling, 0.0, start=start, interval=interval)
    assert 1 <= pace.limit <= ceiling
    assert all(1 <= limit <= ceiling for limit in pace_after(pace, rows))


@given(
    ceiling=CEILINGS,
    start=STARTS,
    interval=INTERVALS,
    rows=st.lists(st.tuples(GAPS, st.floats(Pace.BUSY + 0.001, 50.0)), max_size=80),
)
def test_a_pace_over_busy_never_raises_the_limit(
    ceiling: int, start: int, interval: float, rows: list[tuple[float, float]]
) -> None:
    pace = Pace(ceiling, 0.0, start=start, interval=interval)
    limits = [pace.limit, *pace_after(pace, rows)]
    assert limits == sorted(limits, reverse=True)


@given(
    ceiling=CEILINGS,
    start=STARTS,
    interval=INTERVALS,
    rows=st.lists(st.tuples(GAPS, st.floats(0.0, Pace.TARGET - 0.001)), max_size=80),
)
def test_a_pace_under_target_never_lowers_the_limit(
    ceiling: int, start: int, interval: float, rows: list[tuple[float, float]]
) -> None:
    pace = Pace(ceiling, 0.0, start=start, interval=interval)
    limits = [pace.limit, *pace_after(pace, rows)]
    assert limits == sorted(limits)


@given(
    ceiling=CEILINGS,
    start=STARTS,
    interval=INTERVALS,
    first=st.floats(0.0, 1.0),
    wall=st.floats(0.0, 2.0),
    idleness=st.floats(0.0, 1.0),
    split=st.floats(0.0, 1.0),
)
def test_nearly_idle_workers_reach_the_ceiling_in_one_evaluation(
    *, ceiling: int, start: int, interval: float, first: float, wall: float, idleness: float, split: float
) -> None:
    """Rows that use at most a ``ceiling``-th of ``TARGET`` of the core (half that, for rounding): as many
    rows at once as the ceiling allows, at the first evaluation, whatever the limit was."""
    wall = max(wall, interval)
    cpu = wall * Pace.TARGET / ceiling / 2 * idleness
    pace = Pace(ceiling, 0.0, start=start, interval=interval)
    pace.finished(cpu * split, wall * first)
    pace.finished(cpu * (1 - split), wall)
    assert pace.limit == ceiling


@given(
    ceiling=st.integers(2, 40),
    interval=INTERVALS,
    gaps=st.lists(GAPS, max_size=80),
)
def test_the_pace_is_evaluated_only_once_interval_has_passed_and_two_rows_finished(
    ceiling: int, interval: float, gaps: list[float]
) -> None:
    # Busy rows (twice the core, as if counted from several threads): every evaluation lowers the
    # limit by one, so the limit counts the evaluations. The model is the rule itself.
    pace = Pace(ceiling, 0.0, start=ceiling, interval=interval)
    expected, since, rows, now = ceiling, 0.0, 0, 0.0
    for gap in gaps:
        now += gap
        rows += 1
        pace.finished(2 * gap, now)
        if now - since >= interval and rows >= 2:
            expected, since, rows = max(1, expected - 1), now, 0
        assert pace.limit == expected


def test_one_row_never_moves_the_pace_however_long_it_took() -> None:
    pace = Pace(8, 0.0, start=3)
    pace.finished(0.0, 100.0)
    assert pace.limit == 3
    pace.finished(0.0, 100.0)
    assert pace.limit == 8


def test_rows_within_the_interval_never_move_the_pace() -> None:
    pace = Pace(8, 0.0, start=3, interval=0.1)
    for moment in (0.01, 0.02, 0.05, 0.0999):
        pace.finished(0.0, moment)
    assert pace.limit == 3
    pace.finished(0.0, 0.1)
    assert pace.limit == 8


def test_a_pace_between_target_and_busy_keeps_the_limit_and_one_over_busy_takes_one_off() -> None:
    # Moments a quarter of a second apart: exact in binary, so that each window is exactly the interval.
    pace = Pace(8, 0.0, start=3, interval=0.25)
    pace.finished(0.175, 0.25)
    pace.finished(0.0, 0.25)  # 70 % of the core
    assert pace.limit == 3
    pace.finished(0.0, 0.5)
    pace.finished(0.2375, 0.5)  # 95 %: one fewer
    assert pace.limit == 2
    pace.finished(0.025, 0.75)
    pace.finished(0.0, 0.75)  # 10 % at a limit of 2: room for 2 * 0.5 / 0.1 = 10, at most the ceiling
    assert pace.limit == 8
    pace.finished(0.0625, 1.0)
    pace.finished(0.0, 1.0)  # 25 % at a limit of 8: TARGET at 16; 8 is the ceiling
    assert pace.limit == 8


def test_a_share_of_almost_nothing_reaches_the_ceiling_instead_of_overflowing() -> None:
    # Found by the property above: limit * TARGET / share overflowed to inf, and int(inf) raised.
    pace = Pace(4, 0.0)
    pace.finished(0.0, 0.05)
    pace.finished(5e-324, 0.25)
    assert pace.limit == 4


# --- the driver ----------------------------------------------------------------------------------------


class Calls:
    """A blocking single lookup that sleeps (using no CPU) and counts the calls running at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started: list[str] = []
        self.finished: list[str] = []
        self.threads: set[int] = set()

    def __call__(self, operation: Any, subscriber: str) -> _Complete:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.started.append(subscriber)
            self.threads.add(threading.get_ident())
        try:
            time.sleep(self.seconds)
        finally:
            with self._lock:
                self.running -= 1
                self.finished.append(subscriber)
        return _Complete()


def test_rows_that_only_wait_for_an_interval_double_the_pace_up_to_the_ceiling() -> None:
    pace = Pace(6, 0.0, interval=0.1)
    assert not pace.waiting(0.05)  # not an interval yet
    assert pace.waiting(0.1)
    assert pace.limit == 2
    pace.finished(0.0, 0.15)  # a row finished: not waiting for an interval from then
    assert not pace.waiting(0.2)
    assert pace.waiting(0.26)
    assert pace.limit == 4
    assert pace.waiting(0.37)
    assert pace.limit == 6
    assert not pace.waiting(10.0)  # at the ceiling
    assert pace.limit == 6


def test_a_row_stuck_on_a_slow_answer_does_not_hold_the_others_at_a_pace_of_one() -> None:
    """The pace starts at 1 and grows on finished rows; a row that never finishes would hold the run (it
    may be the caller's thread's own) but for the pace's timer, which lets the other rows go on."""
    release = threading.Event()
    portal = Portal()
    finished: list[str] = []
    released: list[bool] = []

    with portal.sync_client() as client:
        answer = sync_call(client)

        def call(operation: Operation, subscriber: str) -> Any:
            if subscriber == "user1@x.com":  # the second row: the first goes alone, as the probe
                released.append(release.wait(60))
            return answer(operation, subscriber)

        def on_finish(outcome: LookupOutcome) -> None:
            finished.append(outcome.subscriber)
            if len(finished) == 20:
                release.set()

        engine = ThreadedBulkLookup(call, rate=FAST, concurrency=3, check="statuses", on_finish=on_finish)
        outcomes = list(engine.outcomes(rows_from_ids(ids(40))))
    assert released == [True]  # released by the others' rows, not by the end of its wait
    assert len(outcomes) == 40
    assert finished.index("user1@x.com") >= 19  # the others went on while it waited


def ids(count: int) -> list[str]:
    return [f"user{n}@x.com" for n in range(count)]


def drain(outcomes: Iterator[LookupOutcome], *, into: list[LookupOutcome]) -> None:
    """Collect ``outcomes`` in ``into``, which keeps those yielded before an exception."""
    for outcome in outcomes:
        into.append(outcome)  # noqa: PERF402 - the exception cuts the loop short


def workers_alive() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("bulk-lookup")]


@pytest.mark.parametrize("concurrency", [1, 2, 5])
def test_never_more_calls_in_flight_than_the_concurrency(concurrency: int) -> None:
    calls = Calls(0.002)
    engine = ThreadedBulkLookup(calls, rate=FAST, concurrency=concurrency, check="statuses")
    outcomes = list(engine.outcomes(rows_from_ids(ids(150))))
    assert len(outcomes) == 150
    assert calls.most == concurrency  # reached, and never more
    assert len(calls.threads) == concurrency
    assert threading.get_ident() in calls.threads  # the caller's thread is one of the workers


def test_the_pace_grows_to_the_ceiling_while_calls_mostly_wait() -> None:
    calls = Calls(0.02)
    engine = ThreadedBulkLookup(calls, rate=FAST, concurrency=4, check="statuses")
    assert engine.pace.limit == 1  # one row at a time until the pace knows better
    outcomes = list(engine.outcomes(rows_from_ids(ids(40))))
    assert sorted(o.row for o in outcomes) == list(range(1, 41))
    assert engine.pace.limit == 4
    assert calls.most == 4
    assert workers_alive() == []


def test_on_finish_is_never_called_twice_at_once() -> None:
    inside = 0
    overlaps = 0
    callers: set[int] = set()
    finished: list[int] = []

    def on_finish(outcome: LookupOutcome) -> None:
        nonlocal inside, overlaps
        inside += 1
        overlaps += inside > 1
        callers.add(threading.get_ident())
        time.sleep(0.0005)  # widen the window a second call would overlap in
        finished.append(outcome.row)
        inside -= 1

    engine = ThreadedBulkLookup(Calls(0.005), rate=FAST, concurrency=4, check="statuses", on_finish=on_finish)
    yielded = [o.row for o in engine.outcomes(rows_from_ids(ids(80)))]
    assert overlaps == 0
    assert len(callers) > 1  # called from several threads: overlaps could have happened
    assert sorted(finished) == sorted(yielded) == list(range(1, 81))


def test_closing_the_outcomes_early_sends_no_further_request_and_lets_rows_in_flight_finish() -> None:
    calls = Calls(0.03)
    recorded: list[str] = []
    engine = ThreadedBulkLookup(
        calls, rate=FAST, concurrency=4, check="statuses", on_finish=lambda o: recorded.append(o.subscriber)
    )
    outcomes = engine.outcomes(iter_rows_from_ids(ids(10_000)))
    for seen, _ in enumerate(outcomes, start=1):
        if (seen > 20 and engine.pace.limit == 4) or seen == 150:  # once the workers are running
            break
    assert engine.pace.limit == 4
    closing = time.monotonic()
    outcomes.close()
    closed_in = time.monotonic() - closing
    started = list(calls.started)
    assert closed_in < 10  # the rows in flight (30 ms each), never the rest of the input (75 s)
    assert workers_alive() == []
    assert calls.running == 0
    assert sorted(calls.finished) == sorted(started)  # every request sent was answered...
    assert sorted(recorded) == sorted(started)  # ...and its row handed on
    assert len(started) < 200
    time.sleep(0.05)
    assert calls.started == started  # nothing sent once closed


@pytest.fixture
def minute_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 503 is retried after a minute: a run that waited the backoff out would show in any clock."""
    monkeypatch.setattr(_engine, "RETRY", dataclasses.replace(_engine.RETRY, first_backoff=60.0, jitter=0.0))


class SlowPortalCalls:
    """``sync_call`` over a Portal, a few milliseconds a request, noting when each request was answered.

    With ``worker_503`` set, the first request sent from a worker thread once that many rows were answered
    is answered 503: its row waits out a backoff, and never in the caller's thread (which collects outcomes
    only between its own rows)."""

    def __init__(self, portal: Portal, client: CommPrefs, *, worker_503: int | None = None) -> None:
        self._portal = portal
        self._call = sync_call(client)
        self._caller = threading.get_ident()
        self._worker_503 = worker_503
        self.answered: dict[str, float] = {}
        self.backing_off: str | None = None

    def __call__(self, operation: Operation, subscriber: str) -> Any:
        time.sleep(0.005)
        if (
            self._worker_503 is not None
            and self.backing_off is None
            and threading.get_ident() != self._caller
            and len(self.answered) >= self._worker_503
        ):
            self.backing_off = subscriber
            self._portal.fail_first(subscriber, error(503))
        try:
            return self._call(operation, subscriber)
        finally:
            self.answered.setdefault(subscriber, time.monotonic())


@pytest.mark.usefixtures("minute_backoff")
def test_closing_the_outcomes_wakes_a_row_waiting_out_a_backoff() -> None:
    """A row in its backoff after a 503 does not hold the end of the run."""
    portal = Portal()
    with portal.sync_client() as client:
        calls = SlowPortalCalls(portal, client, worker_503=40)
        engine = ThreadedBulkLookup(calls, rate=FAST, concurrency=4, check="statuses")
        outcomes = engine.outcomes(iter_rows_from_ids(ids(3000)))
        for _ in outcomes:
            if calls.backing_off is not None and calls.backing_off in calls.answered:
                break
        closing = time.monotonic()
        outcomes.close()
        closed = time.monotonic()
    assert calls.backing_off is not None
    assert closed - calls.answered[calls.backing_off] < 10  # not its backoff's minute
    assert closed - closing < 10
    assert portal.requests.count(("statuses", calls.backing_off)) == 1  # not sent again
    assert workers_alive() == []


@pytest.mark.usefixtures("minute_backoff")
def test_a_stop_wakes_a_row_waiting_out_a_backoff() -> None:
    portal = Portal()
    portal.fail_first("slow@x.com", error(503))
    portal.fail_first("stop@x.com", error(401, category="INVALID_AUTHENTICATION"))
    with portal.sync_client() as client:
        calls = SlowPortalCalls(portal, client)

        def call(operation: Operation, subscriber: str) -> Any:
            if subscriber == "stop@x.com":  # the stop comes once the other row is in its backoff
                wait_until(lambda: "slow@x.com" in calls.answered)
            return calls(operation, subscriber)

        engine = ThreadedBulkLookup(call, rate=FAST, concurrency=4, check="statuses")
        with pytest.raises(AuthenticationError):
            list(engine.outcomes(iter_rows_from_ids([*ids(60), "slow@x.com", "stop@x.com", *ids(200)[60:]])))
        stopped = time.monotonic()
    assert stopped - calls.answered["slow@x.com"] < 10  # not its backoff's minute
    assert portal.requests.count(("statuses", "slow@x.com")) == 1
    assert workers_alive() == []


def test_once_the_run_stops_no_row_sends_another_request() -> None:
    """A row between its two requests when another row's 401 stops the run sends no second one: it is
    left unfinished (for ``--resume``), never looked up with a token already refused."""
    portal = Portal()
    portal.fail_first("stop@x.com", error(401, category="INVALID_AUTHENTICATION"))
    engine: ThreadedBulkLookup

    def call(operation: Operation, subscriber: str) -> Any:
        if subscriber == "held@x.com":
            wait_until(lambda: engine._ending)  # answered only once the run has stopped
        else:
            time.sleep(0.005)
        return answer(operation, subscriber)

    with portal.sync_client() as client:
        answer = sync_call(client)
        engine = ThreadedBulkLookup(call, rate=FAST, concurrency=4, check="both")
        rows = [*ids(40), "held@x.com", "stop@x.com", *ids(100)[40:]]
        yielded: list[LookupOutcome] = []
        with pytest.raises(AuthenticationError):
            drain(engine.outcomes(iter_rows_from_ids(rows)), into=yielded)
    assert ("unsubscribe-all", "held@x.com") in portal.requests
    assert ("statuses", "held@x.com") not in portal.requests
    assert "held@x.com" not in [o.subscriber for o in yielded]
    assert workers_alive() == []


def test_an_error_raised_by_the_input_comes_out_after_every_row_before_it() -> None:
    def source() -> Iterator[str]:
        yield from ids(30)
        raise RuntimeError("the source broke")

    engine = ThreadedBulkLookup(Calls(0.002), rate=FAST, concurrency=4, check="statuses")
    yielded: list[LookupOutcome] = []
    with pytest.raises(RuntimeError, match="the source broke"):
        drain(engine.outcomes(iter_rows_from_ids(source())), into=yielded)
    assert sorted(o.row for o in yielded) == list(range(1, 31))
    assert workers_alive() == []


def test_ctrl_c_in_the_callers_thread_leaves_at_once_and_hands_on_no_row_after() -> None:
    """Ctrl-C in the caller's own row (maybe inside httpx, whose pool it may leave locked): the run ends
    at once, without waiting for the workers; no row reaches ``on_finish`` once ``outcomes()`` has raised;
    the workers end by themselves, sending nothing more."""
    caller = threading.get_ident()
    calls = Calls(0.003)
    interrupted: list[str] = []
    handed_on: list[str] = []

    def call(operation: Any, subscriber: str) -> _Complete:
        if threading.get_ident() == caller and len(calls.finished) >= 30 and not interrupted:
            interrupted.append(subscriber)
            raise KeyboardInterrupt
        return calls(operation, subscriber)

    engine = ThreadedBulkLookup(
        call, rate=FAST, concurrency=4, check="statuses", on_finish=lambda o: handed_on.append(o.subscriber)
    )
    outcomes: list[LookupOutcome] = []
    with pytest.raises(KeyboardInterrupt):
        drain(engine.outcomes(iter_rows_from_ids(ids(10_000))), into=outcomes)
    after = len(handed_on)
    yielded = [o.subscriber for o in outcomes]
    assert len(interrupted) == 1
    assert interrupted[0] not in yielded
    assert set(yielded) <= set(handed_on) <= set(calls.finished)
    wait_until(lambda: workers_alive() == [])
    assert len(handed_on) == after  # nothing handed on once the run has left
    sent = len(calls.finished)
    time.sleep(0.05)
    assert len(calls.finished) == sent
    assert sent < 200


def test_interrupt_stops_gently_handing_on_the_rows_in_flight() -> None:
    """``interrupt()`` (what the bulk command's Ctrl-C calls): no further request, the rows in flight
    finish and are handed on, then ``outcomes()`` raises KeyboardInterrupt."""
    calls = Calls(0.003)
    handed_on: list[str] = []
    engine = ThreadedBulkLookup(
        calls, rate=FAST, concurrency=4, check="statuses", on_finish=lambda o: handed_on.append(o.subscriber)
    )
    outcomes: list[LookupOutcome] = []

    def interrupt_after_30(outcome: LookupOutcome) -> None:
        handed_on.append(outcome.subscriber)
        if len(handed_on) == 30:
            engine.interrupt()

    engine._on_finish = interrupt_after_30
    with pytest.raises(KeyboardInterrupt):
        drain(engine.outcomes(iter_rows_from_ids(ids(10_000))), into=outcomes)
    assert workers_alive() == []  # waited for: they ended their rows
    assert sorted(handed_on) == sorted(calls.finished)  # every row sent was finished and handed on
    assert sorted(o.subscriber for o in outcomes) == sorted(handed_on)
    assert len(handed_on) < 200


def test_after_interrupt_no_row_is_taken_however_little_input_is_left() -> None:
    """Once ``interrupt()`` is called no thread takes another row, and the run raises KeyboardInterrupt: it
    did not, when the rest of the input was read (each row left undone) before the pace's timer stopped
    the run, which then ended as if complete."""
    source = Counted(40)
    calls = Calls(0.001)
    engine: ThreadedBulkLookup

    def interrupt_at_row_5(outcome: LookupOutcome) -> None:
        if outcome.row == 5:
            engine.interrupt()

    engine = ThreadedBulkLookup(
        calls, rate=FAST, concurrency=1, check="statuses", on_finish=interrupt_at_row_5
    )
    with pytest.raises(KeyboardInterrupt):
        list(engine.outcomes(iter_rows_from_ids(source)))
    assert len(calls.started) == 5
    assert source.taken < 40


def test_rows_taken_from_the_input_stay_within_twice_the_read_ahead_of_those_yielded() -> None:
    """The engine holds at most ``read_ahead`` rows not yet handed over, and the caller's thread as many
    again in the batch it is yielding: however slow the consumer, no further rows are read."""
    source = Counted(100_000)
    engine = ThreadedBulkLookup(Calls(0.0005), rate=FAST, concurrency=4, check="statuses")
    bound = 2 * engine.read_ahead + engine.concurrency

    def fall_behind(yielded: int) -> None:
        """A slow consumer: the workers fill the read-ahead meanwhile, far more rows than the calls in
        flight; an engine reading without bound takes a thousand rows more in the pause."""
        wait_until(lambda: source.taken > yielded + engine.read_ahead // 2)
        time.sleep(0.3)

    outcomes = engine.outcomes(iter_rows_from_ids(source))
    paused = False
    for yielded, _ in enumerate(outcomes, start=1):
        assert source.taken <= yielded + bound
        if not paused and yielded >= 200 and engine.pace.limit > 1:  # worker threads run: they can read
            paused = True
            fall_behind(yielded)
        if yielded == 1500:
            break
    outcomes.close()
    assert paused
    assert source.taken <= 1500 + bound


@pytest.mark.usefixtures("python_sigint")
def test_ctrl_c_during_the_callers_own_row_lets_its_request_end_then_raises() -> None:
    """In the main thread, Ctrl-C during a row the caller's thread looks up itself does not cut the
    request short inside httpx (which could leave the client's pool locked): the row ends, then the run
    stops and raises KeyboardInterrupt; Python's handler is back afterwards."""
    caller = threading.get_ident()
    calls = Calls(0.003)
    state = {"raised": False, "went_on": False}

    def call(operation: Any, subscriber: str) -> _Complete:
        if threading.get_ident() == caller and len(calls.finished) >= 10 and not state["raised"]:
            state["raised"] = True
            signal.raise_signal(signal.SIGINT)  # its handler runs here, in this (the main) thread
            state["went_on"] = True
        return calls(operation, subscriber)

    assert threading.current_thread() is threading.main_thread()
    engine = ThreadedBulkLookup(call, rate=FAST, concurrency=4, check="statuses")
    outcomes: list[LookupOutcome] = []
    with pytest.raises(KeyboardInterrupt):
        drain(engine.outcomes(iter_rows_from_ids(ids(10_000))), into=outcomes)
    assert state == {"raised": True, "went_on": True}
    assert sorted(o.subscriber for o in outcomes) == sorted(calls.finished)  # the rows in flight ended
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert workers_alive() == []


@pytest.mark.usefixtures("python_sigint")
def test_ctrl_c_in_the_callers_own_code_between_outcomes_raises_there_at_once() -> None:
    calls = Calls(0.001)
    engine = ThreadedBulkLookup(calls, rate=FAST, concurrency=2, check="statuses")
    seen = 0
    with pytest.raises(KeyboardInterrupt):  # noqa: PT012 - raised in the loop's body, as Ctrl-C would
        for _ in engine.outcomes(iter_rows_from_ids(ids(10_000))):
            seen += 1
            if seen == 5:
                signal.raise_signal(signal.SIGINT)
                pytest.fail("Ctrl-C did not raise in the loop's body")
    assert seen == 5
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
