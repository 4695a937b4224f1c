"""A one-line progress bar with rate and ETA, drawn on a terminal only (quiet when output is piped)."""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ProgressBar", "format_duration"]

_BAR_WIDTH = 24
_REDRAW_EVERY = 0.1  # seconds
_RATE_WINDOW = 10.0  # the rate shown is over the last ten seconds


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """``done/total, percent, rows per second, ETA`` on one line of ``stream`` (stderr by default).

    ``enabled=None`` draws only when the stream is a terminal.
    """

    def __init__(
        self,
        total: int,
        *,
        done: int = 0,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.done = done
        self.failed = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._clock = clock
        self._started = clock()
        self._history: list[tuple[float, int]] = [(self._started, done)]
        self._drawn_at = -float("inf")

    def advance(self, count: int = 1, *, failed: bool = False) -> None:
        self.done += count
        self.failed += failed
        now = self._clock()
        self._history.append((now, self.done))
        while len(self._history) > 2 and self._history[1][0] < now - _RATE_WINDOW:  # noqa: PLR2004
            self._history.pop(0)
        if self.enabled and (now - self._drawn_at >= _REDRAW_EVERY or self.done >= self.total):
            self._drawn_at = now
            self.stream.write("\r" + self.line(now))
            self.stream.flush()

    def rate(self, now: float | None = None) -> float:
        now = self._clock() if now is None else now
        since, done_then = self._history[0]
        elapsed = now - since
        return (self.done - done_then) / elapsed if elapsed > 0 else 0.0

    def line(self, now: float | None = None) -> str:
        rate = self.rate(now)
        fraction = self.done / self.total if self.total else 1.0
        filled = int(fraction * _BAR_WIDTH)
        left = self.total - self.done
        eta = format_duration(left / rate) if rate > 0 else "?"
        failed = f", {self.failed} failed" if self.failed else ""
        return (
            f"[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {self.done}/{self.total} {fraction:4.0%}"
            f"  {rate:.1f}/s  ETA {eta}{failed} "
        )

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + self.line() + "\n")
            self.stream.flush()
