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
from hubspot_commprefs.bulk._limiter import AsyncLimiter, Limiter, Rate, RollingWindow
from hubspot_commprefs.client._options import MAX_SERVER_DELAY
from hypothesis import given
from hypothesis import strategies as st

from tests.bulk_helpers import wait_until


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
        state.in_flight += 1
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
    state.in_flight += 1
    state.release(5)
    assert state.observe(5, sent_at=0, remaining=9) == 0
    # Nine slots are free by our count; HubSpot says three: six requests are someone else's.
    assert state.observe(5, sent_at=0, remaining=3) == 6
    assert state.busy(5) == 7
    assert state.busy(1005) == 0


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


# --- the limiters: the waiting around the bookkeeping ---------------------------------------------------


async def test_the_first_request_goes_alone_until_its_answer_is_in() -> None:
    limiter = AsyncLimiter(Rate(100, 10.0))
    await limiter.acquire()
    second = asyncio.create_task(limiter.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not second.done()
    limiter.release()
    await second
    await asyncio.wait_for(limiter.acquire(), 1)  # no longer one at a time: two in flight now


async def test_a_limit_hubspot_announces_is_held_as_well_as_the_configured_one() -> None:
    limiter = AsyncLimiter(Rate(50, 1.0))
    sent_at = await limiter.acquire()
    limiter.release()
    limiter.observe(sent_at, remaining=None, limit=3, interval=10.0)  # HubSpot: 3 per 10 s
    assert limiter.hubspot is not None
    assert limiter.hubspot.busy(time.monotonic()) == 1
    for _ in range(2):
        await asyncio.wait_for(limiter.acquire(), 1)
        limiter.release()
    fourth = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.05)
    assert not fourth.done()  # HubSpot's window is full for 10 s, ours is not
    assert limiter.rate_wait() > 9
    fourth.cancel()
    limiter.observe(sent_at, remaining=None, limit=50, interval=1.0)  # the same as configured
    assert limiter.hubspot is None


async def test_the_async_limiter_holds_the_rate() -> None:
    limiter = AsyncLimiter(Rate(3, 0.2))
    limiter._probing = False
    sent: list[float] = []
    for _ in range(7):
        sent.append(await limiter.acquire())
        limiter.release()
    assert most_in_any_window(sent, 0.2) == 3
    assert sent[-1] - sent[0] >= 0.4  # seven at three per window: two windows waited at least


async def test_a_waiting_request_wakes_when_one_in_flight_ends() -> None:
    limiter = AsyncLimiter(Rate(1, 0.1))
    await limiter.acquire()
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.02)
    assert not second.done()
    released = time.monotonic()
    limiter.release()
    assert await asyncio.wait_for(second, 2) >= released + 0.1  # a window after the answer


@pytest.mark.parametrize(("retry_after", "paused"), [(2.5, 2.5), (None, 10.0), (1e9, MAX_SERVER_DELAY)])
def test_a_429_pauses_for_retry_after_or_a_window_never_longer_than_the_longest_server_delay(
    retry_after: float | None, paused: float
) -> None:
    limiter = Limiter(Rate(100, 10.0))
    limiter._probing = False
    limiter.rate_limited(retry_after)
    assert limiter.configured.wait_time(time.monotonic()) == pytest.approx(paused, abs=0.5)


@pytest.mark.parametrize("interval", [99_999_999_999.999, 86_400.0, 61.0, math.inf, 0.0, -1.0])
def test_an_implausible_announced_window_is_ignored(interval: float) -> None:
    # A window longer than the longest wait the client accepts from HubSpot (MAX_SERVER_DELAY) would
    # hold the run for that long after a few requests: it is not HubSpot's 10 s rolling limit.
    limiter = Limiter(Rate(50, 1.0))
    limiter.observe(0.0, remaining=None, limit=2, interval=interval)
    assert limiter.hubspot is None
    limiter.observe(0.0, remaining=None, limit=2, interval=MAX_SERVER_DELAY)
    assert limiter.hubspot is not None


def test_the_threaded_limiter_holds_the_rate_across_threads() -> None:
    limiter = Limiter(Rate(5, 0.3))
    start = threading.Barrier(12)
    taken: list[float] = []

    def request() -> None:
        start.wait()
        sent_at = limiter.acquire()
        assert sent_at is not None
        taken.append(sent_at)
        limiter.release()

    threads = [threading.Thread(target=request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert len(taken) == 12
    assert most_in_any_window(taken, 0.3) == 5  # the limit, reached and never passed
    assert max(taken) - min(taken) < 2.0  # and kept: 12 slots at 5 per 0.3 s take two windows (0.6 s)


@pytest.mark.parametrize("released", [False, True], ids=["a-request-in-flight", "the-window-full"])
def test_cancel_wakes_every_request_waiting_for_a_slot(released: bool) -> None:
    limiter = Limiter(Rate(1, 60.0))
    limiter.acquire()
    if released:
        limiter.release()  # the next slot frees in 60 s
    outcomes: list[float | None] = []
    waiters = [threading.Thread(target=lambda: outcomes.append(limiter.acquire())) for _ in range(3)]
    for waiter in waiters:
        waiter.start()
    if released:
        wait_until(lambda: limiter.rate_wait() > 50)
    time.sleep(0.05)
    cancelled = time.monotonic()
    limiter.cancel()
    for waiter in waiters:
        waiter.join(timeout=2)
    assert time.monotonic() - cancelled < 1.0
    assert outcomes == [None] * 3
    assert limiter.acquire() is None


def test_the_threaded_limiters_first_request_goes_alone_until_its_answer_is_in() -> None:
    limiter = Limiter(Rate(100, 10.0))
    limiter.acquire()
    got = threading.Event()

    def request() -> None:
        limiter.acquire()
        got.set()

    waiter = threading.Thread(target=request)
    waiter.start()
    assert not got.wait(0.05)  # waits while the first is in flight, with 99 slots free
    limiter.release()
    assert got.wait(2.0)
    waiter.join()
    assert limiter.acquire() is not None  # no longer one at a time: two in flight now


def test_without_probing_the_threaded_limiters_first_requests_go_together() -> None:
    limiter = Limiter(Rate(100, 10.0))
    limiter._probing = False
    assert None not in [limiter.acquire() for _ in range(3)]  # none released: would wait when probing
