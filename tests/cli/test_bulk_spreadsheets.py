"""``bulk`` on a HubSpot contacts export (a BOM, every field quoted, CRLF): ``--keep``, the input's
conventions kept in OUTPUT, rows not checked counted apart (``--strict``), OUTPUT written while the run
goes, and a stopped run that never writes a row with one answer of two."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import signal
import threading
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hubspot_commprefs import bulk as bulk_package
from hubspot_commprefs.bulk._io import COLUMNS, journal_path
from hubspot_commprefs.cli import main
from hubspot_commprefs.client._results import status_error

from tests.bulk_helpers import wait_until

if TYPE_CHECKING:
    from pathlib import Path

    from hubspot_commprefs.testing import FakeHubSpot

FAST = "100000/1s"
HEADER = ["Record ID", "First Name", "Last Name", "Email"]
CONTACTS = [[str(100 + n), f"First{n}", f"Last {n}", f"user{n}@example.com"] for n in range(1, 7)]


def export(tmp_path: Path, rows: list[list[str]] = CONTACTS, header: list[str] = HEADER) -> Path:
    """A contacts export as HubSpot writes it: UTF-8 with a BOM, every field quoted, CRLF."""
    text = io.StringIO(newline="")
    csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows([header, *rows])
    path = tmp_path / "contacts.csv"
    path.write_bytes(codecs.BOM_UTF8 + text.getvalue().encode())
    return path


def run(*argv: str) -> int:
    return main(["bulk", *argv, "--no-progress", "--rate", FAST])


def test_keep_carries_columns_in_input_order_before_the_checks_with_the_inputs_bom_and_crlf(
    env: FakeHubSpot, tmp_path: Path
) -> None:
    source, output = export(tmp_path), tmp_path / "out.csv"
    assert run(str(source), "-o", str(output), "--keep", "Last Name,Record ID") == 0
    data = output.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.count(b"\r\n") == data.count(b"\n") == 1 + len(CONTACTS)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == ("Record ID", "Last Name", *COLUMNS)  # INPUT's order, not --keep's
    assert [row[:3] for row in rows[1:]] == [[c[0], c[2], str(n)] for n, c in enumerate(CONTACTS, start=1)]
    assert {row[4] for row in rows[1:]} == {"ok"}


def test_keep_all_in_json_lines_keys_in_order_crlf_and_no_bom(env: FakeHubSpot, tmp_path: Path) -> None:
    source, output = export(tmp_path), tmp_path / "out.jsonl"
    assert run(str(source), "-o", str(output), "--keep", "all", "--check", "unsubscribe-all") == 0
    data = output.read_bytes()
    assert not data.startswith(codecs.BOM_UTF8)  # JSON text never starts with one
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    assert all(b"\n" not in line for line in lines)
    records = [json.loads(line) for line in lines[:-1]]
    assert [list(record)[:5] for record in records] == [[*HEADER, "row"]] * len(CONTACTS)
    assert [record["Email"] for record in records] == [c[3] for c in CONTACTS]


def test_stdout_gets_no_bom(
    env: FakeHubSpot, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert run(str(export(tmp_path)), "--keep", "Record ID", "--check", "unsubscribe-all") == 0
    out = capsysbinary.readouterr().out
    assert out.startswith(b"Record ID,row,")
    assert out.endswith(b"\r\n")


@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
def test_resume_with_kept_columns_appends_with_the_same_conventions_and_one_bom(
    env: FakeHubSpot, tmp_path: Path, output_format: str
) -> None:
    source, output = export(tmp_path), tmp_path / f"out.{output_format}"
    argv = [str(source), "-o", str(output), "--keep", "First Name"]
    assert run(*argv) == 0
    finished = output.read_bytes()
    # A crash after row 3.
    header = 1 if output_format == "csv" else 0
    ends = [n + 2 for n in range(len(finished)) if finished[n : n + 2] == b"\r\n"]
    output.write_bytes(finished[: ends[header + 2]])
    env.state.requests.clear()
    assert run(*argv, "--resume") == 0
    assert len(env.requests) == 3 * 2  # rows 4 to 6, both answers each
    assert output.read_bytes() == finished  # one BOM (CSV), CRLF throughout, the kept cells from INPUT
    # Another --keep (or none) is another header: refused, OUTPUT left as it was.
    output.write_bytes(finished[: ends[header + 2]])
    assert run(str(source), "-o", str(output), "--keep", "Last Name", "--resume") == 2
    assert run(str(source), "-o", str(output), "--resume") == 2
    assert output.read_bytes() == finished[: ends[header + 2]]


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        (
            "Frist Name",
            (
                "--keep: no column named 'Frist Name' (did you mean 'First Name'?); its columns are "
                "Record ID, First Name, Last Name, Email"
            ),
        ),
        ("Record ID,Phone", "no column named 'Phone'; its columns are Record ID, First Name"),
    ],
)
def test_a_kept_name_not_in_the_header_is_one_sentence_and_exit_2(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str], keep: str, message: str
) -> None:
    assert run(str(export(tmp_path)), "-o", str(tmp_path / "out.csv"), "--keep", keep) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert env.requests == []


def test_keep_is_refused_without_a_header_and_on_a_column_the_output_has(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("a@example.com\nb@example.com\n")
    assert run(str(ids), "--keep", "all") == 2
    assert "this input is a plain list of ids, with no header" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a@example.com\n"))
    assert run("-", "--keep", "all") == 2
    assert "this input is a plain list of ids, with no header" in capsys.readouterr().err
    assert run(str(export(tmp_path)), "--no-header", "--column", "4", "--keep", "all") == 2
    assert "this input is a first row that is data (--no-header)" in capsys.readouterr().err
    clash = export(tmp_path, header=["Record ID", "error", "Last Name", "Email"])
    assert run(str(clash), "--keep", "all") == 2
    assert "cannot keep the column 'error': the output has one" in capsys.readouterr().err
    twice = export(tmp_path, header=["Note", "Note", "Last Name", "Email"])
    assert run(str(twice), "--keep", "Note") == 2
    assert "cannot keep the column 'Note': the header names it twice" in capsys.readouterr().err
    assert env.requests == []


def test_rows_not_checked_are_counted_apart_and_fail_the_run_only_with_strict(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [*CONTACTS[:2], ["7", "E", "Empty", ""], ["8", "I", "Invalid", "not-an-email"], CONTACTS[0]]
    source, output = export(tmp_path, rows), tmp_path / "out.csv"
    assert run(str(source), "-o", str(output)) == 0
    err = capsys.readouterr().err
    assert "5 of 5 rows done in " in err
    assert ": 2 checked: " in err
    assert "; not checked: 1 empty, 1 invalid, 1 duplicate; 0 errors, 0 cannot tell; 4 requests" in err
    assert "failed" not in err
    assert run(str(source), "-o", str(output), "--overwrite", "--strict") == 1
    assert run(str(export(tmp_path, CONTACTS[:2])), "-o", str(output), "--overwrite", "--strict") == 0


def test_output_is_written_while_the_run_goes_when_an_early_row_is_slow(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row 2 answers only once later rows wait in the journal; the moment it does, OUTPUT catches up, and it
    keeps growing with the run (each row is written and flushed when every row before it is done)."""
    contacts = [[str(n), "F", "L", f"user{n}@example.com"] for n in range(1, 121)]
    source, output = export(tmp_path, contacts), tmp_path / "out.csv"
    released, ended = threading.Event(), threading.Event()
    real = bulk_package.sync_call

    def slow_row_2(client: Any, **options: Any) -> Any:
        call = real(client, **options)

        def held(operation: Any, subscriber: str) -> Any:
            if subscriber == "user2@example.com":
                released.wait(30)
            return call(operation, subscriber)

        return held

    def lines(path: Path) -> int:
        return path.read_bytes().count(b"\n") if path.exists() else 0

    sizes: list[int] = []

    def watch() -> None:
        wait_until(lambda: lines(journal_path(output)) >= 5 and lines(output) == 2)  # header and row 1
        released.set()
        while not ended.is_set():
            sizes.append(lines(output))
            ended.wait(0.02)

    monkeypatch.setattr(bulk_package, "sync_call", slow_row_2)
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        code = main(["bulk", str(source), "-o", str(output), "--no-progress", "--rate", "10/250ms",
                     "--check", "unsubscribe-all"])  # fmt: skip
    finally:
        released.set()
        ended.set()
        watcher.join(30)
    assert code == 0
    growing = [size for size in sizes if 2 < size < 1 + len(contacts)]
    assert len(set(growing)) >= 3  # seen in OUTPUT, past row 2, at several moments before the run ended


class _StopMidRun:
    """The bulk command's single-request call, stopped at request ``after`` by Ctrl-C or by a 401."""

    def __init__(self, after: int, how: str) -> None:
        self.after, self.how = after, how
        self.numbers = itertools.count(1)
        self.real = bulk_package.sync_call

    def __call__(self, client: Any, **options: Any) -> Any:
        call = self.real(client, **options)

        def stopping(operation: Any, subscriber: str) -> Any:
            number = next(self.numbers)
            if number >= self.after and self.how == "401":
                request = httpx.Request("GET", "https://api.hubapi.com/x")
                raise status_error(
                    httpx.Response(401, json={"category": "INVALID_AUTHENTICATION"}, request=request)
                )
            if number == self.after:
                signal.raise_signal(signal.SIGINT)
            if number >= self.after:
                wait_until(lambda: signal.getsignal(signal.SIGINT) is signal.default_int_handler)
            return call(operation, subscriber)

        return stopping


@pytest.mark.usefixtures("python_sigint")
@pytest.mark.parametrize(("how", "code"), [("ctrl-c", 130), ("401", 3)])
def test_a_stopped_run_never_writes_a_row_with_one_answer_of_two(
    env: FakeHubSpot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, code: int
) -> None:
    contacts = [[str(n), "F", "L", f"user{n}@example.com"] for n in range(1, 61)]
    source, output = export(tmp_path, contacts), tmp_path / "out.jsonl"
    monkeypatch.setattr(bulk_package, "sync_call", _StopMidRun(41, how))
    assert run(str(source), "-o", str(output), "--concurrency", "6", "--keep", "Record ID") == code
    monkeypatch.undo()
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", env.token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", env.base_url)
    journal = journal_path(output)
    done = [
        json.loads(line)
        for path in (output, journal)
        if path.exists()
        for line in path.read_text().splitlines()
    ]
    assert 0 < len(done) < len(contacts)
    assert all(r["unsubscribed_from_all"] is not None and r["statuses"] is not None for r in done)
    assert run(str(source), "-o", str(output), "--resume") == 2  # another --keep than the run it continues
    assert run(str(source), "-o", str(output), "--resume", "--keep", "Record ID") == 0
    final = [json.loads(line) for line in output.read_text().splitlines()]
    assert [(r["Record ID"], r["row"], r["outcome"]) for r in final] == [
        (str(n), n, "ok") for n in range(1, 61)
    ]
