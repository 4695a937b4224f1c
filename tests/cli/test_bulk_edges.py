"""``hubspot-commprefs bulk`` at its edges: answers that cannot tell, an OUTPUT that is not this tool's,
two runs on one OUTPUT, and standard input that is closed, unreadable or cannot be copied."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from typing import TYPE_CHECKING, Any

import pytest
from hubspot_commprefs.bulk._io import journal_path
from hubspot_commprefs.cli import main
from hubspot_commprefs.cli.commands.bulk import _holder

from tests.bulk_helpers import wait_until

if TYPE_CHECKING:
    from pathlib import Path

    from hubspot_commprefs.testing import FakeHubSpot

IDS = [f"user{i}@example.com" for i in range(1, 81)]
FAST = "100000/1s"
SLOW = "20/1s"  # 80 rows of one request: about 3 s, so that a run is still going while a test acts
LIVE = 30.0  # seconds a test waits at most for something a live run does (generous: a loaded machine)

BULK = (sys.executable, "-m", "hubspot_commprefs.cli", "bulk", "--no-progress")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX locks and signals")


def run(*argv: str) -> int:
    return main(["bulk", *argv, "--no-progress"])


def write_ids(tmp_path: Path, count: int = len(IDS)) -> Path:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(IDS[:count]) + "\n")
    return ids


def rows_of(output: Path) -> list[dict[str, Any]]:
    text = output.read_bytes().decode("utf-8")
    if output.suffix == ".csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    return [json.loads(line) for line in text.split("\n") if line]


def lock_path(output: Path) -> Path:
    return output.with_name(output.name + ".lock")


# -- Answers that cannot tell -------------------------------------------------------------------------


def test_rows_that_cannot_tell_are_never_false_and_are_named_apart(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fake server has no business unit 1: each answer is a 200 that lists an error.
    ids = write_ids(tmp_path, 3)
    output = tmp_path / "out.csv"
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--business-unit-id", "1") == 1
    rows = rows_of(output)
    assert [(r["outcome"], r["unsubscribed_from_all"]) for r in rows] == [("cannot-tell", "")] * 3
    assert all("Business unit 1 does not exist" in r["error"] for r in rows)
    err = capsys.readouterr().err
    assert "3 of 3 rows done in " in err
    assert "; 0 errors, 3 cannot tell; " in err
    assert "cannot tell for 3 rows" in err
    # --retry-errors asks again for the rows that could not tell: with the default business unit, they can.
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume", "--retry-errors") == 0
    assert [r["outcome"] for r in rows_of(output)] == ["ok"] * 3


# -- --resume on an OUTPUT that is not this tool's: refused, left byte for byte ---------------------

FOREIGN = {
    "a CSV with a stray quote": ("out.csv", b'name,email\n"Alice,alice@example.com\nBob,bob@example.com\n'),
    "a JSON Lines file": ("out.jsonl", b'{"event": "signup", "id": 1}\n{"event": "login", "id": 2}'),
    "a JSON Lines file as CSV": ("out.csv", b'{"event": "signup", "id": 1}\n{"event": "login"'),
    "a text file as CSV": ("out.csv", b"Dear team,\nthe notes are below.\nBest"),
    "a text file as JSON Lines": ("out.jsonl", b"Dear team,\nthe notes are below.\nBest"),
    "one line of text as CSV": ("out.csv", b"hello"),
    "one line of text as JSON Lines": ("out.jsonl", b"hello"),
}


@pytest.mark.parametrize(("name", "content"), FOREIGN.values(), ids=FOREIGN)
def test_resume_on_a_file_that_is_not_an_output_refuses_it_unchanged(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes
) -> None:
    ids = write_ids(tmp_path, 3)
    output = tmp_path / name
    output.write_bytes(content)
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume") == 2
    assert output.read_bytes() == content
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["ids.txt", name]
    )  # no journal, no lock
    assert "not a " in capsys.readouterr().err
    assert env.requests == []


@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
def test_a_partial_record_is_cut_only_once_output_and_journal_are_proven(
    env: FakeHubSpot, tmp_path: Path, output_format: str
) -> None:
    ids = write_ids(tmp_path, 4)
    output = tmp_path / f"out.{output_format}"
    assert run(str(ids), "-o", str(output), "--rate", FAST) == 0
    crashed = output.read_bytes()[:-5]  # a crash in the middle of the last row
    # Another input's output (same header, other ids), or this output beside a journal that is not one:
    # both refused before anything is cut.
    other = tmp_path / "other.txt"
    other.write_text("someone@else.com\n" * 4)
    journal = journal_path(output)
    for extra_journal, input_file in ((None, other), (b"notes\nmore", ids)):
        output.write_bytes(crashed)
        if extra_journal is not None:
            journal.write_bytes(extra_journal)
        assert run(str(input_file), "-o", str(output), "--rate", FAST, "--resume") == 2
        assert output.read_bytes() == crashed
        if extra_journal is not None:
            assert journal.read_bytes() == extra_journal
    journal.unlink()
    # Its own input: proven, the partial row is cut and looked up again.
    env.state.requests.clear()
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--resume") == 0
    assert [r["subscriber"] for r in rows_of(output)] == IDS[:4]
    assert len(env.requests) == 2  # the last row's two lookups, no other


# -- One run per OUTPUT ----------------------------------------------------------------------------


def start(ids: Path, output: Path, *argv: str) -> subprocess.Popen[str]:
    """A ``bulk`` run in a process of its own, slowed by the rate so that it stays live a while."""
    return subprocess.Popen(
        [*BULK, str(ids), "-o", str(output), "--check", "unsubscribe-all", *argv],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def holds(process: subprocess.Popen[str], output: Path) -> bool:
    """Whether ``process`` holds OUTPUT's lock and has written a row."""
    try:
        pid = lock_path(output).read_text().strip()
        lines = output.read_bytes().count(b"\n")
    except FileNotFoundError:
        return False
    return pid == str(process.pid) and lines >= 2  # the header and a row


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=LIVE)


def test_a_second_run_on_a_live_output_is_refused_at_once_naming_its_pid(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = write_ids(tmp_path)
    output = tmp_path / "out.csv"
    first = start(ids, output, "--rate", SLOW)
    try:
        wait_until(lambda: holds(first, output), seconds=LIVE)
        for flags in (["--resume"], ["--overwrite"], []):
            assert run(str(ids), "-o", str(output), "--rate", FAST, "--check", "unsubscribe-all", *flags) == 2
            err = capsys.readouterr().err
            assert f"is being written by another run of this command (pid {first.pid})" in err
            assert first.poll() is None  # refused while the first run is still going: at once
        _, first_err = first.communicate(timeout=LIVE)
    finally:
        stop(first)
    assert first.returncode == 0, first_err
    assert [int(r["row"]) for r in rows_of(output)] == list(range(1, len(IDS) + 1))  # each row once
    assert not lock_path(output).exists()


def test_a_lock_left_by_a_killed_run_does_not_block_the_next(env: FakeHubSpot, tmp_path: Path) -> None:
    ids = write_ids(tmp_path)
    output = tmp_path / "out.jsonl"
    first = start(ids, output, "--rate", SLOW)
    try:
        wait_until(lambda: holds(first, output), seconds=LIVE)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=LIVE)
    finally:
        stop(first)
    assert lock_path(output).read_text().strip() == str(first.pid)  # left behind, and stale
    done = len(rows_of(output))
    assert 0 < done < len(IDS)
    assert run(str(ids), "-o", str(output), "--rate", FAST, "--check", "unsubscribe-all", "--resume") == 0
    assert [r["row"] for r in rows_of(output)] == list(range(1, len(IDS) + 1))  # each row once
    assert not lock_path(output).exists()


def test_a_refusal_names_the_live_holder_not_the_killed_run_whose_pid_the_file_still_holds(
    tmp_path: Path,
) -> None:
    # The run that takes over a lock file left by a killed run writes its pid just after locking: a run
    # refused in between must wait for it rather than name the dead one.
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock = tmp_path / "out.csv.lock"
    lock.write_text(f"{dead.pid}\n")
    with lock.open("rb") as refused:
        writer = threading.Timer(0.05, lambda: lock.write_text(f"{os.getpid()}\n"))
        writer.start()
        try:
            assert _holder(refused.fileno()) == f"pid {os.getpid()}"
        finally:
            writer.join()


# -- bulk - : standard input ------------------------------------------------------------------------


def bulk_from_stdin(stdin: Any, *argv: str, **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BULK, "-", *argv],
        stdin=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        **options,
    )


def test_a_closed_standard_input_is_one_sentence_and_exit_2(env: FakeHubSpot) -> None:
    # ``<&-``: Python starts with sys.stdin None.
    script = 'exec "$0" -m hubspot_commprefs.cli bulk - --no-progress <&-'
    result = subprocess.run(
        ["sh", "-c", script, sys.executable], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr == (
        "hubspot-commprefs: standard input is closed: pipe the ids in, or name INPUT instead of -\n"
    )


def test_an_unreadable_standard_input_is_one_sentence_and_exit_2(env: FakeHubSpot, tmp_path: Path) -> None:
    with (tmp_path / "write-only").open("wb") as write_only:  # reading it fails (EBADF)
        result = bulk_from_stdin(write_only)
    assert result.returncode == 2
    assert result.stderr == "hubspot-commprefs: standard input cannot be read (Bad file descriptor)\n"


def test_a_full_temporary_directory_is_one_sentence_and_exit_2_and_leaves_no_copy(
    env: FakeHubSpot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class FullDisk(io.BytesIO):
        def write(self, data: Any) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    copies: list[FullDisk] = []

    def temporary_file(**_options: Any) -> FullDisk:
        copies.append(FullDisk())
        return copies[-1]

    monkeypatch.setattr(tempfile, "TemporaryFile", temporary_file)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a@x.com\n"), encoding="utf-8"))
    assert run("-", "--rate", FAST) == 2
    assert capsys.readouterr().err == (
        "hubspot-commprefs: standard input cannot be copied to a temporary file (No space left on device): "
        "free space in the temporary directory (TMPDIR), or name INPUT instead of -\n"
    )
    assert [copy.closed for copy in copies] == [True]
    assert env.requests == []


def test_no_copy_of_standard_input_is_left_behind_even_on_sigterm(env: FakeHubSpot, tmp_path: Path) -> None:
    ids = write_ids(tmp_path)
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    output = tmp_path / "out.csv"
    with ids.open("rb") as stdin:
        process = subprocess.Popen(
            [*BULK, "-", "-o", str(output), "--check", "unsubscribe-all", "--rate", SLOW],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "TMPDIR": str(spool_dir)},
            text=True,
        )
    try:
        wait_until(lambda: holds(process, output), seconds=LIVE)
        assert list(spool_dir.iterdir()) == []  # the copy has no name while the run goes
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=LIVE)
    finally:
        stop(process)
    assert process.returncode == -signal.SIGTERM
    assert list(spool_dir.iterdir()) == []
