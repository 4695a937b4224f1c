"""Live-safety: every request of a run passes here. GET only, a bounded total, and a steady pace."""

from __future__ import annotations

import threading
import time


class UnsafeRequestError(RuntimeError):
    """The suite was about to send something other than GET: refused before it left."""


class RequestBudgetExhaustedError(RuntimeError):
    """The run reached its maximum number of requests: refused before it left."""


class RequestGuard:
    """Admits GET requests, at most ``max_requests`` in all, at most ``rate`` per second (None: no pacing)."""

    def __init__(self, *, max_requests: int, rate: float | None) -> None:
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if rate is not None and rate <= 0:
            raise ValueError("the rate must be more than 0 requests per second")
        self.max_requests = max_requests
        self.rate = rate
        self.sent = 0
        self.refused = 0
        self._next_at = 0.0
        self._lock = threading.Lock()

    @property
    def exhausted(self) -> bool:
        return self.sent >= self.max_requests

    def admit(self, method: str) -> None:
        """Wait for this request's turn; raises instead when it must not be sent."""
        with self._lock:
            if method.upper() != "GET":
                self.refused += 1
                raise UnsafeRequestError(
                    f"refused to send {method.upper()}: the suite sends GET requests only"
                )
            if self.sent >= self.max_requests:
                self.refused += 1
                raise RequestBudgetExhaustedError(
                    f"the run's budget of {self.max_requests} requests is spent"
                )
            self.sent += 1
            now = time.monotonic()
            wait = max(0.0, self._next_at - now)
            if self.rate is not None:
                self._next_at = max(now, self._next_at) + 1 / self.rate
        if wait:
            time.sleep(wait)
