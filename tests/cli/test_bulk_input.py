"""``bulk`` input habits: a CSV without a header row, ``--column`` by name or number, and a file that is
not UTF-8 (as Excel saves it on Windows), end to end against the fake HubSpot server."""

from __future__ import annotations

import csv
import io
import sys
from typing import TYPE_CHECKING

import pytest
from hubspot_commprefs.bulk._io import BulkInputError
from hubspot_commprefs.cli import main

from tests.bulk_helpers import parse_input, read_input

if TYPE_CHECKING:
    from pathlib import Path

    from hubspot_commprefs.testing import FakeHubSpot

FAST = "100000/1s"
NO_HEADER = "alice@example.com,Alice\nbob@example.com,Bob\n"


def bulk(*argv: str) -> int:
    return main(["bulk", *argv, "--no-progress", "--rate", FAST, "--check", "unsubscribe-all"])


def rows_of(text: str) -> list[tuple[str, str, str]]:
    return [(r["row"], r["subscriber"], r["outcome"]) for r in csv.DictReader(io.StringIO(text))]


def test_a_csv_without_a_header_says_so_and_suggests_no_header(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(NO_HEADER, encoding="utf-8")
    assert bulk(str(source)) == 2
    err = capsys.readouterr().err
    assert "the first row looks like data, not a header (alice@example.com is an email address)" in err
    assert "--no-header" in err
    assert not env.requests


def test_no_header_takes_every_row_and_finds_the_email_column(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("Alice,alice@example.com\nBob,bob@example.com\n", encoding="utf-8")
    assert bulk(str(source), "--no-header") == 0
    assert rows_of(capsys.readouterr().out) == [
        ("1", "alice@example.com", "ok"),
        ("2", "bob@example.com", "ok"),
    ]


@pytest.mark.parametrize(
    ("text", "argv"),
    [
        (NO_HEADER, ["--no-header", "--column", "1"]),
        ("Name,Work,Home\nA,x@y.com,alice@example.com\nB,z@y.com,bob@example.com\n", ["--column", "3"]),
        ("Name,Work,Home\nA,x@y.com,alice@example.com\nB,z@y.com,bob@example.com\n", ["--column", "home"]),
    ],
    ids=["no-header-number", "number", "name"],
)
def test_column_by_name_or_1_based_number(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, argv: list[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(text, encoding="utf-8")
    assert bulk(str(source), *argv) == 0
    assert [subscriber for _, subscriber, _ in rows_of(capsys.readouterr().out)] == [
        "alice@example.com",
        "bob@example.com",
    ]


@pytest.mark.parametrize(
    ("text", "argv", "message"),
    [
        (
            NO_HEADER,
            ["--column", "3"],
            "--column 3: the first row has 2 columns (columns are numbered from 1)",
        ),
        (NO_HEADER, ["--column", "0"], "--column 0: columns are numbered from 1"),
        (NO_HEADER, ["--no-header", "--column", "email"], "with --no-header, name the column by its number"),
        ("a,b\nc,d\n", ["--no-header"], "no cell of the first row looks like an email address"),
        ("Name,City\nAl,Paris\n", ["--column", "mail"], "its columns are Name, City (or give its number"),
    ],
)
def test_a_column_that_is_not_there_is_a_usage_error_naming_it(
    env: FakeHubSpot,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    text: str,
    argv: list[str],
    message: str,
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(text, encoding="utf-8")
    assert bulk(str(source), *argv) == 2
    assert message in capsys.readouterr().err
    assert not env.requests


def test_cells_keep_their_line_breaks_without_a_header() -> None:
    rows = parse_input('"Doe,\r\nJane",alice@example.com\n"B\nb",bob@example.com\n', header=False)
    assert [row.subscriber for row in rows] == ["alice@example.com", "bob@example.com"]


EXCEL_CP1252 = "Name,Email\nAlice,alice@example.com\nZoë Café,bob@example.com\n".encode("cp1252")


def test_a_cp1252_file_names_its_line_and_says_how_to_save_as_utf8(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "excel.csv"
    source.write_bytes(EXCEL_CP1252)
    assert bulk(str(source)) == 2
    err = capsys.readouterr().err
    assert f"{source}: line 3 is not UTF-8 text (byte 0xeb)" in err
    assert "CSV UTF-8 (Comma delimited)" in err
    assert "--encoding cp1252" in err
    assert "Traceback" not in err
    assert not env.requests


def test_encoding_reads_the_file_as_saved(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "excel.csv"
    source.write_bytes(EXCEL_CP1252)
    assert bulk(str(source), "--encoding", "cp1252") == 0
    assert [s for _, s, _ in rows_of(capsys.readouterr().out)] == ["alice@example.com", "bob@example.com"]
    rows = read_input(str(source), encoding="windows-1252", header=False, column="1")
    assert rows[2].subscriber == "Zoë Café"  # decoded as saved (and then an invalid id)


def test_an_unknown_encoding_is_a_usage_error(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.txt"
    source.write_text("alice@example.com\n", encoding="utf-8")
    assert bulk(str(source), "--encoding", "klingon") == 2
    assert "--encoding 'klingon': unknown encoding" in capsys.readouterr().err


@pytest.mark.parametrize("encoding", [None, "utf-8", "UTF8"])
def test_a_byte_order_mark_is_not_part_of_the_header(tmp_path: Path, encoding: str | None) -> None:
    source = tmp_path / "bom.csv"
    source.write_bytes("\ufeffEmail,Name\nalice@example.com,A\n".encode())
    assert [row.subscriber for row in read_input(str(source), encoding=encoding)] == ["alice@example.com"]


def test_standard_input_is_decoded_as_a_file_is(
    env: FakeHubSpot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(EXCEL_CP1252), encoding="utf-8"))
    assert bulk("-") == 2
    assert "standard input: line 3 is not UTF-8 text" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(EXCEL_CP1252), encoding="utf-8"))
    assert bulk("-", "--encoding", "cp1252") == 0
    assert len(rows_of(capsys.readouterr().out)) == 2


def test_a_directory_as_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BulkInputError, match="is a directory"):
        read_input(str(tmp_path))


def test_column_zero_says_columns_start_at_one(tmp_path) -> None:
    from hubspot_commprefs.bulk import BulkInputError

    from tests.bulk_helpers import parse_input

    with pytest.raises(BulkInputError, match="--column 0: columns are numbered from 1"):
        parse_input("name,email\nAlice,alice@example.com\n", column="0")
