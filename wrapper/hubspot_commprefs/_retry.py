"""Retries, with stamina: which failures are retried, and how long to wait before the next attempt.

Retried: 429, 502, 503 and 504 answers, connection errors and timeouts; nothing else. Waits: the server's
``Retry-After`` when given; on a 429 without it, the rest of HubSpot's rate-limit window when its
headers say the window is used up; otherwise exponential backoff with jitter (0.5 s doubling, capped at
8 s), stamina's own. A server delay over ``MAX_SERVER_DELAY`` and an exhausted daily limit are not
waited for: the error is raised at once (its ``rate_limit`` says why).

The first attempt runs outside stamina: a call that succeeds pays neither stamina's import nor its
per-call bookkeeping. After a retryable failure, stamina takes over; its first "attempt" re-raises that
failure, so stamina computes the first wait, and each later attempt is a real request. stamina's
``set_testing`` and ``set_active`` switches apply, and tests replace the sleep through
``time.sleep`` / ``asyncio.sleep`` as stamina documents.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeVar

from hubspot_commprefs._config import INITIAL_RETRY_DELAY, MAX_RETRY_DELAY, MAX_SERVER_DELAY, RETRY_JITTER
from hubspot_commprefs._errors import APIConnectionError, APIError, APIStatusError, RateLimitError
from hubspot_commprefs._logging import logger

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

T = TypeVar("T")

RETRYABLE_STATUS_CODES = frozenset({429, 502, 503, 504})
DAILY_POLICY = "DAILY"


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


def backoff_hook(error: Exception) -> bool | float:
    """stamina's backoff hook: ``retry_decision``, logged."""
    decision = retry_decision(error)
    if decision is not False:
        wait = "backoff" if decision is True else f"{decision:.2f}s"
        logger.info("retrying after %s (wait: %s)", type(error).__name__, wait)
    return decision


def _retry_context(max_retries: int):  # type: ignore[no-untyped-def]  # noqa: ANN202 - stamina's own type
    import stamina  # noqa: PLC0415 - imported only when a retry is needed

    return stamina.retry_context(
        on=backoff_hook,
        attempts=max_retries + 1,
        timeout=None,
        wait_initial=INITIAL_RETRY_DELAY,
        wait_max=MAX_RETRY_DELAY,
        wait_jitter=RETRY_JITTER,
        wait_exp_base=2.0,
    )


def call_with_retries(attempt: Callable[[], T], max_retries: int) -> T:
    """Run ``attempt`` and retry it as the rules above say; the last error is raised as is."""
    try:
        return attempt()
    except APIError as error:
        if max_retries <= 0 or retry_decision(error) is False:
            raise
        pending: list[APIError] = [error]
    for retry in _retry_context(max_retries):
        with retry:
            if pending:
                raise pending.pop()
            return attempt()
    raise AssertionError("unreachable: stamina returns or raises")  # pragma: no cover


async def async_call_with_retries(attempt: Callable[[], Awaitable[T]], max_retries: int) -> T:
    """The same as ``call_with_retries``, for a coroutine function."""
    try:
        return await attempt()
    except APIError as error:
        if max_retries <= 0 or retry_decision(error) is False:
            raise
        pending: list[APIError] = [error]
    async for retry in _retry_context(max_retries):
        with retry:
            if pending:
                raise pending.pop()
            return await attempt()
    raise AssertionError("unreachable: stamina returns or raises")  # pragma: no cover
