"""The threaded driver: its bound on calls in flight, and how a run ends (early, by an input that fails,
by Ctrl-C), with no row lost. What it decides on answers and errors is the shared engine's, tested for
both drivers in ``test_engine``. The tests use blocking calls that sleep a few milliseconds."""

from __future__ import annotations

import signal
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from hubspot_commprefs import AuthenticationError
from hubspot_commprefs.bulk._api import sync_call
from hubspot_commprefs.bulk._engine import ThreadedBulkLookup
from hubspot_commprefs.bulk._io import iter_rows_from_ids

from tests.bulk.test_engine import FAST, Portal, _Complete, error
from tests.bulk.test_streaming import Counted
from tests.bulk_helpers import python_ctrl_c, rows_from_ids, wait_until

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hubspot_commprefs import CommPrefs
    from hubspot_commprefs.bulk._engine import LookupOutcome, Operation


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


def test_a_row_stuck_on_a_slow_answer_does_not_hold_the_others() -> None:
    """The other threads go on with the rows after it (up to the read-ahead) while it waits."""
    release = threading.Event()
    portal = Portal()
    finished: list[str] = []

    with portal.sync_client() as client:
        answer = sync_call(client)

        def call(operation: Operation, subscriber: str) -> Any:
            if subscriber == "user1@x.com":  # the second row: the first goes alone, as the probe
                release.wait(10)
            return answer(operation, subscriber)

        def on_finish(outcome: LookupOutcome) -> None:
            finished.append(outcome.subscriber)
            if len(finished) == 20:
                release.set()

        engine = ThreadedBulkLookup(call, rate=FAST, concurrency=3, check="statuses", on_finish=on_finish)
        started = time.monotonic()
        outcomes = list(engine.outcomes(rows_from_ids(ids(40))))
    assert time.monotonic() - started < 5  # released by the others' rows, not by its 10 s
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
    assert threading.get_ident() not in calls.threads  # the caller's thread only waits: Ctrl-C lands there


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
        if (seen > 20 and calls.most == 4) or seen == 150:  # once the workers are running
            break
    assert calls.most == 4
    closing = time.monotonic()
    outcomes.close()
    closed_in = time.monotonic() - closing
    started = list(calls.started)
    assert closed_in < 0.5  # the rows in flight (30 ms each), never the rest of the input
    assert workers_alive() == []
    assert calls.running == 0
    assert sorted(calls.finished) == sorted(started)  # every request sent was answered...
    assert sorted(recorded) == sorted(started)  # ...and its row handed on
    assert len(started) < 200
    time.sleep(0.05)
    assert calls.started == started  # nothing sent once closed


class SlowPortalCalls:
    """``sync_call`` over a Portal, a few milliseconds a request, noting when each request was answered."""

    def __init__(self, portal: Portal, client: CommPrefs) -> None:
        self._call = sync_call(client)
        self.answered: dict[str, float] = {}

    def __call__(self, operation: Operation, subscriber: str) -> Any:
        time.sleep(0.005)
        try:
            return self._call(operation, subscriber)
        finally:
            self.answered.setdefault(subscriber, time.monotonic())


def test_closing_the_outcomes_wakes_a_row_waiting_out_a_backoff() -> None:
    """A row in its backoff (0.5 s at least after a 503) does not hold the end of the run: closed while
    the row before it is yielded, the run ends without waiting the backoff out."""
    portal = Portal()
    portal.fail_first("user41@x.com", error(503))
    answered: dict[str, float] = {}
    with portal.sync_client() as client:
        answer = sync_call(client)

        def call(operation: Operation, subscriber: str) -> Any:
            if subscriber == "user40@x.com":
                time.sleep(0.15)  # the next row meanwhile meets its 503 and backs off
            try:
                return answer(operation, subscriber)
            finally:
                answered.setdefault(subscriber, time.monotonic())

        engine = ThreadedBulkLookup(call, rate=FAST, concurrency=4, check="statuses")
        outcomes = engine.outcomes(iter_rows_from_ids(ids(3000)))
        for outcome in outcomes:
            if outcome.subscriber == "user40@x.com":
                break
        closing = time.monotonic()
        outcomes.close()
        closed = time.monotonic()
    assert closed - answered["user41@x.com"] < 0.4
    assert closed - closing < 0.3
    assert portal.requests.count(("statuses", "user41@x.com")) == 1  # not sent again
    assert workers_alive() == []


def test_a_stop_wakes_a_row_waiting_out_a_backoff() -> None:
    portal = Portal()
    portal.fail_first("slow@x.com", error(503))
    portal.fail_first("stop@x.com", error(401, category="INVALID_AUTHENTICATION"))
    with portal.sync_client() as client:
        calls = SlowPortalCalls(portal, client)
        engine = ThreadedBulkLookup(calls, rate=FAST, concurrency=4, check="statuses")
        with pytest.raises(AuthenticationError):
            list(engine.outcomes(iter_rows_from_ids([*ids(60), "slow@x.com", "stop@x.com", *ids(200)[60:]])))
        stopped = time.monotonic()
    assert stopped - calls.answered["slow@x.com"] < 0.4
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
            wait_until(engine._stopped)  # answered only once the run has stopped
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


def test_ctrl_c_leaves_at_once_and_hands_on_no_row_after() -> None:
    """Ctrl-C while the caller's thread waits: ``outcomes()`` raises at once, without waiting for the rows
    in flight; none reaches ``on_finish`` once it has raised; the threads end by themselves, sending
    nothing more, and no request was cut short (they run in the pool's threads, never the caller's)."""
    calls = Calls(0.003)
    handed_on: list[str] = []
    state = {"raised": False}

    def call(operation: Any, subscriber: str) -> _Complete:
        if len(calls.finished) >= 30 and not state["raised"]:
            state["raised"] = True
            signal.raise_signal(signal.SIGINT)  # its handler raises in the main thread
            time.sleep(0.2)  # a request in flight goes on meanwhile
        return calls(operation, subscriber)

    engine = ThreadedBulkLookup(
        call, rate=FAST, concurrency=4, check="statuses", on_finish=lambda o: handed_on.append(o.subscriber)
    )
    outcomes: list[LookupOutcome] = []
    with python_ctrl_c(), pytest.raises(KeyboardInterrupt):
        drain(engine.outcomes(iter_rows_from_ids(ids(10_000))), into=outcomes)
    after = len(handed_on)
    yielded = [o.subscriber for o in outcomes]
    assert set(yielded) <= set(handed_on) <= set(calls.finished)
    wait_until(lambda: workers_alive() == [])
    assert len(handed_on) == after  # nothing handed on once the run has left
    assert calls.running == 0
    assert sorted(calls.started) == sorted(calls.finished)  # every request sent ended, none cut short
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
    """Once ``interrupt()`` is called no further row is sent, and the run raises KeyboardInterrupt: a run
    that read the rest of a short input after the interrupt (each row left undone) once ended as if
    complete."""
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


def test_rows_taken_from_the_input_stay_within_the_read_ahead_of_those_yielded() -> None:
    """The engine holds at most ``read_ahead`` rows not yet yielded: however slow the consumer, no further
    rows are read."""
    source = Counted(100_000)
    engine = ThreadedBulkLookup(Calls(0.0005), rate=FAST, concurrency=4, check="statuses")
    bound = engine.read_ahead
    outcomes = engine.outcomes(iter_rows_from_ids(source))
    ahead = 0
    for yielded, _ in enumerate(outcomes, start=1):
        assert source.taken <= yielded + bound
        ahead = max(ahead, source.taken - yielded)
        if yielded == 200:
            time.sleep(0.3)  # a slow consumer: the workers fill the read-ahead meanwhile
        if yielded == 1500:
            break
    outcomes.close()
    # The consumer fell behind by far more than the calls in flight: an engine reading without bound would
    # have taken a thousand rows more during the pause.
    assert ahead > engine.read_ahead // 2
    assert source.taken <= 1500 + bound


def test_ctrl_c_in_the_callers_own_code_between_outcomes_raises_there_at_once() -> None:
    calls = Calls(0.001)
    engine = ThreadedBulkLookup(calls, rate=FAST, concurrency=2, check="statuses")
    seen = 0
    with python_ctrl_c(), pytest.raises(KeyboardInterrupt):  # noqa: PT012 - raised in the loop's body
        for _ in engine.outcomes(iter_rows_from_ids(ids(10_000))):
            seen += 1
            if seen == 5:
                signal.raise_signal(signal.SIGINT)
                pytest.fail("Ctrl-C did not raise in the loop's body")
    assert seen == 5
    wait_until(lambda: workers_alive() == [])
