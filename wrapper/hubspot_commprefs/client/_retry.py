"""Retries: the one rule of which failures are retried and how long to wait (``RetryPolicy``, with the
client's limits or the bulk engine's), and the client's two retry loops, which only make the attempts and
sleep. Retried: the policy's statuses, connection errors and timeouts. Waits: the server's ``Retry-After``;
on a 429 without it, the rest of a used-up rate-limit window; else backoff with jitter. A server delay over
``max_server_delay`` and an exhausted daily limit are not waited for: the error is raised at once.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from hubspot_commprefs._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    RateLimitError,
)
from hubspot_commprefs._logging import logger
from hubspot_commprefs.client._options import MAX_SERVER_DELAY

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

T = TypeVar("T")


def server_delay(error: APIStatusError) -> float | None:
    """The wait the server asks for, in seconds, or None; ``math.inf`` (waiting cannot help) when HubSpot's
    daily limit refused the request (``policyName`` DAILY, or no daily request left)."""
    limits = error.rate_limit
    if isinstance(error, RateLimitError) and (
        (error.policy_name or "").strip().upper() == "DAILY" or limits.daily_exhausted
    ):
        return math.inf
    if limits.retry_after is not None:
        return limits.retry_after
    if error.status_code == 429 and limits.window_exhausted and limits.interval_ms:
        return limits.interval_ms / 1000
    return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The limits of the one retry rule: the client's are the defaults; the bulk engine passes its own.
    Backoff: ``first_backoff`` seconds before the first retry, doubling with each, plus up to ``jitter``
    seconds, capped at ``max_backoff``."""

    max_retries: int
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    first_backoff: float = 0.5
    max_backoff: float = 8.0
    jitter: float = 0.5
    max_server_delay: float = MAX_SERVER_DELAY

    def retryable(self, error: Exception) -> bool:
        """Whether ``error`` is of a kind that is retried (whatever the server asks to wait)."""
        if isinstance(error, APIConnectionError):
            return True
        return isinstance(error, APIStatusError) and error.status_code in self.retry_statuses

    def waiting_cannot_help(self, error: APIStatusError) -> bool:
        """Whether the server asks for a wait over ``max_server_delay`` (or the daily limit is used up)."""
        delay = server_delay(error)
        return delay is not None and delay > self.max_server_delay

    def decision(self, error: Exception) -> bool | float:
        """False (do not retry), True (exponential backoff) or the seconds the server asks to wait."""
        if not self.retryable(error):
            return False
        delay = server_delay(error) if isinstance(error, APIStatusError) else None
        if delay is None:
            return True
        return delay if delay <= self.max_server_delay else False

    def backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 for the first)."""
        # 2**32 times the first backoff is far past any cap; the bound keeps the power from overflowing a float
        base = self.first_backoff * 2.0 ** min(retry - 1, 32)
        jitter = random.uniform(0, self.jitter)  # noqa: S311 - jitter, not cryptography
        return min(self.max_backoff, base + jitter)

    def next_wait(self, error: APIError, retry: int) -> float | None:
        """Seconds to wait before retry number ``retry``, or None when ``error`` is final (logged)."""
        if retry > self.max_retries:
            return None
        decision = self.decision(error)
        if decision is False:
            return None
        wait = self.backoff(retry) if decision is True else float(decision)
        logger.info(
            "retrying after %s (retry %d of %d, waiting %.2fs%s)",
            type(error).__name__,
            retry,
            self.max_retries,
            wait,
            "" if decision is True else ", as the server asked",
        )
        return wait


def name_attempts(error: APIError, attempts: int, seconds: float, attempt_seconds: float | None) -> None:
    """End a no-answer error's message with the attempts made and their time (``...; 3 attempts over 8.3 s
    (timeout 2 s each)``) when there were several: it says why the call took longer than its timeout."""
    if attempts <= 1 or not isinstance(error, APIConnectionError):
        return
    each = (
        f" (timeout {attempt_seconds:g} s each)"
        if isinstance(error, APITimeoutError) and attempt_seconds is not None
        else ""
    )
    error.message = f"{error.message}; {attempts} attempts over {seconds:.1f} s{each}"
    error.args = (error.message,)


def call_with_retries(
    attempt: Callable[[], T], policy: RetryPolicy, *, attempt_seconds: float | None = None
) -> T:
    """Run ``attempt``, retrying it as ``policy`` says; the last error is raised, its message naming the
    attempts when it is a no-answer (``attempt_seconds``: the limit of one, for that message)."""
    started = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        try:
            return attempt()
        except APIError as error:
            wait = policy.next_wait(error, attempts)
            if wait is None:
                name_attempts(error, attempts, time.monotonic() - started, attempt_seconds)
                raise
        time.sleep(wait)


async def async_call_with_retries(
    attempt: Callable[[], Awaitable[T]], policy: RetryPolicy, *, attempt_seconds: float | None = None
) -> T:
    """The same as ``call_with_retries``, for a coroutine function."""
    started = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        try:
            return await attempt()
        except APIError as error:
            wait = policy.next_wait(error, attempts)
            if wait is None:
                name_attempts(error, attempts, time.monotonic() - started, attempt_seconds)
                raise
        import asyncio

        await asyncio.sleep(wait)
