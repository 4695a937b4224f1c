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

It slows down when HubSpot says the budget is shared (other processes using the same app): a response's
``X-HubSpot-RateLimit-Remaining`` lower than what this limiter knows to be free fills the difference with
busy slots, a lower ``X-HubSpot-RateLimit-Max`` or a longer interval replaces the configured one, and a 429
pauses every request (for ``Retry-After`` when given, otherwise until a window has passed).

``RollingWindow`` is the bookkeeping alone, a pure object driven by the caller's clock readings (the
property tests drive it with arbitrary timings); ``RollingWindowLimiter`` is its asyncio face.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import math
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = [
    "DEFAULT_RATE",
    "RATE_PRESETS",
    "Clock",
    "MonotonicClock",
    "Rate",
    "RollingWindow",
    "RollingWindowLimiter",
    "Slot",
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

_RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(?:(\d+(?:\.\d+)?)\s*(ms|s|m|min)?|(ms|s|m|min))\s*$")
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
    """The slot bookkeeping, with no clock of its own: every method takes the current time."""

    def __init__(self, rate: Rate) -> None:
        self.limit = rate.limit
        self.window = rate.window
        self.in_flight = 0
        self.paused_until = -math.inf
        self._busy_until: list[float] = []  # heap: when each finished slot frees
        self._freed: deque[float] = deque()  # when recently freed slots freed (for ``observe``)

    def _expire(self, now: float) -> None:
        while self._busy_until and self._busy_until[0] <= now:
            self._freed.append(heapq.heappop(self._busy_until))
        while self._freed and self._freed[0] <= now - 2 * self.window:
            self._freed.popleft()

    def busy(self, now: float) -> int:
        self._expire(now)
        return self.in_flight + len(self._busy_until)

    def wait_time(self, now: float) -> float:
        """0 when a slot is free now; otherwise how long until one may be (``inf``: when a request ends)."""
        self._expire(now)
        if now < self.paused_until:
            return self.paused_until - now
        if self.in_flight + len(self._busy_until) < self.limit:
            return 0.0
        if self._busy_until and len(self._busy_until) > self.in_flight + len(self._busy_until) - self.limit:
            # Enough finished slots exist that freeing some of them makes room: wait for the right one.
            excess = self.in_flight + len(self._busy_until) - self.limit
            return heapq.nsmallest(excess + 1, self._busy_until)[-1] - now
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
        heapq.heappush(self._busy_until, now + self.window)

    def observe(
        self,
        now: float,
        *,
        sent_at: float,
        remaining: int | None = None,
        limit: int | None = None,
        window: float | None = None,
    ) -> int:
        """Take in HubSpot's view of the window from a response to a request sent at ``sent_at``.

        Returns how many slots were marked busy because HubSpot counts requests this limiter did not send.
        """
        if limit is not None and 1 <= limit < self.limit:
            self.limit = limit
        if window is not None and self.window < window < math.inf:
            self.window = window
        if remaining is None or remaining < 0:
            return 0
        self._expire(now)
        # Everything HubSpot may have counted from us when it answered: slots busy now, and slots that
        # freed after the request was sent (HubSpot may have answered before they freed).
        ours = self.in_flight + len(self._busy_until) + sum(1 for freed in self._freed if freed > sent_at)
        unknown = self.limit - ours - remaining
        for _ in range(max(0, unknown)):
            heapq.heappush(self._busy_until, now + self.window)
        return max(0, unknown)

    def pause(self, now: float, seconds: float) -> None:
        self.paused_until = max(self.paused_until, now + seconds)

    def fill(self, now: float) -> None:
        """HubSpot says the window is full: mark every free slot busy for a window from ``now``."""
        for _ in range(max(0, self.limit - self.busy(now))):
            heapq.heappush(self._busy_until, now + self.window)


class RollingWindowLimiter:
    """Waits until a request may be sent without going over ``rate`` in any rolling window.

    Use ``async with limiter.slot() as slot:`` around one request; tell it about HubSpot's rate-limit
    headers with ``observe`` and about a 429 with ``rate_limited``. One event loop only (not thread-safe).
    """

    def __init__(self, rate: Rate, *, clock: Clock | None = None) -> None:
        self.rate = rate
        self.clock: Clock = clock or MonotonicClock()
        self.state = RollingWindow(rate)
        self.sent = 0
        self.rate_limited_count = 0
        self._turn = asyncio.Lock()  # first come, first served
        self._released = asyncio.Event()

    async def acquire(self) -> Slot:
        async with self._turn:
            while (delay := self.state.wait_time(self.clock.now())) > 0:
                if math.isinf(delay):
                    self._released.clear()
                    await self._released.wait()
                else:
                    await self.clock.sleep(delay)
            now = self.clock.now()
            self.state.take(now)
            self.sent += 1
            return Slot(taken_at=now)

    def release(self, slot: Slot) -> None:
        if slot.released:
            return
        slot.released = True
        self.state.release(self.clock.now())
        self._released.set()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        taken = await self.acquire()
        try:
            yield taken
        finally:
            self.release(taken)

    def observe(
        self, slot: Slot, *, remaining: int | None, limit: int | None = None, window: float | None = None
    ) -> None:
        self.state.observe(
            self.clock.now(), sent_at=slot.taken_at, remaining=remaining, limit=limit, window=window
        )

    def rate_limited(self, retry_after: float | None = None) -> None:
        """HubSpot answered 429: hold every request for ``retry_after`` s, or until a window has passed."""
        self.rate_limited_count += 1
        now = self.clock.now()
        if retry_after is not None and 0 < retry_after < math.inf:
            self.state.pause(now, retry_after)
        else:
            self.state.fill(now)
