"""Keeping bulk requests under HubSpot's rolling-window rate limit (a token bucket would let nearly twice
the limit into one window).

A slot is busy while its request is in flight and for one full window after its answer: HubSpot counts a
request somewhere between our sending it and our receiving the answer, so no window of HubSpot's holds more
than ``limit`` of ours, whatever the latency. The first request goes alone (its headers may announce a lower
limit, then held too, unless its window is over ``MAX_ANNOUNCED_WINDOW``); a ``Remaining`` lower than what
is known to be free marks the difference busy for a window; a 429 pauses every request for its
``Retry-After``, else a window. ``RollingWindow`` keeps the books on the caller's clock; ``Limiter``
(threads) and ``AsyncLimiter`` (one event loop) add the waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hubspot_commprefs.client import MAX_SERVER_DELAY

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# HubSpot's per-app limits per rolling 10 seconds (see the README's table of tiers).
RATE_PRESETS: dict[str, str] = {
    "free": "100/10s",
    "starter": "100/10s",
    "professional": "190/10s",
    "enterprise": "190/10s",
    "api-limit-increase": "250/10s",
}
DEFAULT_RATE = "100/10s"

MAX_ANNOUNCED_WINDOW = MAX_SERVER_DELAY  # a longer one would wait longer than the client ever does

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

    def __str__(self) -> str:
        return f"{self.limit}/{self.window:g}s"


Rate.__module__ = "hubspot_commprefs"  # shown under its public name (see the package's __init__)


class RollingWindow:
    """The slots of one rate: ``in_flight`` requests, and when each finished one ended (sorted; it frees a
    window later, and is kept two windows more for ``observe``)."""

    def __init__(self, rate: Rate) -> None:
        self.limit = rate.limit
        self.window = rate.window
        self.in_flight = 0
        self.paused_until = -math.inf
        self.ended: list[float] = []

    def copy(self, rate: Rate) -> RollingWindow:
        """The same requests, counted against another rate (HubSpot's, when it differs from ours)."""
        other = RollingWindow(rate)
        other.in_flight = self.in_flight
        other.ended = list(self.ended)
        return other

    def _freed(self, now: float) -> int:
        """How many finished slots are free again at ``now``."""
        ended = self.ended
        forgotten = bisect_right(ended, now - 3 * self.window)
        if forgotten:
            del ended[:forgotten]
        return bisect_right(ended, now - self.window)

    def busy(self, now: float) -> int:
        return self.in_flight + len(self.ended) - self._freed(now)

    def wait_time(self, now: float) -> float:
        """0 when a slot is free at ``now``; else how long until one is (``inf``: once a request ends)."""
        if now < self.paused_until:
            return self.paused_until - now
        freed = self._freed(now)
        excess = self.in_flight + len(self.ended) - freed - self.limit  # slots to free before ours
        if excess < 0:
            return 0.0
        if freed + excess < len(self.ended):
            return self.ended[freed + excess] + self.window - now
        return math.inf

    def release(self, now: float) -> None:
        """A request ended (answered, failed or abandoned) at ``now``: its slot frees a window later."""
        self.in_flight -= 1
        self._mark_busy(now, 1)

    def _mark_busy(self, now: float, count: int) -> None:
        at = bisect_right(self.ended, now)
        self.ended[at:at] = [now] * count

    def observe(self, now: float, *, sent_at: float, remaining: int) -> int:
        """Take in HubSpot's count of what is left, answering a request sent at ``sent_at``: mark busy (and
        return) the requests it counts that were not ours (ours: every slot busy now or freed since)."""
        self._freed(now)  # forgets what is too old to matter
        ours = self.in_flight + len(self.ended) - bisect_right(self.ended, sent_at - self.window)
        unknown = self.limit - ours - max(0, remaining)
        if unknown <= 0:
            return 0
        self._mark_busy(now, unknown)
        return unknown

    def pause(self, now: float, seconds: float) -> None:
        self.paused_until = max(self.paused_until, now + seconds)

    def fill(self, now: float) -> None:
        """HubSpot says the window is full: every free slot is busy for a window from ``now``."""
        free = self.limit - self.busy(now)
        if free > 0:
            self._mark_busy(now, free)


class _Windows:
    """What both faces share: the configured window, HubSpot's announced one, the first request going
    alone, 429 pauses; each change made inside the face's ``_changing()`` (its lock, its wake-up)."""

    _changing: Callable[[], contextlib.AbstractContextManager[object]]

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.configured = RollingWindow(rate)
        self.hubspot: RollingWindow | None = None  # HubSpot's own limit, once its headers name one
        self._announced: tuple[int, float] | None = None
        self._probing = True  # until the first answer, one request at a time
        self._started = 0
        self._held_until = -math.inf  # while a request waits for the rate: until when

    @property
    def windows(self) -> tuple[RollingWindow, ...]:
        return (self.configured,) if self.hubspot is None else (self.configured, self.hubspot)

    def _delay(self, now: float) -> float:
        """0 when a request may go at ``now``; ``inf`` when it must wait for one in flight to end."""
        if self._probing and self._started:
            return math.inf
        return max(window.wait_time(now) for window in self.windows)

    def _start(self, now: float) -> float:
        for window in self.windows:
            window.in_flight += 1
        self._started += 1
        return now

    def _wait_for(self, now: float, delay: float) -> float | None:
        """How long a request waits before it looks again (None: until something changes)."""
        if math.isinf(delay):
            return None
        self._held_until = now + delay
        return delay

    def rate_wait(self) -> float:
        """Seconds before a request held back by the rate may go (0: none is); for a progress display."""
        return max(0.0, self._held_until - time.monotonic())

    def release(self) -> None:
        """A request ended (answered, failed or abandoned)."""
        with self._changing():
            self._probing = False
            now = time.monotonic()
            for window in self.windows:
                window.release(now)

    def observe(
        self,
        sent_at: float,
        *,
        remaining: int | None,
        limit: int | None = None,
        interval: float | None = None,
    ) -> None:
        """Take in the rate-limit headers of the answer to a request sent at ``sent_at``."""
        with self._changing():
            if (
                limit is not None
                and interval is not None
                and (limit, interval) != self._announced
                and limit >= 1
                and 0 < interval <= MAX_ANNOUNCED_WINDOW
            ):
                self._announced = (limit, interval)
                announced = Rate(limit, interval)
                self.hubspot = None if announced == self.rate else self.configured.copy(announced)
            if remaining is not None:
                window = self.hubspot or self.configured
                window.observe(time.monotonic(), sent_at=sent_at, remaining=remaining)

    def rate_limited(self, retry_after: float | None = None) -> None:
        """A 429: pause for its ``Retry-After``, else fill the window."""
        with self._changing():
            now = time.monotonic()
            for window in self.windows:
                if retry_after is not None and 0 <= retry_after < math.inf:
                    window.pause(now, min(retry_after, MAX_SERVER_DELAY))
                else:
                    window.fill(now)


class Limiter(_Windows):
    """Waits until a request may be sent from any thread: ``sent_at = acquire()`` before the request
    (None once ``cancel()`` was called), ``release()`` after it, ``observe`` the answer's rate-limit
    headers, ``rate_limited`` on a 429."""

    def __init__(self, rate: Rate) -> None:
        super().__init__(rate)
        self._changed = threading.Condition()
        self._cancelled = False

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        with self._changed:
            yield
            self._changed.notify_all()

    def acquire(self) -> float | None:
        with self._changed:
            while not self._cancelled:
                now = time.monotonic()
                delay = self._delay(now)
                if delay <= 0:
                    return self._start(now)
                self._changed.wait(self._wait_for(now, delay))
                self._held_until = -math.inf
            return None

    def cancel(self) -> None:
        with self._changing():
            self._cancelled = True


class AsyncLimiter(_Windows):
    """``Limiter`` for the tasks of one event loop: ``sent_at = await acquire()``."""

    def __init__(self, rate: Rate) -> None:
        super().__init__(rate)
        self._changed = asyncio.Event()

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        yield
        self._changed.set()

    async def acquire(self) -> float:
        while True:
            now = time.monotonic()
            delay = self._delay(now)
            if delay <= 0:
                return self._start(now)
            self._changed.clear()
            try:
                async with asyncio.timeout(self._wait_for(now, delay)):
                    await self._changed.wait()
            except TimeoutError:
                pass
            finally:
                self._held_until = -math.inf
