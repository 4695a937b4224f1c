"""Reading bulk input (CSV column detection, one id per line, stdin) and writing ordered, resumable output."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any, Literal

import pytest
from hubspot_commprefs.bulk._io import (
    COLUMNS,
    BulkInputError,
    InputRow,
    OrderedSink,
    RecordWriter,
    ResumeError,
    journal_path,
    load_resume,
    open_writer,
    output_format_for,
    retry_errors,
)
from hubspot_commprefs.bulk._progress import ProgressBar, format_duration
from hubspot_commprefs.cli import main
from hubspot_commprefs.client._ids import id_problem

from tests.bulk_helpers import LINE_BREAKS, parse_input, read_input, rows_from_ids

if TYPE_CHECKING:
    from pathlib import Path


# Every character (and pair) at which str.splitlines breaks a line; a cell may hold any of them.


def subscribers(rows: list[InputRow]) -> list[str]:
    return [row.subscriber for row in rows]


def test_one_id_per_line_skips_blank_lines() -> None:
    rows = parse_input("a@x.com\n\n  b@x.com  \r\nc@x.com\n")
    assert subscribers(rows) == ["a@x.com", "b@x.com", "c@x.com"]
    assert [row.number for row in rows] == [1, 2, 3]
    assert all(row.problem is None for row in rows)


@pytest.mark.parametrize(
    "header", ["email", "Email Address", "E-Mail", "subscriberIdString", "contact_email"]
)
def test_the_email_column_is_found_by_name(header: str) -> None:
    text = f"name,{header},city\nAl,a@x.com,Paris\nBo,b@x.com,Rome\n"
    assert subscribers(parse_input(text)) == ["a@x.com", "b@x.com"]


def test_a_single_email_column_with_a_header_is_csv() -> None:
    assert subscribers(parse_input("Email\na@x.com\nb@x.com\n")) == ["a@x.com", "b@x.com"]


def test_column_option_picks_the_column_and_names_the_choices_when_missing() -> None:
    text = "work,home\nw@x.com,h@x.com\n"
    assert subscribers(parse_input(text, column="home")) == ["h@x.com"]
    with pytest.raises(BulkInputError, match="no column named 'mail'; its columns are work, home"):
        parse_input(text, column="mail")


def test_a_csv_without_an_email_column_asks_for_column() -> None:
    with pytest.raises(BulkInputError, match="--column"):
        parse_input("name,city\nAl,Paris\n")


def test_quoted_cells_semicolons_and_tabs() -> None:
    assert subscribers(parse_input('name,email\n"Doe, Jane",j@x.com\n')) == ["j@x.com"]
    assert subscribers(parse_input("name;email\nJ;j@x.com\n")) == ["j@x.com"]
    assert subscribers(parse_input("name\temail\nJ\tj@x.com\n")) == ["j@x.com"]


def test_a_short_csv_row_is_an_empty_id_on_its_row() -> None:
    rows = parse_input("name,email\nAl\nBo,b@x.com\n")
    assert rows[0] == InputRow(1, "", "empty subscriber id")
    assert rows[1].problem is None


def test_invalid_and_duplicate_ids_are_marked_on_their_rows() -> None:
    rows = parse_input("a@x.com\nnot-an-email\nA@X.com\nb @x.com\n..\na@x.com\n")
    assert [row.problem for row in rows] == [
        None,
        "not an email address (HubSpot identifies subscribers by email)",
        "duplicate of row 1",
        "the subscriber id contains whitespace",
        "subscriber id '..' would change which URL is requested",
        "duplicate of row 1",
    ]
    assert rows[2].duplicate_of == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty subscriber id"),
        ("@x.com", "not an email address (HubSpot identifies subscribers by email)"),
        ("a@", "not an email address (HubSpot identifies subscribers by email)"),
        ("a\x00@x.com", "the subscriber id contains a control character"),
        ("a\u200b@x.com", "the subscriber id contains a control character"),
    ],
)
def test_id_problem_names_what_is_wrong(text: str, problem: str) -> None:
    assert id_problem(text) == problem


def test_read_input_from_stdin_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a@x.com\nb@x.com\n"))
    assert subscribers(read_input("-")) == ["a@x.com", "b@x.com"]
    source = tmp_path / "contacts.csv"
    source.write_text("\ufeffEmail,Name\na@x.com,A\n", encoding="utf-8")
    assert subscribers(read_input(str(source))) == ["a@x.com"]


def test_unreadable_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BulkInputError, match="no such file"):
        read_input(str(tmp_path / "missing.csv"))
    binary = tmp_path / "ids.txt"
    binary.write_bytes(b"a@x.com\n\xff\xfe\x00")
    with pytest.raises(BulkInputError, match="not UTF-8"):
        read_input(str(binary))


def test_output_format_from_option_or_suffix() -> None:
    assert output_format_for("out.jsonl", None) == "jsonl"
    assert output_format_for("out.csv", None) == "csv"
    assert output_format_for(None, None) == "csv"
    assert output_format_for("out.csv", "jsonl") == "jsonl"
    with pytest.raises(SystemExit):  # the parser's choices: csv or jsonl
        main(["bulk", "ids.txt", "--format", "xml"])


def record(number: int, subscriber: str, **fields: object) -> dict[str, object]:
    return {"row": number, "subscriber": subscriber, "outcome": "ok", **fields}


def test_csv_cells_lists_booleans_and_errors_as_they_are() -> None:
    stream = io.StringIO()
    writer = RecordWriter(stream, "csv", write_header=True)
    writer.write(record(1, "a@x.com", unsubscribed_from_all=False, statuses=[{"id": 1}], error="two\nlines"))
    header, line = stream.getvalue().split("\n", 1)
    assert header == ",".join(COLUMNS)
    assert line == '1,a@x.com,ok,false,,,,"[{""id"":1}]","two\nlines"\n'  # a line break stays in its cell
    assert list(csv.reader(io.StringIO(stream.getvalue(), newline="")))[1][-1] == "two\nlines"


def test_line_breaks_are_every_one_str_splitlines_knows() -> None:
    singles = {ch for ch in map(chr, range(0x110000)) if len(f"a{ch}b".splitlines()) == 2}
    assert singles == {brk for brk in LINE_BREAKS if len(brk) == 1}


@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
@pytest.mark.parametrize("line_break", LINE_BREAKS, ids=ascii)
def test_a_cell_holding_a_line_break_reads_back_as_written_and_resumes(
    tmp_path: Path, output_format: Literal["csv", "jsonl"], line_break: str
) -> None:
    odd = f"bad{line_break}id@x.com"
    rows = rows_from_ids(["a@x.com", odd, "c@x.com", "d@x.com"])
    assert rows[1].subscriber == odd
    assert rows[1].problem == "the subscriber id contains whitespace"
    written = {
        1: record(1, "a@x.com", error=None),
        2: record(2, odd, outcome="invalid", error=f"two{line_break}lines"),
        3: record(3, "c@x.com", outcome="error", error=f"HTTP 500:{line_break}{line_break}down"),
        4: record(4, "d@x.com", error=None),
    }
    output = tmp_path / f"out.{output_format}"

    def write(numbers: list[int], *, next_row: int, ready: dict[int, dict[str, Any]]) -> None:
        writer = open_writer(output, output_format, resume=next_row > 1)
        sink = OrderedSink(writer, journal=journal_path(output), next_row=next_row, ready=ready)
        for number in numbers:
            sink.finish(number, written[number])
        sink.close(complete=sink.next_row == len(rows) + 1)

    def cells(records: dict[int, dict[str, Any]]) -> dict[int, tuple[str, str | None]]:
        return {number: (r["subscriber"], r["error"] or None) for number, r in records.items()}

    write([1, 2, 4], next_row=1, ready={})  # row 4 waits in the journal for row 3
    state = load_resume(output, output_format, rows)
    assert (state.written, list(state.journaled)) == (2, [4])
    assert cells(state.records) == cells({n: written[n] for n in (1, 2)})  # exactly as written
    assert cells(state.journaled) == cells({4: written[4]})

    data = output.read_bytes()  # a crash in the middle of row 2, just after its line break
    output.write_bytes(data[: data.index(b"bad") + 3 + len(line_break.encode())])
    state = load_resume(output, output_format, rows)
    assert (state.written, list(state.journaled)) == (1, [4])
    write([2, 3], next_row=2, ready=state.journaled)
    assert not journal_path(output).exists()

    finished = output.read_bytes()
    state = load_resume(output, output_format, rows)  # a finished output resumes as done
    assert (state.written, state.journaled, state.count("error", "cannot-tell")) == (4, {}, 1)
    assert cells(state.records) == cells(written)
    assert output.read_bytes() == finished

    state = retry_errors(output, output_format, state)  # row 3 again: OUTPUT is cut after row 2
    assert (state.written, list(state.journaled)) == (2, [4])
    state = load_resume(output, output_format, rows)
    assert (state.written, list(state.journaled)) == (2, [4])
    assert cells(state.records) == cells({n: written[n] for n in (1, 2)})


def test_rows_finished_out_of_order_are_written_in_order_and_journaled(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    sink = OrderedSink(open_writer(output, "jsonl", resume=False), journal=journal_path(output))
    sink.finish(2, record(2, "b@x.com"))
    sink.finish(3, record(3, "c@x.com"))
    assert output.read_text() == ""
    assert len(journal_path(output).read_text().splitlines()) == 2
    sink.finish(1, record(1, "a@x.com"))
    assert [json.loads(line)["row"] for line in output.read_text().splitlines()] == [1, 2, 3]
    with pytest.raises(ValueError, match="twice"):
        sink.finish(2, record(2, "b@x.com"))
    sink.close(complete=True)
    assert not journal_path(output).exists()


@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
def test_resume_reads_back_output_and_journal_and_drops_a_cut_line(
    tmp_path: Path, output_format: str
) -> None:
    rows = parse_input("a@x.com\nb@x.com\nc@x.com\nd@x.com\n")
    output = tmp_path / f"out.{output_format}"
    sink = OrderedSink(open_writer(output, output_format, resume=False), journal=journal_path(output))  # type: ignore[arg-type]
    sink.finish(1, record(1, "a@x.com"))
    sink.finish(3, record(3, "c@x.com"))
    sink.close(complete=False)
    with output.open("a") as handle:  # a crash in the middle of writing row 2
        handle.write("2,b@x.co" if output_format == "csv" else '{"row": 2, "sub')
    state = load_resume(output, output_format, rows)  # type: ignore[arg-type]
    assert state.written == 1
    assert list(state.journaled) == [3]
    assert output.read_text().endswith("\n")
    sink = OrderedSink(
        open_writer(output, output_format, resume=True),  # type: ignore[arg-type]
        journal=journal_path(output),
        next_row=2,
        ready=state.journaled,
    )
    sink.finish(2, record(2, "b@x.com"))
    sink.finish(4, record(4, "d@x.com"))
    sink.close(complete=True)
    final = load_resume(output, output_format, rows)  # type: ignore[arg-type]
    assert final.written == 4
    assert not journal_path(output).exists()


def test_resume_refuses_an_output_of_another_input(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    output.write_text(json.dumps(record(1, "z@x.com")) + "\n")
    with pytest.raises(ResumeError, match="row 1 does not match the input"):
        load_resume(output, "jsonl", parse_input("a@x.com\n"))
    output.write_text("not json\n")
    with pytest.raises(ResumeError, match="not a JSON Lines output"):
        load_resume(output, "jsonl", parse_input("a@x.com\n"))
    csv_output = tmp_path / "out.csv"
    csv_output.write_text("email\na@x.com\n")
    with pytest.raises(ResumeError, match="header differs"):
        load_resume(csv_output, "csv", parse_input("a@x.com\n"))


class Ticker:
    def __init__(self) -> None:
        self.moment = 0.0

    def __call__(self) -> float:
        return self.moment


def test_the_progress_bar_shows_rate_and_eta_on_a_terminal_only() -> None:
    clock = Ticker()
    stream = io.StringIO()
    bar = ProgressBar(100, stream=stream, enabled=True, clock=clock)
    for _ in range(50):
        clock.moment += 0.1
        bar.advance()
    assert "50/100" in bar.line()
    assert "10.0/s" in bar.line()
    assert "ETA 0:05" in bar.line()
    bar.close()
    assert stream.getvalue().endswith("\n")
    quiet = io.StringIO()
    silent = ProgressBar(10, stream=quiet, clock=clock)  # a StringIO is not a terminal
    silent.advance()
    silent.close()
    assert quiet.getvalue() == ""


def test_format_duration() -> None:
    assert format_duration(5) == "0:05"
    assert format_duration(3725) == "1:02:05"


@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
def test_a_lone_surrogate_from_the_server_is_written_escaped_not_lost(output_format: str) -> None:
    # HubSpot may send "\ud800x" (valid JSON, not encodable as UTF-8): the row must still be written.
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
    writer = RecordWriter(stream, output_format, write_header=True)  # type: ignore[arg-type]
    statuses = [{"subscriptionId": 1, "name": "\ud800x Café", "status": "SUBSCRIBED"}]
    writer.write(record(1, "a@x.com", statuses=statuses, error="bad \udcff byte"))
    text = raw.getvalue().decode("utf-8")
    if output_format == "csv":
        cells = next(iter(csv.DictReader(io.StringIO(text))))
        assert json.loads(cells["statuses"]) == statuses  # a JSON cell keeps its value exactly
        assert cells["error"] == "bad \\udcff byte"
    else:
        back = json.loads(text)
        assert back["statuses"] == statuses
        assert back["error"] == "bad \udcff byte"
    assert "Café" in text  # only the surrogates are escaped


def test_a_journaled_row_with_a_lone_surrogate_is_written_and_read_back(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    sink = OrderedSink(open_writer(output, "jsonl", resume=False), journal=journal_path(output))
    sink.finish(2, record(2, "b@x.com", error="\ud800"))
    sink.close(complete=False)
    rows = [InputRow(1, "a@x.com"), InputRow(2, "b@x.com")]
    state = load_resume(output, "jsonl", rows)
    assert state.journaled[2]["error"] == "\ud800"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a" * 995 + "@x.com", "longer than 1000 characters (1001)"),
        ("a\ud800@x.com", "lone surrogate"),
    ],
)
def test_too_long_ids_and_lone_surrogates_are_named(text: str, problem: str) -> None:
    assert problem in (id_problem(text) or "")
    assert id_problem("a" * 994 + "@x.com") is None  # 1000 characters: looked up


def test_rows_from_ids_marks_items_that_are_not_strings() -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError

    rows = rows_from_ids(["a@x.com", 5, None, Unprintable(), "b@x.com"])
    assert [row.problem is None for row in rows] == [True, False, False, False, True]
    assert [row.subscriber for row in rows[1:4]] == ["5", "", "<Unprintable>"]
    assert rows[3].problem == "the subscriber id must be a str, not Unprintable"
