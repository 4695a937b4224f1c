"""HubSpot's rate-limit headers, parsed into a small typed object attached to every result and error."""

from __future__ import annotations

import datetime as dt
import email.utils
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_HEADER = "X-HubSpot-RateLimit-Max"
REMAINING_HEADER = "X-HubSpot-RateLimit-Remaining"
INTERVAL_HEADER = "X-HubSpot-RateLimit-Interval-Milliseconds"
DAILY_HEADER = "X-HubSpot-RateLimit-Daily"
DAILY_REMAINING_HEADER = "X-HubSpot-RateLimit-Daily-Remaining"
RETRY_AFTER_HEADER = "Retry-After"


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What HubSpot said about its rate limits in one answer. A header that is absent or malformed is
    ``None``; HubSpot does not send the daily ones for OAuth calls.

    ``retry_after`` is in seconds (``Retry-After`` as a number or an HTTP date, never negative).
    """

    max: int | None = None
    remaining: int | None = None
    interval_ms: int | None = None
    daily: int | None = None
    daily_remaining: int | None = None
    retry_after: float | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitInfo:
        return cls(
            max=_count(headers.get(MAX_HEADER)),
            remaining=_count(headers.get(REMAINING_HEADER)),
            interval_ms=_count(headers.get(INTERVAL_HEADER)),
            daily=_count(headers.get(DAILY_HEADER)),
            daily_remaining=_count(headers.get(DAILY_REMAINING_HEADER)),
            retry_after=parse_retry_after(headers.get(RETRY_AFTER_HEADER)),
        )

    @property
    def window_exhausted(self) -> bool:
        """Whether the rolling window has no request left."""
        return self.remaining is not None and self.remaining <= 0

    @property
    def daily_exhausted(self) -> bool:
        """Whether the account's daily allowance is used up (waiting seconds will not help)."""
        return self.daily_remaining is not None and self.daily_remaining <= 0


EMPTY_RATE_LIMIT = RateLimitInfo()


def _count(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit():
        return None
    return int(value)


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date); ``None`` if malformed."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max((when - now).total_seconds(), 0.0)
