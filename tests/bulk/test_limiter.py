"""The rolling-window limiter: no window of HubSpot's ever sees more than the limit, and it keeps the pace.

The bookkeeping (``RollingWindow``) is driven by a discrete-event simulation on integer milliseconds, with
no real sleeping: requests arrive at arbitrary moments, take arbitrary times to answer, and HubSpot counts
each at an arbitrary moment between its sending and its answer.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import threading
import time
from bisect import bisect_right

import pytest
from hubspot_commprefs.bulk._limiter import (
    LimiterCancelledError,
    Rate,
    RollingWindow,
    RollingWindowLimiter,
    Slot,
    ThreadedRollingWindowLimiter,
)
from hubspot_commprefs.client._options import MAX_SERVER_DELAY
from hypothesis import given
from hypothesis import strategies as st

from tests.bulk_helpers import FakeClock, wait_until


def most_in_any_window(moments: list[int] | list[float], window: float) -> int:
    """The largest count of ``moments`` inside one rolling window (T - window, T]."""
    ordered = sorted(moments)
    return max(
        (i + 1 - bisect_right(ordered, moment - window) for i, moment in enumerate(ordered)),
        default=0,
    )


def simulate(
    rate: Rate, requests: list[tuple[int, int, int]], observations: list[int] | None = None
) -> tuple[list[int], list[int]]:
    """Run requests (arrival gap, latency, where HubSpot counts it: 0..100 % of the latency) in FIFO order.

    Returns the sending moments and HubSpot's counting moments. ``observations`` (one per request) are
    Remaining values HubSpot reports with each answer, as if other clients shared the budget.
    """
    state = RollingWindow(rate)
    releases: list[tuple[int, int]] = []  # (moment, request)
    now = 0
    sends: list[int] = []
    counted: list[int] = []

    def release_until(moment: int) -> None:
        while releases and releases[0][0] <= moment:
            at, request = heapq.heappop(releases)
            state.release(at)
            if observations is not None:
                state.observe(at, sent_at=sends[request], remaining=observations[request])

    for gap, latency, where in requests:
        now += gap
        while True:
            release_until(now)
            wait = state.wait_time(now)
            if wait == 0:
                break
            if math.isinf(wait):
                assert releases, "the limiter waits for a request that is not in flight"
                now = releases[0][0]
            else:
                now = min(now + math.ceil(wait), releases[0][0]) if releases else now + math.ceil(wait)
        state.take(now)
        heapq.heappush(releases, (now + latency, len(sends)))
        sends.append(now)
        counted.append(now + latency * where // 100)
    release_until(math.inf)  # type: ignore[arg-type]
    return sends, counted


REQUESTS = st.lists(
    st.tuples(st.integers(0, 300), st.integers(0, 400), st.integers(0, 100)), min_size=1, max_size=120
)


@given(limit=st.integers(1, 12), window=st.integers(1, 2000), requests=REQUESTS)
def test_no_rolling_window_ever_admits_more_than_the_limit(
    limit: int, window: int, requests: list[tuple[int, int, int]]
) -> None:
    sends, counted = simulate(Rate(limit, window), requests)
    assert len(sends) == len(requests)
    assert most_in_any_window(sends, window) <= limit
    assert most_in_any_window(counted, window) <= limit


@given(
    limit=st.integers(1, 12),
    window=st.integers(1, 2000),
    requests=REQUESTS,
    remaining=st.lists(st.integers(-1, 15), min_size=120, max_size=120),
)
def test_what_hubspot_reports_only_ever_slows_it_down(
    limit: int, window: int, requests: list[tuple[int, int, int]], remaining: list[int]
) -> None:
    sends, counted = simulate(Rate(limit, window), requests, observations=remaining)
    assert most_in_any_window(counted, window) <= limit
    assert sends == sorted(sends)


def test_it_keeps_the_full_pace_when_answers_are_instant() -> None:
    sends, _ = simulate(Rate(50, 1000), [(0, 0, 0)] * 1000)
    # Fifty per window, back to back: 1,000 requests in 20 windows, the last batch starting at 19 s.
    assert sends[-1] == 19_000
    assert most_in_any_window(sends, 1000) == 50


def test_latency_costs_one_round_trip_per_window() -> None:
    sends, _ = simulate(Rate(10, 1000), [(0, 20, 50)] * 100)
    assert sends[-1] == 9 * 1020


def test_remaining_lower_than_expected_marks_slots_busy() -> None:
    state = RollingWindow(Rate(10, 1000))
    state.take(0)
    state.release(5)
    assert state.observe(5, sent_at=0, remaining=9) == 0
    # Nine slots are free by our count; HubSpot says three: six requests are someone else's.
    assert state.observe(5, sent_at=0, remaining=3) == 6
    assert state.busy(5) == 7
    assert state.busy(1005) == 0


async def test_the_first_request_goes_alone_until_its_answer_is_in() -> None:
    limiter = RollingWindowLimiter(Rate(100, 10.0), clock=FakeClock())
    first = await limiter.acquire()
    second = asyncio.create_task(limiter.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not second.done()
    limiter.release(first)
    await second
    third = await limiter.acquire()  # no longer one at a time
    assert third.taken_at == 0


async def test_a_limit_hubspot_announces_is_held_as_well_as_the_configured_one() -> None:
    clock = FakeClock()
    limiter = RollingWindowLimiter(Rate(50, 1.0), clock=clock)
    first = await limiter.acquire()
    limiter.release(first)
    limiter.observe(first, remaining=None, limit=3, interval=10.0)  # HubSpot: 3 per 10 s
    assert limiter.hubspot is not None
    assert limiter.hubspot.busy(clock.now()) == 1
    sent = []
    for _ in range(4):
        async with limiter.slot():
            sent.append(clock.now())
    assert sent == [0, 0, 10, 10]
    limiter.observe(first, remaining=None, limit=50, interval=1.0)  # the same as configured
    assert limiter.hubspot is None


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("100/10s", Rate(100, 10)),
        ("50/s", Rate(50, 1)),
        ("50/1s", Rate(50, 1)),
        (" 20 / 500ms ", Rate(20, 0.5)),
        ("600/1m", Rate(600, 60)),
        ("7/2", Rate(7, 2)),
        ("starter", Rate(100, 10)),
        ("Professional", Rate(190, 10)),
        ("api-limit-increase", Rate(250, 10)),
    ],
)
def test_rates_and_tier_presets_parse(text: str, rate: Rate) -> None:
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "fast", "10/", "7", "0/10s", "10/0s", "-1/1s", "1/1h"])
def test_bad_rates_are_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"rate|request|window"):
        Rate.parse(text)


async def test_the_async_limiter_holds_the_rate_on_a_fake_clock() -> None:
    clock = FakeClock()
    limiter = RollingWindowLimiter(Rate(3, 1.0), clock=clock)
    sent: list[float] = []
    for _ in range(10):
        async with limiter.slot():
            sent.append(clock.now())
    assert sent == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]
    assert limiter.sent == 10


async def test_a_waiting_request_wakes_when_one_in_flight_ends() -> None:
    clock = FakeClock()
    limiter = RollingWindowLimiter(Rate(1, 1.0), clock=clock)
    first = await limiter.acquire()
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    assert not second.done()
    limiter.release(first)
    slot = await second
    assert slot.taken_at == pytest.approx(1.0)


async def test_a_429_pauses_for_retry_after_or_a_window() -> None:
    clock = FakeClock()
    limiter = RollingWindowLimiter(Rate(100, 10.0), clock=clock, probe_first=False)
    limiter.rate_limited(retry_after=2.5)
    assert (await limiter.acquire()).taken_at == pytest.approx(2.5)
    limiter.rate_limited()
    assert (await limiter.acquire()).taken_at == pytest.approx(12.5)
    assert limiter.rate_limited_count == 2


@pytest.mark.parametrize("interval", [99_999_999_999.999, 86_400.0, 61.0, math.inf, 0.0, -1.0])
def test_an_implausible_announced_window_is_ignored(interval: float) -> None:
    # A window longer than the longest wait the client accepts from HubSpot (MAX_SERVER_DELAY) would
    # hold the run for that long after a few requests: it is not HubSpot's 10 s rolling limit.
    limiter = RollingWindowLimiter(Rate(50, 1.0), clock=FakeClock())
    slot = Slot(taken_at=0.0)
    limiter.observe(slot, remaining=None, limit=2, interval=interval)
    assert limiter.hubspot is None
    limiter.observe(slot, remaining=None, limit=2, interval=MAX_SERVER_DELAY)
    assert limiter.hubspot is not None


async def test_a_429_never_pauses_longer_than_the_longest_server_delay() -> None:
    clock = FakeClock()
    limiter = RollingWindowLimiter(Rate(100, 10.0), clock=clock, probe_first=False)
    limiter.rate_limited(retry_after=1e9)
    assert (await limiter.acquire()).taken_at == pytest.approx(MAX_SERVER_DELAY)


# --- the freed log that ``observe`` sums with one bisection ------------------------------------------------


def freed_after_naive(marks: list[tuple[int, int]], window: int, now: int, moment: int) -> int:
    """Slots freed after ``moment``, by ``now``, of those freed in the last two windows: each of ``marks``
    (when slots were marked busy: a release, or what ``observe`` and ``fill`` marked; how many) frees a
    window later. Summed over every mark, as ``observe`` once did."""
    return sum(
        count
        for ended, count in marks
        if moment < ended + window <= now and ended + window > now - 2 * window
    )


class FreedLog:
    """A ``RollingWindow`` driven through its public methods, with every mark it makes noted."""

    def __init__(self, limit: int, window: int) -> None:
        self.window = window
        self.state = RollingWindow(Rate(limit, window))
        self.marks: list[tuple[int, int]] = []
        self.in_flight = 0
        self.now = 0

    def step(self, action: str, count: int, back: int) -> None:
        state, now = self.state, self.now
        if action in {"take", "cycle"}:
            for _ in range(count if action == "cycle" else 1):
                if state.wait_time(now) != 0:
                    break
                state.take(now)
                self.in_flight += 1
                if action == "cycle":
                    self.release()
        elif action == "release":
            self.release()
        elif action == "observe":
            marked = state.observe(now, sent_at=now - back, remaining=count - 1)
            if marked:
                self.marks.append((now, marked))
        else:  # fill
            before = state.busy(now)
            state.fill(now)
            if state.busy(now) > before:
                self.marks.append((now, state.busy(now) - before))

    def release(self) -> None:
        if self.in_flight:
            self.state.release(self.now)
            self.in_flight -= 1
            self.marks.append((self.now, 1))

    def check(self, moments: list[int]) -> None:
        self.state.busy(self.now)  # frees what is due and forgets what is old, as observe() does first
        for moment in moments:
            expected = freed_after_naive(self.marks, self.window, self.now, moment)
            assert self.state._freed_after(moment) == expected, (self.now, moment)


STEPS = st.lists(
    st.tuples(
        st.integers(0, 40),  # time passes
        st.sampled_from(["cycle", "cycle", "cycle", "take", "release", "observe", "fill"]),
        st.integers(1, 20),  # how many (cycles; Remaining + 1 for observe)
        st.integers(0, 100),  # how far back the request was sent, or the moment asked about
    ),
    min_size=20,  # with cycles of many slots: enough entries, often, to compact the log (over 64 forgotten)
    max_size=150,
)


@given(limit=st.integers(1, 20), window=st.integers(1, 30), steps=STEPS)
def test_the_slots_freed_after_a_moment_are_the_sum_over_every_slot_freed(
    limit: int, window: int, steps: list[tuple[int, str, int, int]]
) -> None:
    log = FreedLog(limit, window)
    for gap, action, count, back in steps:
        log.now += gap
        log.step(action, count, back)
        log.check([log.now - back, log.now - 2 * window, log.now - 2 * window - 1, log.now])
    log.check(list(range(log.now - 3 * window - 1, log.now + 2)))


def test_the_freed_log_drops_what_it_forgot_and_still_sums_right() -> None:
    # Well over 64 entries forgotten (older than two windows): the lists are compacted, the sums hold.
    log = FreedLog(3, 10)
    for _ in range(300):
        log.now += 4
        log.step("cycle", 3, 0)
        log.check(list(range(log.now - 31, log.now + 1)))
    assert len(log.marks) > 3 * 64
    assert log.state._freed_dropped > 0  # compacted, and more than once: the lists stay short
    assert len(log.state._freed_at) < len(log.marks) // 2


# --- the threaded limiter ----------------------------------------------------------------------------------


def test_the_threaded_limiter_holds_the_rate_across_threads() -> None:
    limiter = ThreadedRollingWindowLimiter(Rate(5, 0.3))
    start = threading.Barrier(12)
    taken: list[float] = []

    def request() -> None:
        start.wait()
        with limiter.slot() as slot:
            taken.append(slot.taken_at)

    threads = [threading.Thread(target=request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(taken) == 12
    assert most_in_any_window(taken, 0.3) == 5  # the limit, reached and never passed
    assert max(taken) - min(taken) < 10  # and kept: 12 slots at 5 per 0.3 s take two windows (0.6 s)
    assert limiter.sent == 12


@pytest.mark.parametrize("released", [False, True], ids=["a-request-in-flight", "the-window-full"])
def test_cancel_wakes_every_request_waiting_for_a_slot(released: bool) -> None:
    limiter = ThreadedRollingWindowLimiter(Rate(1, 60.0))
    first = limiter.acquire()
    if released:
        limiter.release(first)  # the next slot frees in 60 s
    outcomes: list[BaseException | Slot] = []

    def request() -> None:
        try:
            outcomes.append(limiter.acquire())
        except LimiterCancelledError as error:
            outcomes.append(error)

    waiters = [threading.Thread(target=request) for _ in range(3)]
    for waiter in waiters:
        waiter.start()
    wait_until(limiter._turn.locked)  # one waits for its moment, the others for their turn
    if released:
        wait_until(lambda: limiter.held_for() > 50)
    cancelled = time.monotonic()
    limiter.cancel()
    for waiter in waiters:
        waiter.join(timeout=30)
    assert time.monotonic() - cancelled < 10  # not the minute of the next slot
    assert [type(outcome) for outcome in outcomes] == [LimiterCancelledError] * 3
    assert limiter.sent == 1
    with pytest.raises(LimiterCancelledError):
        limiter.acquire()


def test_the_threaded_limiters_first_request_goes_alone_until_its_answer_is_in() -> None:
    limiter = ThreadedRollingWindowLimiter(Rate(100, 10.0))
    first = limiter.acquire()
    second: list[Slot] = []
    got = threading.Event()

    def request() -> None:
        second.append(limiter.acquire())
        got.set()

    waiter = threading.Thread(target=request)
    waiter.start()
    wait_until(limiter._turn.locked)
    assert not got.wait(0.05)  # waits while the first is in flight, with 99 slots free
    assert limiter.sent == 1
    limiter.release(first)
    assert got.wait(30)
    waiter.join()
    third = limiter.acquire()  # no longer one at a time: two in flight now
    assert limiter.sent == 3
    assert third.taken_at >= second[0].taken_at >= first.taken_at


def test_without_probing_the_threaded_limiters_first_requests_go_together() -> None:
    limiter = ThreadedRollingWindowLimiter(Rate(100, 10.0), probe_first=False)
    slots = [limiter.acquire() for _ in range(3)]  # none released: would wait forever when probing
    assert limiter.sent == len(slots) == 3
