"""The run's bounds. Every request passes the guard: GET only, a bounded total, a steady pace, and the run
stops after a handful of requests in a row got nothing back. Every answer is read within its request's
timeout in all and ``MAX_ANSWER_BYTES`` once decoded, with the client's own bounded reading."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import TYPE_CHECKING

from hubspot_commprefs.client import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BadEncodingError,
    BodyTooLargeError,
    UnsupportedEncodingError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_ANSWER_BYTES = DEFAULT_MAX_RESPONSE_BYTES  # the largest decoded answer the suite reads: the client's
UNREADABLE = (BodyTooLargeError, UnsupportedEncodingError, BadEncodingError)  # the client's signals
DEFAULT_MAX_UNANSWERED = 5  # requests in a row without an answer after which a run stops


def unreadable(error: Exception) -> str:
    """Why an answer was not read, from one of the ``UNREADABLE`` signals: too large, or not decodable."""
    if isinstance(error, BodyTooLargeError):
        return (
            f"an answer over the suite's limit of {MAX_ANSWER_BYTES:,} bytes (stopped after {error.read:,})"
        )
    if isinstance(error, UnsupportedEncodingError):
        return f"an answer in Content-Encoding {error}, which the suite did not ask for"
    return f"an answer that cannot be decoded ({error})"


class UnsafeRequestError(RuntimeError):
    """The suite was about to send something other than GET: refused before it left."""


class RequestBudgetExhaustedError(RuntimeError):
    """The run reached its maximum number of requests: refused before it left."""


class ServerNotAnsweringError(RuntimeError):
    """The server did not answer the last requests (refused, reset, timed out): the run stops sending."""


class RequestGuard:
    """Admits GET requests, at most ``max_requests`` in all, at most ``rate`` per second (None: no pacing);
    ``on_admit`` is called after each admitted request's turn came (a run's progress display)."""

    def __init__(
        self,
        *,
        max_requests: int,
        rate: float | None,
        max_unanswered: int = DEFAULT_MAX_UNANSWERED,
        on_admit: Callable[[], None] | None = None,
    ) -> None:
        if max_unanswered < 1:
            raise ValueError("max_unanswered must be at least 1")
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if rate is not None and rate <= 0:
            raise ValueError("the rate must be more than 0 requests per second")
        self.max_requests = max_requests
        self.rate = rate
        self.max_unanswered = max_unanswered
        self.on_admit = on_admit
        self.sent = 0
        self.sent_by_phase: Counter[str] = Counter()
        self.phase: str | None = None  # of the last request admitted that named one
        self.refused = 0
        self.unanswered_in_a_row = 0
        self.no_answer: str | None = None  # why the run stopped: the server did not answer
        self._next_at = 0.0
        self._lock = threading.Lock()

    @property
    def exhausted(self) -> bool:
        return self.sent >= self.max_requests

    def answered(self) -> None:
        """The last request got an answer (any status)."""
        with self._lock:
            self.unanswered_in_a_row = 0

    def unanswered(self, problem: str) -> None:
        """The last request got no answer (``problem`` says why); enough in a row stop the run."""
        with self._lock:
            self.unanswered_in_a_row += 1
            if self.no_answer is None and self.unanswered_in_a_row >= self.max_unanswered:
                self.no_answer = (
                    f"{self.unanswered_in_a_row} requests in a row got no answer (last: {problem})"
                )

    def admit(self, method: str, *, phase: str = "other") -> None:
        """Wait for this request's turn (counted under ``phase``); raises instead when it must not be sent."""
        with self._lock:
            if self.no_answer is not None:  # not counted as refused: the budget is not why
                raise ServerNotAnsweringError(f"the server did not answer: {self.no_answer}")
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
            self.sent_by_phase[phase] += 1
            if phase != "other":
                self.phase = phase
            now = time.monotonic()
            wait = max(0.0, self._next_at - now)
            if self.rate is not None:
                self._next_at = max(now, self._next_at) + 1 / self.rate
        if wait:
            time.sleep(wait)
        if self.on_admit is not None:
            self.on_admit()
