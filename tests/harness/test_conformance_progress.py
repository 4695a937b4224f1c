"""The conformance run's progress: phase, requests sent of the budget and findings so far, counted as the
report counts them; one line redrawn on a terminal, plain lines elsewhere, never on stdout."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from hubspot_commprefs.cli import build_parser, main
from hubspot_commprefs.conformance import Progress, ProgressLine, run_conformance
from hubspot_commprefs.testing import FakeHubSpot, RateLimit

if TYPE_CHECKING:
    import pytest


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _at(phase: str, sent: int, failures: int = 0, notes: int = 0) -> Progress:
    return Progress(phase, sent, 1000, failures, notes, elapsed=sent / 10)


def test_the_run_reports_each_phase_and_counts_findings_as_the_report_does() -> None:
    seen: list[Progress] = []
    with FakeHubSpot(
        faults=["enum-value", "extra-field"], rate_limit=RateLimit(max_requests=100_000)
    ) as server:
        result = run_conformance(server.conformance_options(max_examples=2), progress=seen.append)
    assert (seen[0].phase, seen[0].sent, seen[0].budget) == ("starting", 0, result.options.max_requests)
    phases = [p.phase for i, p in enumerate(seen) if i == 0 or seen[i - 1].phase != p.phase]
    assert phases == ["starting", "examples", "coverage", "fuzzing", "targeted"]
    assert [p.sent for p in seen] == sorted(p.sent for p in seen)
    assert seen[-1].sent == result.requests_sent
    counts = result.counts
    assert counts["failures"] > 0
    assert counts["notes"] > 0
    assert (seen[-1].failures, seen[-1].notes) == (counts["failures"], counts["notes"])
    # Counted as the answers are checked, not only at the end.
    assert any(p.failures and p.phase in {"examples", "coverage"} for p in seen)


def test_on_a_terminal_one_line_is_redrawn_at_most_four_times_a_second_then_erased(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    stream, clock = Terminal(), Clock()
    line = ProgressLine(stream, clock=clock)
    assert line.enabled  # a terminal: on by default
    line(_at("starting", 0))
    clock.now = 0.1
    line(_at("examples", 1))  # a new phase: drawn at once
    clock.now = 0.2
    line(_at("examples", 5))  # too soon: not drawn
    clock.now = 0.4
    line(_at("examples", 8, failures=1))
    line.close()
    first = "conformance [starting] 0/1000 requests, 0 failures, 0 notes so far, 0 s"
    second = "conformance [examples] 1/1000 requests, 0 failures, 0 notes so far, 0 s"
    third = "conformance [examples] 8/1000 requests, 1 failure, 0 notes so far, 1 s"
    assert stream.getvalue() == (
        f"\r{first}\r{second}\r{third} \r" + " " * len(third) + "\r"  # a space over the longer line's end
    )
    assert "\n" not in stream.getvalue()


def test_on_a_narrow_terminal_the_line_is_cut_to_its_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    stream = Terminal()
    ProgressLine(stream)(_at("coverage", 10))
    assert (
        stream.getvalue() == "\rconformance [coverage] 10/100"
    )  # 29 characters: a wrapped line is not redrawn


def test_elsewhere_plain_lines_one_per_phase_and_second_and_the_last_at_the_end() -> None:
    stream, clock = io.StringIO(), Clock()
    line = ProgressLine(stream, enabled=True, clock=clock)
    for step in range(30):  # 3 s of coverage, a request every 0.1 s
        clock.now = step / 10
        line(_at("coverage", step))
    line(_at("fuzzing", 30))
    clock.now = 3.05
    line(_at("fuzzing", 31, notes=1))
    line.close()
    assert re.findall(r"\] (\d+)/", stream.getvalue()) == [
        "0",
        "10",
        "20",
        "30",
        "31",  # not drawn when it came, written at the end
    ]
    assert stream.getvalue().endswith(
        "conformance [fuzzing] 31/1000 requests, 0 failures, 1 note so far, 3 s\n"
    )


def test_off_by_default_when_not_a_terminal_and_a_broken_stream_turns_it_off() -> None:
    quiet = io.StringIO()
    line = ProgressLine(quiet)
    line(_at("coverage", 1))
    line.close()
    assert quiet.getvalue() == ""
    closed = Terminal()
    closed.close()
    broken = ProgressLine(closed)
    broken(_at("coverage", 1))  # no exception: the run goes on
    assert not broken.enabled
    assert build_parser().parse_args(["conformance"]).progress is None
    assert build_parser().parse_args(["conformance", "--no-progress"]).progress is False


def test_the_command_shows_progress_on_stderr_and_the_report_alone_on_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["conformance", "--progress", "--max-examples", "2"]) == 0
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines[0].startswith("conformance [starting] 0/")
    assert all(
        re.fullmatch(r"conformance \[\w+\] \d+/\d+ requests, .* so far, \d+ s", text) for text in lines
    )
    assert lines[-1].startswith("conformance [targeted] ")
    assert "conformance [" not in captured.out
    assert "\r" not in captured.out + captured.err
    assert captured.out.rstrip().endswith("PASS: every answer conforms to the spec.  Exit code 0.")
