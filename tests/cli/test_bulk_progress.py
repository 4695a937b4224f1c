"""``bulk``'s progress bar: it says when the rate limiter holds the requests, counts invalid, duplicate and
error rows apart with the summary's words, and is drawn on stderr only, never between output rows."""

from __future__ import annotations

import io
import sys
import threading
import time
from typing import TYPE_CHECKING

from hubspot_commprefs.bulk import ThreadedBulkLookup
from hubspot_commprefs.bulk._limiter import Limiter, Rate
from hubspot_commprefs.bulk._progress import ProgressBar
from hubspot_commprefs.cli import main
from hubspot_commprefs.cli.commands import bulk as bulk_command

from tests.bulk_helpers import rows_from_ids, wait_until

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from hubspot_commprefs.testing import FakeHubSpot

FAST = "100000/1s"
# Two contacts, an invalid id and a duplicate (the unit test above counts error rows too).
INPUT = "alice@example.com\nnot-an-email\nALICE@example.com\nbob@example.com\n"


def test_the_limiter_says_how_long_it_holds_requests_for_the_rate() -> None:
    limiter = Limiter(Rate(2, 10.0))
    limiter._probing = False
    for _ in range(2):
        limiter.acquire()
        limiter.release()
    assert limiter.rate_wait() == 0.0  # nobody waits yet, although the window is full
    third = threading.Thread(target=limiter.acquire)
    third.start()
    try:
        wait_until(lambda: limiter.rate_wait() > 0)
        assert 8.0 < limiter.rate_wait() <= 10.0
    finally:
        limiter.cancel()
        third.join()
    assert limiter.rate_wait() == 0.0


def test_a_429_pause_shows_as_held_too() -> None:
    limiter = Limiter(Rate(100, 10.0))
    limiter._probing = False
    limiter.rate_limited(retry_after=3.0)
    waiting = threading.Thread(target=limiter.acquire)
    waiting.start()
    try:
        wait_until(lambda: limiter.rate_wait() > 0)
        assert 1.0 < limiter.rate_wait() <= 3.0
    finally:
        limiter.cancel()
        waiting.join()
    assert limiter.rate_wait() == 0.0


def test_the_bar_says_it_waits_for_the_rate_limit_and_counts_outcomes_apart() -> None:
    moment = [0.0]
    held = [0.0]
    stream = io.StringIO()
    bar = ProgressBar(10, stream=stream, enabled=True, clock=lambda: moment[0], waiting=lambda: held[0])
    for outcome in ("may email", "invalid", "invalid", "duplicate", "error", "empty"):
        moment[0] += 1
        bar.advance(outcome=outcome)
    line = bar.line()
    assert ", 1 empty, 2 invalid, 1 duplicate, 1 error " in line  # the summary's words and order
    assert "failed" not in line
    assert "waiting" not in line
    held[0] = 7.2
    bar.refresh()
    assert stream.getvalue().endswith(", waiting for the rate limit (8 s) ")
    held[0] = 0.0
    bar.refresh()
    # The shorter line is padded with spaces over the longer one's end: no stale words stay visible.
    assert visible_lines(stream.getvalue())[-1].rstrip() == bar.line().rstrip()


def visible_lines(text: str) -> list[str]:
    """What a terminal shows after ``text``: ``\\r`` returns to the line's start and overwrites."""
    lines: list[str] = []
    current: list[str] = []
    column = 0
    for char in text:
        if char == "\r":
            column = 0
        elif char == "\n":
            lines.append("".join(current))
            current, column = [], 0
        else:
            if column < len(current):
                current[column] = char
            else:
                current.append(char)
            column += 1
    if current:
        lines.append("".join(current))
    return lines


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rows_on_the_same_terminal_never_have_the_bar_between_them(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "ids.txt"
    source.write_text("".join(f"user{i}@example.com\n" for i in range(30)) + INPUT, encoding="utf-8")
    terminal = Terminal()  # stdout and stderr are the same terminal, as in an interactive shell
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(bulk_command, "PROGRESS_REFRESH", 0.001)
    assert main(["bulk", str(source), "--rate", FAST, "--check", "unsubscribe-all"]) == 0
    lines = visible_lines(terminal.getvalue())
    rows = [line for line in lines if line[:1].isdigit() or line.startswith("row,")]
    assert len(rows) == 1 + 30 + 4  # the header and one row per input row
    assert all("ETA" not in row and "[#" not in row for row in rows)
    bar = next(line for line in lines if "ETA" in line)
    assert lines.index(bar) > max(lines.index(row) for row in rows)  # drawn below the last row
    summary = next(line for line in lines if "rows done in" in line)
    assert ": 32 checked: " in summary
    assert "; not checked: 0 empty, 1 invalid, 1 duplicate; 0 errors, 0 cannot tell;" in summary
    assert "1 invalid, 1 duplicate" in bar  # the summary's words


def test_the_bar_goes_to_stderr_only(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "ids.txt"
    source.write_text(INPUT, encoding="utf-8")
    out, err = io.StringIO(), Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["bulk", str(source), "--rate", FAST, "--check", "unsubscribe-all"]) == 0
    assert "ETA" not in out.getvalue()
    assert "\r" not in out.getvalue()
    assert "ETA" in err.getvalue()
    quiet = io.StringIO()  # stderr not a terminal: no bar
    monkeypatch.setattr(sys, "stderr", quiet)
    assert main(["bulk", str(source), "--rate", FAST, "--check", "unsubscribe-all"]) == 0
    assert "ETA" not in quiet.getvalue()


def test_the_bar_says_when_the_rate_limit_holds_the_run(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "ids.txt"
    source.write_text("alice@example.com\nbob@example.com\n", encoding="utf-8")
    err = Terminal()
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(bulk_command, "PROGRESS_REFRESH", 0.01)
    # One request a second: the second row is held about a second, redrawn every 10 ms meanwhile.
    assert main(["bulk", str(source), "--rate", "1/1s", "--check", "unsubscribe-all"]) == 0
    assert "waiting for the rate limit (1 s)" in err.getvalue()
    assert "waiting" not in visible_lines(err.getvalue())[-2]  # the final bar (then the summary)


class _ClosedStream(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def isatty(self) -> bool:
        return True


def test_a_bar_whose_stream_is_gone_turns_itself_off_instead_of_stopping_the_run() -> None:
    bar = ProgressBar(10, stream=_ClosedStream(), enabled=True)
    bar.advance(outcome="ok")  # no BrokenPipeError: the work goes on without its display
    bar.refresh()
    bar.clear()
    bar.close()
    assert not bar.enabled
    assert bar.done == 1


def test_a_tick_that_fails_stops_ticking_not_the_run() -> None:
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(1)
        raise BrokenPipeError(32, "Broken pipe")

    def call(operation: object, subscriber: str) -> object:
        time.sleep(0.01)
        if subscriber == "u7@x.com":  # a tick comes during the run, however late its thread runs
            wait_until(lambda: bool(ticks))

        class Answer:
            cannot_tell = None
            rate_limit = None

        return Answer()

    engine = ThreadedBulkLookup(call, rate="1000/1s", concurrency=1, check="statuses")
    outcomes = list(
        engine.outcomes(rows_from_ids([f"u{n}@x.com" for n in range(15)]), tick=tick, tick_every=0.01)
    )
    assert len(outcomes) == 15
    assert ticks == [1]  # it stopped at its first failure, silently
