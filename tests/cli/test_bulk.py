"""``hubspot-commprefs bulk`` end to end, against the fake HubSpot server over real sockets."""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httpx
import pytest
from hubspot_commprefs import CommPrefs, RateLimitError
from hubspot_commprefs import bulk as bulk_package
from hubspot_commprefs.bulk import _engine as _bulk
from hubspot_commprefs.bulk import _io as _bulk_io
from hubspot_commprefs.bulk._engine import MIN_READ_AHEAD
from hubspot_commprefs.bulk._io import COLUMNS, InputSource, journal_path
from hubspot_commprefs.cli import main
from hubspot_commprefs.testing import FakeHubSpot, RateLimit

from tests.bulk_helpers import LINE_BREAKS, wait_until
from tests.processes import started

if TYPE_CHECKING:
    from pathlib import Path

IDS = [f"user{i}@example.com" for i in range(1, 41)]
FAST = "100000/1s"


def looked_up(server: FakeHubSpot) -> list[str]:
    """The subscriber of every request the server saw, in order."""
    return [unquote(request.path.split("/statuses/")[1].split("/")[0]) for request in server.requests]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run(*argv: str) -> int:
    return main(["bulk", *argv, "--no-progress"])


def test_csv_in_csv_out_one_row_per_input_row(env: FakeHubSpot, tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text(
        "Name,Email Address\nAlice,alice@example.com\nBob,bob@example.com\nNone,not-an-email\n"
        "Again,ALICE@example.com\nNobody,\n"
    )
    output = tmp_path / "out.csv"
    assert run(str(source), "-o", str(output), "--rate", FAST) == 0  # rows not checked are no failure
    rows = list(csv.DictReader(io.StringIO(output.read_text())))
    assert tuple(rows[0]) == COLUMNS
    assert [(r["row"], r["subscriber"], r["outcome"]) for r in rows] == [
        ("1", "alice@example.com", "ok"),
        ("2", "bob@example.com", "ok"),
        ("3", "not-an-email", "invalid"),
        ("4", "ALICE@example.com", "duplicate"),
        ("5", "", "invalid"),
    ]
    assert rows[1]["unsubscribed_from_all"] == "true"
    assert rows[1]["wide_status_type"] == "PORTAL_WIDE"
    assert rows[0]["unsubscribed_from_all"] == "false"
    assert {s["status"] for s in json.loads(rows[0]["statuses"])} >= {"SUBSCRIBED"}
    assert rows[3]["error"] == "duplicate of row 1"
    assert sorted(looked_up(env)) == sorted(["alice@example.com", "bob@example.com"] * 2)
    assert not journal_path(output).exists()


def test_stdin_to_stdout_jsonl(
    env: FakeHubSpot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(IDS[:5]) + "\n"))
    assert run("-", "--format", "jsonl", "--rate", FAST, "--check", "unsubscribe-all") == 0
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["subscriber"] for r in records] == IDS[:5]
    assert all(r["statuses"] is None and r["unsubscribed_from_all"] is False for r in records)
    assert "5 of 5 rows done in " in captured.err
    assert (
        "5 checked: 5 may email, 0 opted out; not checked: 0 empty, 0 invalid, 0 duplicate; 0 errors, "
        in (captured.err)
    )
    assert len(env.requests) == 5


def test_usage_errors_exit_2(env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("a@x.com\n")
    existing = tmp_path / "out.csv"
    existing.write_text("something\n")
    assert run(str(tmp_path / "missing.txt")) == 2
    assert run(str(ids), "--rate", "fast") == 2
    assert run(str(ids), "--resume") == 2
    assert run(str(ids), "-o", str(existing)) == 2
    assert run(str(ids), "-o", str(existing), "--resume") == 2  # not an output of this tool
    assert run(str(ids), "--concurrency", "0") == 2
    err = capsys.readouterr().err
    assert "no such file" in err
    assert "cannot read the rate 'fast'" in err
    assert "--resume needs --output" in err
    assert "exists: --resume to continue it" in err
    assert "header differs" in err
    assert env.requests == []


def test_a_refused_token_stops_with_exit_3_and_writes_no_bogus_rows(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "not-the-fake-token")
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:5]))
    output = tmp_path / "out.jsonl"
    assert run(str(ids), "-o", str(output), "--rate", FAST) == 3
    assert read_jsonl(output) == []
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", env.token)
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume") == 0
    assert [r["subscriber"] for r in read_jsonl(output)] == IDS[:5]


@pytest.mark.parametrize(
    ("token", "fix"),
    [
        ("not-the-fake-token", "fix the token first"),
        ("no-scope", "communication_preferences.read scope first"),
    ],
)
def test_a_run_stopped_by_a_refused_token_says_what_to_fix_before_resume(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, *, token: str, fix: str
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", env.token_without_scope if token == "no-scope" else token)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:3]))
    assert run(str(ids), "-o", str(tmp_path / "out.csv"), "--rate", FAST) == 3
    err = capsys.readouterr().err
    assert fix in err
    assert "then run again with --resume" in err


def test_resume_on_a_finished_output_says_there_is_nothing_to_do(
    env: FakeHubSpot, tmp_path: Path, capsys
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:3]))
    output = tmp_path / "out.csv"
    assert run(str(ids), "-o", str(output), "--rate", FAST) == 0
    before = output.read_bytes()
    capsys.readouterr()
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume") == 0
    err = capsys.readouterr().err
    assert "nothing to do: all 3 rows were done already (0 errors or cannot tell" in err
    assert "0 of 0" not in err
    assert output.read_bytes() == before


class Interrupt:
    """Replaces the bulk command's single-request call: Ctrl-C at request number ``after`` (SIGINT, whose
    handler runs in the main thread); that request and every later one go on once the command has taken
    it, as requests in flight would."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.numbers = itertools.count(1)  # atomic: the workers call at once
        self.real = bulk_package.sync_call

    def __call__(self, client: Any, **options: Any) -> Any:
        call = self.real(client, **options)

        def interrupting(operation: Any, subscriber: str) -> Any:
            number = next(self.numbers)
            if number == self.after:
                signal.raise_signal(signal.SIGINT)
            if number >= self.after:
                wait_until(ctrl_c_taken)
            return call(operation, subscriber)

        return interrupting


def ctrl_c_taken() -> bool:
    """Whether the bulk command took the Ctrl-C: its handler, once run, puts Python's own back."""
    return signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.usefixtures("python_sigint")
@pytest.mark.parametrize(("output_format", "concurrency"), [("csv", 1), ("jsonl", 6)])
def test_ctrl_c_then_resume_gives_every_row_once_in_order_without_repeating_lookups(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output_format: str, concurrency: int
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS) + "\nbad-id\n" + IDS[0] + "\n")
    output = tmp_path / f"out.{output_format}"
    monkeypatch.setattr(bulk_package, "sync_call", Interrupt(after=31))
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--concurrency", str(concurrency)) == 130
    monkeypatch.undo()
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", env.token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", env.base_url)

    def finished_rows() -> dict[int, str]:
        if output_format == "csv":
            done = {int(r["row"]): r["subscriber"] for r in csv.DictReader(io.StringIO(output.read_text()))}
        else:
            done = {r["row"]: r["subscriber"] for r in read_jsonl(output)}
        journal = journal_path(output)
        if journal.exists():
            done |= {r["row"]: r["subscriber"] for r in read_jsonl(journal)}
        return done

    first = finished_rows()
    if concurrency == 1:  # the 31st request is row 16's first: rows 1-15 finished, row 16 is undone (no
        # second request once stopped); the two bad ids at the end finish when read, without a request
        assert sorted(first) == [*range(1, 16), 41, 42]
    else:
        assert 1 <= len([r for r in first if r <= 40]) < 40
    env.state.requests.clear()
    # --strict: bad-id and the duplicate, done before the Ctrl-C, are rows not checked
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume", "--strict") == 1
    again = set(looked_up(env))
    assert not again & {subscriber for row, subscriber in first.items() if row <= 40}
    if output_format == "csv":
        final = [
            (int(r["row"]), r["subscriber"], r["outcome"])
            for r in csv.DictReader(io.StringIO(output.read_text()))
        ]
    else:
        final = [(r["row"], r["subscriber"], r["outcome"]) for r in read_jsonl(output)]
    assert [row for row, _, _ in final] == list(range(1, 43))
    assert [subscriber for _, subscriber, _ in final] == [*IDS, "bad-id", IDS[0]]
    assert [outcome for _, _, outcome in final][-2:] == ["invalid", "duplicate"]
    assert not journal_path(output).exists()


def test_a_hard_crash_then_resume_loses_and_repeats_nothing(env: FakeHubSpot, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS) + "\n")
    output = tmp_path / "out.jsonl"
    # A child process that dies at once (os._exit: no cleanup at all) when sending its 25th request.
    script = textwrap.dedent(
        f"""
        import os, sys
        from hubspot_commprefs import CommPrefs
        from hubspot_commprefs import bulk as bulk_package
        from hubspot_commprefs.cli import main
        real, count = bulk_package.sync_call, [0]
        def crashing(client, **options):
            call = real(client, **options)
            def inner(operation, subscriber):
                count[0] += 1
                if count[0] == 25:
                    os._exit(9)
                return call(operation, subscriber)
            return inner
        bulk_package.sync_call = crashing
        sys.exit(main(["bulk", {str(ids)!r}, "-o", {str(output)!r}, "--rate", "{FAST}", "--concurrency", "1",
                       "--no-progress"]))
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", script], env=os.environ.copy(), capture_output=True, check=False, timeout=120
    )
    assert child.returncode == 9
    written = read_jsonl(output)
    journaled = read_jsonl(journal_path(output)) if journal_path(output).exists() else []
    done = {r["subscriber"] for r in written + journaled}
    assert done == set(IDS[:12])  # the 25th request is row 13's first
    env.state.requests.clear()
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume") == 0
    assert not set(looked_up(env)) & done
    assert [r["subscriber"] for r in read_jsonl(output)] == IDS


def read_output(path: Path, output_format: str) -> list[dict[str, Any]]:
    text = path.read_bytes().decode("utf-8")  # as written: no newline translation
    if output_format == "csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    return [json.loads(line) for line in text.split("\n") if line]


@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
@pytest.mark.parametrize("line_break", LINE_BREAKS, ids=ascii)
def test_resume_after_a_crash_and_on_a_finished_output_whatever_a_cell_holds(
    env: FakeHubSpot, tmp_path: Path, output_format: str, line_break: str
) -> None:
    odd = f"bob{line_break}smith@example.com"
    source = tmp_path / "contacts.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["name", "email"], ["Al", IDS[0]], ["Bob", odd], ["Cy", IDS[1]], ["Di", IDS[2]]]
        )
    output = tmp_path / f"out.{output_format}"
    assert run(str(source), "-o", str(output), "--rate", FAST) == 0  # row 2 is an invalid id
    finished = output.read_bytes()
    records = read_output(output, output_format)
    assert [r["subscriber"] for r in records] == [IDS[0], odd, IDS[1], IDS[2]]  # the cell as written
    assert [r["outcome"] for r in records] == ["ok", "invalid", "ok", "ok"]

    env.state.requests.clear()
    assert run(str(source), "-o", str(output), "--rate", FAST, "--resume") == 0  # finished: nothing to do
    assert env.requests == []
    assert output.read_bytes() == finished

    # A crash while writing row 2, just after its line break, with row 4 done and waiting in the journal.
    output.write_bytes(finished[: finished.index(b"bob") + 3 + len(line_break.encode())])
    journal_path(output).write_text(json.dumps(records[3]) + "\n", encoding="utf-8")
    assert run(str(source), "-o", str(output), "--rate", FAST, "--resume") == 0
    assert looked_up(env) == [IDS[1], IDS[1]]  # row 3 only, once per operation
    assert output.read_bytes() == finished
    assert not journal_path(output).exists()


def test_429s_are_retried_and_no_row_is_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another client of the same app has just used HubSpot's whole window (12 per rolling 3 s): the run's
    # first request is answered 429, the limiter waits out the window, and every row still comes out once.
    with FakeHubSpot(rate_limit=RateLimit(max_requests=12, interval_ms=3000)) as tight:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", tight.token)
        ids = tmp_path / "ids.txt"
        ids.write_text("\n".join(IDS[:12]))
        output = tmp_path / "out.jsonl"
        with CommPrefs(access_token=tight.token, base_url=tight.base_url, max_retries=0) as other:
            for i in range(12):
                other.get_statuses(f"other{i}@example.com")
        assert main(["--base-url", tight.base_url, "bulk", str(ids), "-o", str(output), "--rate", "1000/1s",
                     "--concurrency", "12", "--no-progress", "--check", "unsubscribe-all"]) == 0  # fmt: skip
        seen = looked_up(tight)
    records = read_jsonl(output)
    assert [r["subscriber"] for r in records] == IDS[:12]
    assert all(r["outcome"] == "ok" for r in records)
    assert len(seen) == 12 + 12 + 1  # the other client's, ours, and the one answered 429


def test_a_disk_full_stops_with_exit_3_and_resume_finishes_without_losing_a_row(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:8]))
    output = tmp_path / "out.jsonl"
    real_finish = _bulk_io.OrderedSink.finish
    calls = [0]

    def finish(self: Any, number: int, record: dict[str, Any]) -> None:
        calls[0] += 1
        if calls[0] == 4:
            raise OSError(28, "No space left on device")
        real_finish(self, number, record)

    monkeypatch.setattr(_bulk_io.OrderedSink, "finish", finish)
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--concurrency", "1") == 3
    err = capsys.readouterr().err
    assert "No space left on device" in err
    assert "--resume" in err
    assert [r["row"] for r in read_jsonl(output)] == [1, 2, 3]
    monkeypatch.undo()
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", env.token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", env.base_url)
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume") == 0
    assert [r["subscriber"] for r in read_jsonl(output)] == IDS[:8]


class Surrogates:
    """Replaces the bulk command's single-request call: every subscription's name gets a lone surrogate,
    as HubSpot's JSON may carry (``"\\ud800x"`` is valid JSON)."""

    def __init__(self) -> None:
        self.real = bulk_package.sync_call

    def __call__(self, client: Any, **options: Any) -> Any:
        call = self.real(client, **options)

        def named(operation: Any, subscriber: str) -> Any:
            result = call(operation, subscriber)
            if operation == "statuses":
                for status in result.model.results:
                    status.subscription_name = "\ud800x"
            return result

        return named


@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
def test_a_lone_surrogate_in_an_answer_is_written_escaped_to_stdout(
    env: FakeHubSpot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfdbinary: pytest.CaptureFixture[bytes],
    output_format: str,
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:2]))
    monkeypatch.setattr(bulk_package, "sync_call", Surrogates())
    # Standard output as a UTF-8 stream that refuses surrogates, like a real one.
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="", write_through=True)
    monkeypatch.setattr(sys, "stdout", stdout)
    code = run(str(ids), "--format", output_format, "--rate", FAST, "--check", "statuses")
    text = stdout.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]
    assert code == 0, capfdbinary.readouterr().err
    if output_format == "csv":
        records = list(csv.DictReader(io.StringIO(text)))
        statuses = [json.loads(r["statuses"]) for r in records]
    else:
        statuses = [json.loads(line)["statuses"] for line in text.splitlines()]
    assert len(statuses) == 2
    assert all(s and {status["name"] for status in s} == {"\ud800x"} for s in statuses)


def test_a_429_asking_to_wait_an_hour_stops_with_exit_3_and_says_so(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A genuine RateLimitError, as the client makes it from a 429 with "Retry-After: 3600".
    answer = httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": "3600"})
    transport = httpx.MockTransport(lambda request: answer)
    with (
        CommPrefs(access_token="t", http_client=httpx.Client(transport=transport), max_retries=0) as refusing,
        pytest.raises(RateLimitError) as info,
    ):
        refusing.get_statuses("x@example.com")
    real = bulk_package.sync_call

    def slow_down_on_row_3(client: Any, **options: Any) -> Any:
        call = real(client, **options)

        def inner(operation: Any, subscriber: str) -> Any:
            if subscriber == IDS[2]:
                raise info.value
            return call(operation, subscriber)

        return inner

    monkeypatch.setattr(bulk_package, "sync_call", slow_down_on_row_3)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:5]))
    output = tmp_path / "out.jsonl"
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--concurrency", "1") == 3
    err = capsys.readouterr().err
    assert "HubSpot asked to wait 3600 s; the most this tool waits is 60 s" in err
    assert [r["row"] for r in read_jsonl(output)] == [1, 2]
    monkeypatch.setattr(bulk_package, "sync_call", real)
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume") == 0
    assert [r["subscriber"] for r in read_jsonl(output)] == IDS[:5]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--business-unit-id", str(2**63), "bulk"], "--business-unit-id 9223372036854775808 is out of"),
        (["--business-unit-id", str(-(2**63) - 1), "bulk"], "out of the int64 range"),
    ],
)
def test_a_business_unit_id_out_of_range_is_a_usage_error_not_an_invalid_row_each(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("a@x.com\nb@x.com\n")
    output = tmp_path / "out.csv"
    assert main([*argv, str(ids), "-o", str(output), "--no-progress"]) == 2
    assert message in capsys.readouterr().err
    assert env.requests == []
    assert not output.exists()


@pytest.mark.parametrize("option", [["--concurrency", "5.5"], ["--concurrency", "x"], ["--check", "all"]])
def test_options_of_the_wrong_kind_are_refused_by_the_parser(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("a@x.com\n")
    with pytest.raises(SystemExit) as stopped:
        run(str(ids), *option)
    assert stopped.value.code == 2
    assert option[0] in capsys.readouterr().err
    assert env.requests == []


def _records(output: Path) -> list[dict[str, Any]]:
    if output.suffix == ".csv":
        return list(csv.DictReader(io.StringIO(output.read_text())))
    return read_jsonl(output)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_resume_reads_the_journal_when_output_is_still_empty(
    env: FakeHubSpot, tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:6]) + "\nbad1\nbad2\n")
    output = tmp_path / f"out{suffix}"
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--check", "unsubscribe-all") == 0
    complete = output.read_text()
    # What an interrupted run leaves while row 1 is slow: nothing in OUTPUT (JSON Lines has no header; a
    # crash before the CSV header's flush), every later row in the journal.
    journal_path(output).write_text(
        "".join(json.dumps(record) + "\n" for record in read_jsonl_or_csv_as_json(output)[1:])
    )
    output.write_text("")
    env.state.requests.clear()
    capsys.readouterr()
    argv = [str(ids), "-o", str(output), "--rate", FAST, "--check", "unsubscribe-all", "--resume"]
    assert run(*argv, "--strict") == 1  # bad1 and bad2, done before, are not checked
    assert looked_up(env) == [IDS[0]]
    assert "7 rows done before (0 errors or cannot tell, 2 not checked)" in capsys.readouterr().err
    assert output.read_text() == complete
    assert not journal_path(output).exists()


def read_jsonl_or_csv_as_json(output: Path) -> list[dict[str, Any]]:
    """The records of OUTPUT as the journal holds them (JSON values, whatever OUTPUT's format)."""
    if output.suffix == ".csv":
        return [_from_csv(record) for record in _records(output)]
    return read_jsonl(output)


def _from_csv(record: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: value or None for name, value in record.items()}
    flag = values["unsubscribed_from_all"]
    values["unsubscribed_from_all"] = None if flag is None else flag == "true"
    for name in ("row", "subscribed", "unsubscribed"):
        values[name] = None if values[name] is None else int(values[name])
    values["statuses"] = None if values["statuses"] is None else json.loads(values["statuses"])
    return values


def test_a_journal_without_output_is_not_overwritten_silently_and_overwrite_drops_it(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:3]))
    output = tmp_path / "out.jsonl"
    journal_path(output).write_text(json.dumps({"row": 2, "subscriber": IDS[1], "outcome": "ok"}) + "\n")
    assert run(str(ids), "-o", str(output), "--rate", FAST) == 2
    assert "--resume to continue it" in capsys.readouterr().err
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--overwrite") == 0
    assert [r["subscriber"] for r in read_jsonl(output)] == IDS[:3]
    assert not journal_path(output).exists()


def test_resume_with_another_check_is_refused(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:3]))
    output = tmp_path / "out.csv"
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--check", "unsubscribe-all") == 0
    for other in ("both", "statuses"):
        assert run(str(ids), "-o", str(output), "--rate", FAST, "--check", other, "--resume") == 2
        assert "made with --check unsubscribe-all" in capsys.readouterr().err
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--check", "unsubscribe-all", "--resume") == 0


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_retry_errors_looks_the_error_rows_up_again_and_rewrites_output_in_order(
    env: FakeHubSpot, tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:6]) + "\nbad\n")
    output = tmp_path / f"out{suffix}"
    assert run(str(ids), "-o", str(output), "--rate", FAST) == 0
    clean = output.read_text()
    # Rows 2 and 5 failed in that run (an outage), and row 6 is still in the journal.
    lines = clean.splitlines(keepends=True)
    header = 1 if suffix == ".csv" else 0
    for row in (2, 5):
        lines[header + row - 1] = lines[header + row - 1].replace("ok", "error", 1)
    journal_path(output).write_text(json.dumps(read_jsonl_or_csv_as_json(output)[5]) + "\n")
    output.write_text("".join(lines[: header + 5]))
    capsys.readouterr()
    env.state.requests.clear()
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume") == 1
    assert looked_up(env) == []  # without --retry-errors, error rows stay done
    assert [r["outcome"] for r in _records(output)] == ["ok", "error", "ok", "ok", "error", "ok", "invalid"]
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume", "--retry-errors") == 0
    assert sorted(looked_up(env)) == sorted([IDS[1], IDS[4]] * 2)
    assert output.read_text() == clean
    assert not journal_path(output).exists()
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--retry-errors") == 2  # needs --resume


def test_a_server_that_is_down_stops_the_run_resumably_with_exit_3(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # no waiting between the retries of a row
    monkeypatch.setattr(_bulk, "RETRY", dataclasses.replace(_bulk.RETRY, first_backoff=0.0, jitter=0.0))
    with FakeHubSpot() as stopped:
        down = stopped.base_url
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS))
    output = tmp_path / "out.csv"
    argv = ["--base-url", down, "bulk", str(ids), "-o", str(output), "--rate", FAST, "--no-progress"]
    assert main([*argv, "--concurrency", "1"]) == 3
    err = capsys.readouterr().err
    assert "10 requests in a row got no answer" in err
    assert "--resume" in err
    failed = [r["outcome"] for r in _records(output)]
    assert failed == ["error", "error"]  # 4 tries each, then the 9th and 10th request of row 3
    env.state.requests.clear()
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume", "--retry-errors") == 0
    assert [r["subscriber"] for r in _records(output)] == IDS
    assert {r["outcome"] for r in _records(output)} == {"ok"}


@pytest.mark.parametrize(
    ("make", "output_name", "extra", "message"),
    [
        ("dir", "out", [], "is a directory"),
        ("dir", "out", ["--overwrite"], "is a directory"),
        ("file", "taken/x.csv", [], "taken is not a directory"),
        ("", "out.xlsx", [], "not .xlsx"),
    ],
)
def test_an_output_that_cannot_be_written_is_a_usage_error_before_any_lookup(
    env: FakeHubSpot,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    make: str,
    output_name: str,
    extra: list[str],
    message: str,
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:3]))
    if make == "dir":
        (tmp_path / output_name).mkdir()
    elif make == "file":
        (tmp_path / "taken").write_text("a file")
    env.state.requests.clear()
    assert run(str(ids), "-o", str(tmp_path / output_name), "--rate", FAST, *extra) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "--resume" not in err
    assert env.requests == []


def test_an_unknown_suffix_is_written_when_the_format_is_chosen(env: FakeHubSpot, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:2]))
    output = tmp_path / "out.txt"
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--format", "jsonl") == 0
    assert [r["subscriber"] for r in read_jsonl(output)] == IDS[:2]


def _bulk_with_stdout(stdout: int, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hubspot_commprefs.cli", "bulk", *argv, "--no-progress"],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("to_stdout", [True, False])
def test_a_full_disk_before_the_first_row_is_a_usage_error_without_a_traceback(
    env: FakeHubSpot, tmp_path: Path, *, to_stdout: bool
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:3]))
    with open("/dev/full", "w") as full:
        if to_stdout:
            result = _bulk_with_stdout(full.fileno(), str(ids))
        else:
            result = _bulk_with_stdout(subprocess.DEVNULL, str(ids), "-o", "/dev/full")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    where = "standard output" if to_stdout else "OUTPUT /dev/full"
    assert f"cannot write {where}: No space left on device" in result.stderr


def test_a_closed_stdout_at_the_start_exits_without_a_traceback(env: FakeHubSpot, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:3]))
    read, write = os.pipe()
    os.close(read)
    try:
        result = _bulk_with_stdout(write, str(ids))
    finally:
        os.close(write)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr
    assert "cannot write standard output" in result.stderr


def test_a_stdout_closed_mid_run_stops_it_with_exit_3_not_0(env: FakeHubSpot, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(f"user{i}@example.com" for i in range(1, 401)))
    # 400 ids at 40 per second would take 10 s: the run must stop when its reader goes away instead.
    with started(
        [sys.executable, "-m", "hubspot_commprefs.cli", "bulk", str(ids), "--no-progress", "--rate", "40/1s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("row,")  # like `| head -2`: read a little, then close
        process.stdout.close()
        _, err = process.communicate(timeout=120)
    assert process.returncode == 3
    assert "Traceback" not in err
    assert "Exception ignored" not in err
    assert "cannot write standard output: it was closed" in err


def test_the_summary_counts_finished_rows_of_how_many(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text(IDS[0] + "\n")
    assert run(str(ids), "-o", str(tmp_path / "one.csv"), "--rate", FAST) == 0
    err = capsys.readouterr().err
    assert "1 of 1 row done in " in err
    assert ": 1 checked: 1 may email, 0 opted out; " in err
    assert "done before" not in err


@pytest.mark.usefixtures("python_sigint")
def test_the_cli_reads_a_huge_input_as_it_goes(
    env: FakeHubSpot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """200,000 ids: interrupted after 40 requests, the run had taken no more rows than its read-ahead."""
    ids = tmp_path / "ids.txt"
    with ids.open("w") as handle:
        handle.writelines(f"user{number}@example.com\n" for number in range(200_000))
    taken = {"rows": 0}
    real_rows = InputSource.rows

    def counted_rows(self: InputSource) -> Any:
        taken["rows"] = 0
        for row in real_rows(self):
            taken["rows"] += 1
            yield row

    monkeypatch.setattr(InputSource, "rows", counted_rows)
    monkeypatch.setattr(bulk_package, "sync_call", Interrupt(after=40))
    output = tmp_path / "out.jsonl"
    assert run(str(ids), "-o", str(output), "--rate", "100000/1s", "--concurrency", "4") == 130
    done = len(read_jsonl(output))
    if journal_path(output).exists():
        done += len(read_jsonl(journal_path(output)))
    assert done < 40
    assert taken["rows"] <= 40 + MIN_READ_AHEAD + 4
