"""Answers at the edges, through the command line and ``bulk`` against a local server: a 200 whose body holds
a key twice is an error (exit 1, never a "not unsubscribed"), a leap second is an answer like any other."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

import pytest
from hubspot_commprefs import DuplicateKeyError
from hubspot_commprefs.cli import main

from tests.client_fixtures import TOKEN, LocalServer, action_body, wide_item

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# Unsubscribed portal-wide, then (the key that json.loads would keep) not: a "may email" were it read.
TWICE = json.dumps(action_body([wide_item(status="UNSUBSCRIBED")])).replace(
    '"status": "UNSUBSCRIBED"', '"status": "UNSUBSCRIBED", "status": "SUBSCRIBED"'
)
LEAP = json.dumps(action_body([wide_item(timestamp="2016-12-31T23:59:60Z")]))


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    with LocalServer() as running:
        monkeypatch.setenv("HUBSPOT_BASE_URL", running.url)
        yield running


@pytest.mark.parametrize("command", ["unsubscribe-all", "statuses"])
def test_a_key_held_twice_is_an_error_never_a_no(
    server: LocalServer, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    server.body = TWICE.encode()
    assert main([command, "bob@example.com"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "DuplicateKeyError" in captured.err
    assert "results[0].status" in captured.err


def test_bulk_files_a_key_held_twice_as_an_error_row(
    server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.body = TWICE.encode()
    ids = tmp_path / "ids.txt"
    ids.write_text("bob@example.com\n")
    output = tmp_path / "out.csv"
    argv = ["bulk", str(ids), "-o", str(output), "--check", "unsubscribe-all", "--no-progress"]
    assert main(argv) == 1
    (row,) = csv.DictReader(io.StringIO(output.read_text()))
    assert row["outcome"] == "error"
    assert "DuplicateKeyError" in row["error"]
    assert row["unsubscribed_from_all"] == ""
    capsys.readouterr()


def test_lookup_many_files_a_key_held_twice_as_an_error(server: LocalServer) -> None:
    from hubspot_commprefs import CommPrefs

    server.body = TWICE.encode()
    with CommPrefs(base_url=server.url, max_retries=0) as client:
        (outcome,) = client.lookup_many(["bob@example.com"], check="unsubscribe-all", concurrency=1)
    assert outcome.outcome == "error"
    assert isinstance(outcome.error, DuplicateKeyError)


def test_a_leap_second_is_an_answer(server: LocalServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.body = LEAP.encode()
    assert main(["unsubscribe-all", "bob@example.com"]) == 0
    assert "UNSUBSCRIBED from all email" in capsys.readouterr().out
