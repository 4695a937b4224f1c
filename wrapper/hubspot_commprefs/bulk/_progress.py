"""A one-line progress bar with rate and ETA, on a terminal only: rows counted by ``kind``, those not checked
or failed named in the summary's words (``3 empty, 1 invalid, 2 errors``), and the rate limiter's hold
(``waiting for the rate limit (8 s)``). ``clear`` erases it before a row is printed on its terminal.
"""

from __future__ import annotations

import math
import sys
import time
from collections import Counter, deque
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from hubspot_commprefs.bulk._engine import LookupOutcome

_BAR_WIDTH = 24
_REDRAW_EVERY = 0.1  # seconds
_RATE_WINDOW = 10.0  # seconds
_HISTORY_STEP = 0.05  # seconds between two readings kept for the rate (not one per row)
NOT_CHECKED = ("empty", "invalid", "duplicate")
FAILED = ("error", "cannot tell")


def kind(outcome: LookupOutcome) -> str:
    """What a row is counted as: ``may email``, ``opted out``, ``checked`` (ok, unsubscribe-all not asked), or
    one of ``NOT_CHECKED`` and ``FAILED``."""
    name = outcome.outcome
    if name == "ok":
        wide = outcome.unsubscribed_from_all
        return "checked" if wide is None else "opted out" if wide else "may email"
    if name == "invalid" and not outcome.subscriber.strip():
        return "empty"
    return "cannot tell" if name == "cannot-tell" else name


def counted(counts: Mapping[str, int], kinds: Iterable[str], *, zeros: bool = False) -> str:
    """``3 empty, 1 invalid, 2 errors``: each of ``kinds`` with its count (those at 0 only with ``zeros``)."""
    words = ((counts.get(name, 0), name) for name in kinds)
    return ", ".join(
        f"{n} {name}{'s' if name == 'error' and n != 1 else ''}" for n, name in words if n or zeros
    )


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """``done/total, percent, rows per second, ETA`` on one line of ``stream`` (stderr by default);
    ``enabled=None``: only on a terminal."""

    def __init__(
        self,
        total: int,
        *,
        done: int = 0,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        waiting: Callable[[], float] | None = None,
    ) -> None:
        self.total = total
        self.done = done
        self.outcomes: Counter[str] = Counter()
        self.waiting = waiting  # seconds the rate limiter still holds requests back, read at each redraw
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._clock = clock
        self._started = clock()
        self._history: deque[tuple[float, int]] = deque([(self._started, done)])
        self._drawn_at = -float("inf")
        self._width = 0  # of the line drawn last, for clear()

    def advance(self, *, outcome: str | None = None) -> None:
        """One more row finished, of the kind ``outcome`` (see ``kind``) when given."""
        self.done += 1
        if outcome is not None:
            self.outcomes[outcome] += 1
        now = self._clock()
        history = self._history
        if now - history[-1][0] >= _HISTORY_STEP or len(history) == 1:
            history.append((now, self.done))
            while len(history) > 2 and history[1][0] < now - _RATE_WINDOW:
                history.popleft()
        if now - self._drawn_at >= _REDRAW_EVERY or self.done >= self.total:
            self._draw(now)

    def refresh(self) -> None:
        """Draw the line again (the rate, the ETA and the wait move while no row finishes)."""
        self._draw(self._clock())

    def clear(self) -> None:
        """Erase the line before something else is printed; the next ``advance`` draws it again."""
        if self.enabled and self._width:
            self._write("\r" + " " * self._width + "\r")
            self._width = 0
            self._drawn_at = -float("inf")

    def _draw(self, now: float) -> None:
        if not self.enabled:
            return
        self._drawn_at = now
        line = self.line(now)
        # Spaces over what is left of a longer line drawn before (the wait's words come and go).
        self._write("\r" + line + " " * max(0, self._width - len(line)))
        self._width = len(line)

    def _write(self, text: str) -> None:
        """Draw ``text``; a stream that cannot take it (closed, a broken pipe) turns the bar off, not the run."""
        if not self.enabled:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False

    def line(self, now: float | None = None) -> str:
        now = self._clock() if now is None else now
        since, done_then = self._history[0]  # the rate is over the last ten seconds or so
        rate = (self.done - done_then) / (now - since) if now > since else 0.0
        fraction = self.done / self.total if self.total else 1.0
        filled = int(fraction * _BAR_WIDTH)
        left = self.total - self.done
        eta = format_duration(left / rate) if rate > 0 else "?"
        counts = counted(self.outcomes, (*NOT_CHECKED, *FAILED))
        counts = f", {counts}" if counts else ""
        held = self.waiting() if self.waiting is not None else 0.0
        wait = f", waiting for the rate limit ({math.ceil(held)} s)" if held > 0 else ""
        return (
            f"[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {self.done}/{self.total} {fraction:4.0%}"
            f"  {rate:.1f}/s  ETA {eta}{counts}{wait} "
        )

    def close(self) -> None:
        if self.enabled:
            self.waiting = None  # the run is over: nothing waits any more
            self._draw(self._clock())
            self._write("\n")
            self._width = 0
