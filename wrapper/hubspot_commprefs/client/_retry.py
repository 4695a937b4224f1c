"""Retries: which failures are retried, how long to wait before the next attempt, and the loop itself.

Retried: 429, 502, 503 and 504 answers, connection errors and timeouts; nothing else. Waits: the server's
``Retry-After`` when given; on a 429 without it, the rest of HubSpot's rate-limit window when its
headers say the window is used up; otherwise exponential backoff with jitter (0.5 s doubling, capped at
8 s, plus up to 0.5 s of random jitter). A server delay over ``MAX_SERVER_DELAY`` and an exhausted daily
limit are not waited for: the error is raised at once (its ``rate_limit`` says why).

The loop is our own, not stamina's: stamina's instrumentation is global (its default hook logs a warning
through the ``stamina`` logger for every retry, which Python's last-resort handler prints to stderr when
the application configured no logging), and it cannot be switched off for our calls alone without
changing it for the whole application. Each retry is logged (INFO) through the ``hubspot_commprefs``
logger instead. Waits go through ``time.sleep`` and ``asyncio.sleep``, looked up at each wait, so tests
can replace them.
"""

from __future__ import annotations

import math
import random
import time
from typing import TYPE_CHECKING, TypeVar

from hubspot_commprefs._errors import APIConnectionError, APIError, APIStatusError, RateLimitError
from hubspot_commprefs._logging import logger
from hubspot_commprefs.client._options import (
    INITIAL_RETRY_DELAY,
    MAX_RETRY_DELAY,
    MAX_SERVER_DELAY,
    RETRY_JITTER,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

T = TypeVar("T")

RETRYABLE_STATUS_CODES = frozenset({429, 502, 503, 504})
DAILY_POLICY = "DAILY"
_MAX_DOUBLINGS = 32  # 0.5 s * 2**32 is far past any cap; keeps the power from overflowing a float


def server_delay(error: APIStatusError) -> float | None:
    """The wait the server asks for, in seconds (``math.inf`` when waiting cannot help), or None."""
    limits = error.rate_limit
    if isinstance(error, RateLimitError) and (limits.daily_exhausted or error.policy_name == DAILY_POLICY):
        return math.inf
    if limits.retry_after is not None:
        return limits.retry_after
    if error.status_code == 429 and limits.window_exhausted and limits.interval_ms:  # noqa: PLR2004
        return limits.interval_ms / 1000
    return None


def retry_decision(error: Exception) -> bool | float:
    """False (do not retry), True (exponential backoff) or the seconds to wait."""
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, APIStatusError) and error.status_code in RETRYABLE_STATUS_CODES:
        delay = server_delay(error)
        if delay is None:
            return True
        return delay if delay <= MAX_SERVER_DELAY else False
    return False


def backoff(retry: int) -> float:
    """The wait before retry number ``retry`` (1 for the first): 0.5 s doubling, plus jitter, capped."""
    base = INITIAL_RETRY_DELAY * 2.0 ** min(retry - 1, _MAX_DOUBLINGS)
    jitter = random.uniform(0, RETRY_JITTER)  # noqa: S311 - jitter, not cryptography
    return min(MAX_RETRY_DELAY, base + jitter)


def next_wait(error: APIError, retry: int, max_retries: int) -> float | None:
    """Seconds to wait before retry number ``retry``, or None when ``error`` is final (logged)."""
    if retry > max_retries:
        return None
    decision = retry_decision(error)
    if decision is False:
        return None
    wait = backoff(retry) if decision is True else float(decision)
    logger.info(
        "retrying after %s (retry %d of %d, waiting %.2fs%s)",
        type(error).__name__,
        retry,
        max_retries,
        wait,
        "" if decision is True else ", as the server asked",
    )
    return wait


def call_with_retries(attempt: Callable[[], T], max_retries: int) -> T:
    """Run ``attempt`` and retry it as the rules above say; the last error is raised as is."""
    retry = 0
    while True:
        try:
            return attempt()
        except APIError as error:
            retry += 1
            wait = next_wait(error, retry, max_retries)
            if wait is None:
                raise
        time.sleep(wait)


async def async_call_with_retries(attempt: Callable[[], Awaitable[T]], max_retries: int) -> T:
    """The same as ``call_with_retries``, for a coroutine function."""
    import asyncio  # noqa: PLC0415 - loaded by then; kept out of the package's import

    retry = 0
    while True:
        try:
            return await attempt()
        except APIError as error:
            retry += 1
            wait = next_wait(error, retry, max_retries)
            if wait is None:
                raise
        await asyncio.sleep(wait)
