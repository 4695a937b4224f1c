"""HubSpot's rate limit: a number of requests per app over a rolling window, and a daily allowance.

Each token counts as one app. Every answer to an authenticated request carries HubSpot's
``X-HubSpot-RateLimit-*`` headers; a request over the limit gets HubSpot's real 429 body.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

# HubSpot's Professional / Enterprise tier: 190 requests per rolling 10 seconds, 625,000 a day.
DEFAULT_MAX_REQUESTS = 190
DEFAULT_INTERVAL_MS = 10_000
DEFAULT_DAILY_LIMIT = 625_000


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``max_requests`` per rolling ``interval_ms`` milliseconds, and ``daily`` per day, per token."""

    max_requests: int = DEFAULT_MAX_REQUESTS
    interval_ms: int = DEFAULT_INTERVAL_MS
    daily: int = DEFAULT_DAILY_LIMIT

    def __post_init__(self) -> None:
        if self.max_requests < 1 or self.interval_ms < 1 or self.daily < 1:
            raise ValueError("a rate limit needs max_requests, interval_ms and daily of at least 1")


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    headers: dict[str, str]
    # Which limit refused the request: TEN_SECONDLY_ROLLING or DAILY (HubSpot's policy names).
    policy: str | None = None


class RateLimitEnforcer:
    """The fake server's side of HubSpot's rate limit: counts requests per token and refuses those over
    the limit; thread-safe. Requests refused with a 429 are not counted. (The client's side, which paces
    requests under the limit, is ``hubspot_commprefs.bulk``'s ``RollingWindowLimiter``.)"""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}
        self._daily: dict[str, int] = {}

    def acquire(self, token: str) -> Decision:
        now = time.monotonic()
        horizon = now - self.limit.interval_ms / 1000
        with self._lock:
            window = self._windows.setdefault(token, deque())
            while window and window[0] <= horizon:
                window.popleft()
            used_today = self._daily.get(token, 0)
            allowed = len(window) < self.limit.max_requests and used_today < self.limit.daily
            if allowed:
                window.append(now)
                used_today += 1
                self._daily[token] = used_today
            headers = {
                "X-HubSpot-RateLimit-Max": str(self.limit.max_requests),
                "X-HubSpot-RateLimit-Remaining": str(max(0, self.limit.max_requests - len(window))),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.limit.interval_ms),
                "X-HubSpot-RateLimit-Daily": str(self.limit.daily),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.limit.daily - used_today)),
            }
        if allowed:
            return Decision(allowed=True, headers=headers)
        policy = "DAILY" if used_today >= self.limit.daily else "TEN_SECONDLY_ROLLING"
        return Decision(allowed=False, headers=headers, policy=policy)
