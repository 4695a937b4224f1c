"""HubSpot's rate-limit headers, parsed into a small typed object attached to every result and error."""

from __future__ import annotations

import datetime as dt
import email.utils
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from hubspot_commprefs.schemas import INT64_MAX

if TYPE_CHECKING:
    from collections.abc import Mapping

# Lower-case, as looked up.
MAX_HEADER = "x-hubspot-ratelimit-max"
REMAINING_HEADER = "x-hubspot-ratelimit-remaining"
INTERVAL_HEADER = "x-hubspot-ratelimit-interval-milliseconds"
DAILY_HEADER = "x-hubspot-ratelimit-daily"
DAILY_REMAINING_HEADER = "x-hubspot-ratelimit-daily-remaining"
RETRY_AFTER_HEADER = "retry-after"


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
    def from_headers(cls, headers: Mapping[str, str] | httpx.Headers) -> RateLimitInfo:
        """Parse the headers of one answer (one pass over an ``httpx.Headers``' raw list, which is
        much cheaper than six lookups that mostly miss)."""
        found: dict[str, str] = {}
        if isinstance(headers, httpx.Headers):
            for name, value in headers.raw:
                key = name.lower()
                if key.startswith(b"x-hubspot-ratelimit-") or key == b"retry-after":
                    found.setdefault(key.decode("latin-1"), value.decode("latin-1"))
        else:
            found = {k.lower(): v for k, v in headers.items()}
        if not found:
            return EMPTY_RATE_LIMIT
        return cls(
            max=_count(found.get(MAX_HEADER)),
            remaining=_count(found.get(REMAINING_HEADER)),
            interval_ms=_count(found.get(INTERVAL_HEADER)),
            daily=_count(found.get(DAILY_HEADER)),
            daily_remaining=_count(found.get(DAILY_REMAINING_HEADER)),
            retry_after=parse_retry_after(found.get(RETRY_AFTER_HEADER)),
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


_MAX_COUNT_DIGITS = 19
"""A count longer than this is not a count HubSpot sends (an int64 has 19 digits); parsing it would also
meet Python's limit on int() of long strings (4300 digits), which raises ValueError."""
_MAX_COUNT = INT64_MAX


def _count(value: str | None) -> int | None:
    """A non-negative count from a header, or None when it is absent or not a plausible count."""
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > _MAX_COUNT_DIGITS:
        return None
    number = int(value)
    return number if number <= _MAX_COUNT else None


_MAX_RETRY_AFTER_LENGTH = 64


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date); ``None`` if malformed."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > _MAX_RETRY_AFTER_LENGTH:  # no delay or HTTP date is this long
        return None
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
