"""A run's progress for the person waiting for it: the phase, the requests sent of the budget, and the
findings so far, counted as the report counts them (one per kind of problem at one field of one endpoint).

``run_conformance(options, progress=ProgressLine())`` draws it on stderr: on a terminal one line redrawn
in place (a carriage return) at most four times a second and erased when the run ends, so that the report
starts on a clean line; elsewhere (a log, CI) plain lines, at each new phase and at most one a second, the
last one at the end. It never writes to stdout, and a stream it cannot write to turns it off.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

TERMINAL_EVERY = 0.25  # seconds between two redraws of the terminal's line
LINES_EVERY = 1.0  # seconds between two plain lines of one phase
STARTING = "starting"  # the phase before the first request: schemathesis loads the spec


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run is: its phase (``starting``, then schemathesis' ``examples``, ``coverage`` and
    ``fuzzing``, then ``targeted``), the requests sent of its budget, and the findings so far."""

    phase: str
    sent: int
    budget: int
    failures: int
    notes: int
    elapsed: float

    def line(self) -> str:
        return (
            f"conformance [{self.phase}] {self.sent}/{self.budget} requests, "
            f"{_count(self.failures, 'failure')}, {_count(self.notes, 'note')} so far, {self.elapsed:.0f} s"
        )


class ProgressLine:
    """Draws ``Progress`` on ``stream`` (stderr by default); ``enabled=None`` draws only when the stream
    is a terminal. Call it with each ``Progress`` (from any thread), then ``close()``."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty()
        self.enabled = self.terminal if enabled is None else enabled
        self._clock = clock
        self._lock = threading.Lock()
        self._drawn_at = -float("inf")
        self._drawn_phase: str | None = None
        self._pending: Progress | None = None  # the latest, when it was not drawn
        self._width = 0  # of the terminal's line drawn last

    def __call__(self, progress: Progress) -> None:
        with self._lock:
            if not self.enabled:
                return
            now = self._clock()
            every = TERMINAL_EVERY if self.terminal else LINES_EVERY
            if progress.phase == self._drawn_phase and now - self._drawn_at < every:
                self._pending = progress
                return
            self._draw(progress, now)

    def close(self) -> None:
        """The run ended: erase the terminal's line; in plain lines, write the last state if not yet."""
        with self._lock:
            if not self.enabled:
                return
            if self.terminal:
                if self._width:
                    self._write("\r" + " " * self._width + "\r")
            elif self._pending is not None:
                self._draw(self._pending, self._clock())
            self._pending = None
            self._width = 0

    def _draw(self, progress: Progress, now: float) -> None:
        self._drawn_at = now
        self._drawn_phase = progress.phase
        self._pending = None
        line = progress.line()
        if self.terminal:  # cut to the width (a wrapped line is not redrawn in place); spaces over the rest
            line = line[: shutil.get_terminal_size().columns - 1]
            self._write("\r" + line + " " * max(0, self._width - len(line)))
            self._width = len(line)
        else:
            self._write(line + "\n")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # closed, a broken pipe: a progress display never stops the run
            self.enabled = False
