"""A client-side limiter that keeps requests under HubSpot's rolling-window rate limit.

HubSpot counts the requests an app made in the last *window* seconds (a rolling window: 100 to 250 per
10 s) and answers 429 to the next one. A token or leaky bucket (aiolimiter, for instance) does not hold
that: a full bucket lets ``limit`` requests through at once, and the bucket has refilled by the end of the
window, so one rolling window can see nearly twice the limit. This limiter keeps a log of slots instead:

- a slot is taken when a request is about to be sent, and is busy while the request is in flight;
- when the response arrives, the slot stays busy for one more full window, counted from that moment.

HubSpot counts a request at some moment between our sending it and our receiving the answer, so a slot
frees only after HubSpot's window has forgotten its request, whatever the network's latency and jitter:
at no moment can more than ``limit`` requests be in any of HubSpot's windows. The cost is one latency
per window (a 50 ms round trip costs 0.5 % of a 10 s window).

The first request goes alone: the others wait for its answer, whose headers may announce a lower limit
than the configured one. It slows down when HubSpot says so: a limit announced in ``X-HubSpot-RateLimit-Max`` and
``-Interval-Milliseconds`` that differs from the configured one is held as well (a request must fit in
both windows; an announced window over ``MAX_ANNOUNCED_WINDOW``, 60 s, is not plausible and is ignored); an ``X-HubSpot-RateLimit-Remaining`` lower than what this limiter knows to be free (other
processes share the app's budget) marks the difference busy for a window; a 429 pauses every request, for
``Retry-After`` when given, otherwise until a window has passed.

``RollingWindow`` is the bookkeeping alone, a pure object driven by the caller's clock readings (the
property tests drive it with arbitrary timings); ``RollingWindowLimiter`` is its asyncio face.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from hubspot_commprefs.client import MAX_SERVER_DELAY

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

__all__ = [
    "DEFAULT_RATE",
    "MAX_ANNOUNCED_WINDOW",
    "RATE_PRESETS",
    "Clock",
    "LimiterCancelledError",
    "MonotonicClock",
    "Rate",
    "RollingWindow",
    "RollingWindowLimiter",
    "Slot",
    "ThreadedRollingWindowLimiter",
]

# HubSpot's per-app limits per rolling 10 seconds (see the README's table of tiers).
RATE_PRESETS: dict[str, str] = {
    "free": "100/10s",
    "starter": "100/10s",
    "professional": "190/10s",
    "enterprise": "190/10s",
    "api-limit-increase": "250/10s",
}
DEFAULT_RATE = "100/10s"

MAX_ANNOUNCED_WINDOW = MAX_SERVER_DELAY
"""The longest window announced in HubSpot's headers that is held (HubSpot's rolling limit is per 10 s).
A longer one is ignored: holding it would wait longer than the client ever waits for HubSpot."""

_RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(?:(\d+(?:\.\d+)?)\s*(ms|s|m|min)?|(ms|s|m|min))\s*$")
_COMPACT_AFTER = 64  # forgotten entries of the freed log kept before they are dropped (at most half)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, None: 1.0}


@dataclass(frozen=True)
class Rate:
    """At most ``limit`` requests in any rolling ``window`` seconds."""

    limit: int
    window: float

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"a rate limit must allow at least 1 request, not {self.limit}")
        if not (self.window > 0 and math.isfinite(self.window)):
            raise ValueError(f"a rate window must be a positive number of seconds, not {self.window}")

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Read ``100/10s``, ``50/s``, ``50/1s``, ``600/1m``, ``20/500ms`` or a tier name (``starter``...)."""
        preset = RATE_PRESETS.get(text.strip().lower())
        match = _RATE_PATTERN.match(preset or text)
        if match is None:
            names = ", ".join(RATE_PRESETS)
            raise ValueError(
                f"cannot read the rate {text!r}: write REQUESTS/WINDOW such as 100/10s, 50/s or 20/500ms, "
                f"or a HubSpot tier: {names}"
            )
        count, amount, unit, bare_unit = match.groups()
        return cls(int(count), float(amount or 1) * _UNIT_SECONDS[unit or bare_unit])

    @property
    def per_second(self) -> float:
        return self.limit / self.window

    def __str__(self) -> str:
        return f"{self.limit}/{self.window:g}s"


Rate.__module__ = "hubspot_commprefs"  # shown under its public name (see the package's __init__)


class Clock(Protocol):
    """Where the limiter reads the time and waits; tests pass a fake one."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class Slot:
    """One request's place in the window, from ``acquire`` to ``release``."""

    taken_at: float
    released: bool = False


class RollingWindow:
    """The slot bookkeeping of one rolling window, with no clock of its own: methods take the time."""

    def __init__(self, rate: Rate) -> None:
        self.limit = rate.limit
        self.window = rate.window
        self.in_flight = 0
        self.paused_until = -math.inf
        # (when requests ended, how many), oldest first: the clock readings come in order (a reading older
        # than the last is put in its place, so the property tests may drive any timings).
        self._done: deque[tuple[float, int]] = deque()
        self._done_count = 0
        # When slots freed, in order, and how many had freed up to each of those moments (a running
        # total): ``observe`` sums the slots freed after a moment with one bisection, whatever the rate.
        self._freed_at: list[float] = []
        self._freed_upto: list[int] = []
        self._freed_start = 0  # entries before this one are forgotten (older than two windows)
        self._freed_total = 0
        self._freed_dropped = 0  # the running total at the last entry dropped from the lists

    def copy(self, rate: Rate) -> RollingWindow:
        """The same requests, counted against another rate (HubSpot's, when it differs from ours)."""
        other = RollingWindow(rate)
        other.in_flight = self.in_flight
        other._done = deque(self._done)
        other._done_count = self._done_count
        return other

    def _expire(self, now: float) -> None:
        done = self._done
        while done and done[0][0] + self.window <= now:
            ended, count = done.popleft()
            self._done_count -= count
            self._freed_total += count
            self._freed_at.append(ended + self.window)  # in order: ``done`` is
            self._freed_upto.append(self._freed_total)
        freed_at, start = self._freed_at, self._freed_start
        if start < len(freed_at) and freed_at[start] <= now - 2 * self.window:
            self._forget_freed(now - 2 * self.window)

    def _forget_freed(self, before: float) -> None:
        start = bisect.bisect_right(self._freed_at, before, lo=self._freed_start)
        if start > _COMPACT_AFTER and start * 2 > len(self._freed_at):  # drop the forgotten part: amortised
            self._freed_dropped = self._freed_upto[start - 1]
            del self._freed_at[:start], self._freed_upto[:start]
            start = 0
        self._freed_start = start

    def _freed_after(self, moment: float) -> int:
        """How many slots freed after ``moment`` (and not forgotten yet)."""
        first = bisect.bisect_right(self._freed_at, moment, lo=self._freed_start)
        before = self._freed_upto[first - 1] if first > 0 else self._freed_dropped
        return self._freed_total - before

    def busy(self, now: float) -> int:
        self._expire(now)
        return self.in_flight + self._done_count

    def wait_time(self, now: float) -> float:
        """0 when a slot is free now; otherwise how long until one may be (``inf``: when a request ends)."""
        excess = self.busy(now) - self.limit  # slots that must free before one is ours
        if now < self.paused_until:
            return self.paused_until - now
        if excess < 0:
            return 0.0
        if self._done_count > excess:
            # Enough finished slots exist that freeing some of them makes room: wait for the right one.
            freed = 0
            for ended, count in self._done:  # oldest first
                freed += count
                if freed > excess:
                    return ended + self.window - now
        return math.inf

    def take(self, now: float) -> None:
        if self.wait_time(now) != 0.0:
            raise RuntimeError("no free slot: call wait_time() first")
        self.in_flight += 1

    def release(self, now: float) -> None:
        """A request ended (answered, failed or abandoned) at ``now``: its slot frees a window later."""
        if self.in_flight < 1:
            raise RuntimeError("release() without a matching take()")
        self.in_flight -= 1
        self._mark_busy(now, 1)

    def _mark_busy(self, now: float, count: int) -> None:
        done = self._done
        if done and now < done[-1][0]:
            bisect.insort(done, (now, count))
        else:
            done.append((now, count))
        self._done_count += count

    def observe(self, now: float, *, sent_at: float, remaining: int) -> int:
        """Take in HubSpot's count of what is left, from the answer to a request sent at ``sent_at``.

        Returns how many slots were marked busy because HubSpot counts requests this limiter did not send.
        """
        self._expire(now)
        # Everything HubSpot may have counted from us when it answered: slots busy now, and slots that
        # freed after the request was sent (HubSpot may have answered before they freed).
        recently_freed = self._freed_after(sent_at)
        unknown = self.limit - self.in_flight - self._done_count - recently_freed - max(0, remaining)
        if unknown > 0:
            self._mark_busy(now, unknown)
        return max(0, unknown)

    def pause(self, now: float, seconds: float) -> None:
        self.paused_until = max(self.paused_until, now + seconds)

    def fill(self, now: float) -> None:
        """HubSpot says the window is full: mark every free slot busy for a window from ``now``."""
        free = self.limit - self.busy(now)
        if free > 0:
            self._mark_busy(now, free)


class LimiterCancelledError(Exception):
    """The run stopped while a request waited for its slot (``ThreadedRollingWindowLimiter.cancel``)."""


class _Limiter:
    """What both faces of the limiter share: the windows, HubSpot's announced limit, the first request
    going alone, 429 pauses. The faces add only the waiting (asyncio or threads)."""

    def __init__(self, rate: Rate, *, clock: Clock | None = None, probe_first: bool = True) -> None:
        self.rate = rate
        self.clock: Clock = clock or MonotonicClock()
        self.configured = RollingWindow(rate)
        self.hubspot: RollingWindow | None = None  # HubSpot's own limit, once its headers name one
        self.sent = 0
        self.rate_limited_count = 0
        self._held_until = -math.inf  # while a request waits for the rate limit: until when
        self._announced: tuple[int, float] | None = None  # the last limit HubSpot's headers announced
        # Until the first answer (and its rate-limit headers) is in, only one request is in flight: a
        # configured rate above HubSpot's real limit then costs no burst of 429s.
        self._probing = probe_first

    @property
    def windows(self) -> tuple[RollingWindow, ...]:
        return (self.configured,) if self.hubspot is None else (self.configured, self.hubspot)

    def wait_time(self) -> float:
        now = self.clock.now()
        if self.hubspot is None:
            return self.configured.wait_time(now)
        return max(self.configured.wait_time(now), self.hubspot.wait_time(now))

    def _delay(self) -> float:
        """0 when a request may go now; ``inf`` when it must wait for one in flight to end."""
        return math.inf if self._probing and self.sent else self.wait_time()

    def held_for(self) -> float:
        """Seconds left before a request that waits for the rate limit (a full window, a 429's pause) may
        go; 0 when none waits so. A request waiting only for one in flight to end is not held by the rate:
        that wait has no known length. For a progress display; reads the clock, nothing else."""
        return max(0.0, self._held_until - self.clock.now())

    def _take(self) -> Slot:
        """Take a slot in every window (``_delay`` returned 0 at this clock reading)."""
        now = self.clock.now()
        for window in self.windows:
            window.in_flight += 1  # ``take`` without its check: ``_delay`` just found every window free
        self.sent += 1
        return Slot(taken_at=now)

    def _release(self, slot: Slot) -> bool:
        """Free ``slot`` (a window from now); False when it was freed already."""
        if slot.released:
            return False
        slot.released = True
        self._probing = False
        now = self.clock.now()
        for window in self.windows:
            window.release(now)
        return True

    def observe(
        self, slot: Slot, *, remaining: int | None, limit: int | None = None, interval: float | None = None
    ) -> int:
        """Take in one answer's rate-limit headers (``interval`` in seconds). Returns the slots marked
        busy for requests HubSpot counts that this limiter did not send."""
        if (
            limit is not None
            and interval is not None
            and (limit, interval) != self._announced  # the same as the last answer's: nothing changes
            and limit >= 1
            and 0 < interval <= MAX_ANNOUNCED_WINDOW
        ):
            self._announced = (limit, interval)
            announced = Rate(limit, interval)
            if announced == self.rate:
                self.hubspot = None
            elif self.hubspot is None or (self.hubspot.limit, self.hubspot.window) != (limit, interval):
                self.hubspot = self.configured.copy(announced)
        if remaining is None:
            return 0
        window = self.hubspot or self.configured
        return window.observe(self.clock.now(), sent_at=slot.taken_at, remaining=remaining)

    def rate_limited(self, retry_after: float | None = None) -> None:
        """HubSpot answered 429: hold every request for ``retry_after`` s (at most ``MAX_SERVER_DELAY``:
        the bulk engine stops the run on a longer one), or until a window has passed."""
        self.rate_limited_count += 1
        now = self.clock.now()
        for window in self.windows:
            if retry_after is not None and 0 <= retry_after < math.inf:
                window.pause(now, min(retry_after, MAX_SERVER_DELAY))
            else:
                window.fill(now)


class RollingWindowLimiter(_Limiter):
    """Waits until a request may be sent without going over ``rate`` in any rolling window.

    Use ``async with limiter.slot() as slot:`` around one request; tell it about HubSpot's rate-limit
    headers with ``observe`` and about a 429 with ``rate_limited``. When HubSpot's headers announce a limit
    of their own (``X-HubSpot-RateLimit-Max`` per ``-Interval-Milliseconds``) that differs from ``rate``,
    a request must fit in both. One event loop only (not thread-safe); ``ThreadedRollingWindowLimiter``
    is the same limiter for threads.
    """

    def __init__(self, rate: Rate, *, clock: Clock | None = None, probe_first: bool = True) -> None:
        super().__init__(rate, clock=clock, probe_first=probe_first)
        self._turn = asyncio.Lock()  # first come, first served
        self._released = asyncio.Event()

    async def acquire(self) -> Slot:
        async with self._turn:
            while (delay := self._delay()) > 0:
                if math.isinf(delay):
                    self._released.clear()
                    await self._released.wait()
                else:
                    self._held_until = self.clock.now() + delay
                    try:
                        await self.clock.sleep(delay)
                    finally:
                        self._held_until = -math.inf
            return self._take()

    def release(self, slot: Slot) -> None:
        if self._release(slot):
            self._released.set()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        taken = await self.acquire()
        try:
            yield taken
        finally:
            self.release(taken)


class ThreadedRollingWindowLimiter(_Limiter):
    """``RollingWindowLimiter`` for requests sent from several threads: ``with limiter.slot() as slot:``.

    Every method may be called from any thread. Waits on the real clock (``clock`` gives only the time
    read); ``cancel()`` wakes every waiting request with ``LimiterCancelledError``.
    """

    def __init__(self, rate: Rate, *, clock: Clock | None = None, probe_first: bool = True) -> None:
        super().__init__(rate, clock=clock, probe_first=probe_first)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a slot freed, the limits changed, or cancel
        self._turn = threading.Lock()  # one request at a time waits for its moment; the others queue
        self._cancelled = False
        self._waiting = False  # the request holding the turn waits on ``_changed`` (then wake it)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            self._changed.notify_all()

    def acquire(self) -> Slot:
        with self._turn, self._lock:
            while True:
                if self._cancelled:
                    raise LimiterCancelledError
                delay = self._delay()
                if delay <= 0:
                    return self._take()
                self._waiting = True
                try:
                    if math.isinf(delay):
                        self._changed.wait()
                        continue
                    self._held_until = self.clock.now() + delay
                    self._changed.wait(delay)
                finally:
                    self._waiting = False
                    self._held_until = -math.inf

    def release(self, slot: Slot) -> None:
        with self._lock:
            if self._release(slot) and self._waiting:
                self._changed.notify()

    def unsend(self, slot: Slot) -> None:
        """Give back a slot whose request was not sent after all: free at once, not counted as sent."""
        with self._lock:
            if not slot.released:
                slot.released = True
                self.sent -= 1
                for window in self.windows:
                    window.in_flight -= 1
                if self._waiting:
                    self._changed.notify()

    @contextlib.contextmanager
    def slot(self) -> Iterator[Slot]:
        taken = self.acquire()
        try:
            yield taken
        finally:
            self.release(taken)

    def observe(
        self, slot: Slot, *, remaining: int | None, limit: int | None = None, interval: float | None = None
    ) -> int:
        with self._lock:
            marked = super().observe(slot, remaining=remaining, limit=limit, interval=interval)
            if self._waiting:
                self._changed.notify()  # the request waiting for its moment computes it again
            return marked

    def rate_limited(self, retry_after: float | None = None) -> None:
        with self._lock:
            super().rate_limited(retry_after)
            if self._waiting:
                self._changed.notify()
