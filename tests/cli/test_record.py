"""``--record DIR`` on every command that talks to a server: the same output with and without it, every
answer in DIR, never the token, and a DIR that cannot be a recording is a usage error before any request."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest
from hubspot_commprefs.cli import main
from hubspot_commprefs.client._recording import RECORDING_FILE, read_recording
from hubspot_commprefs.testing import FakeHubSpot

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TOKEN = "pat-na1-cli-record-token-never-written"  # a fake token, which the fake server accepts


@pytest.fixture(scope="module")
def server() -> Iterator[FakeHubSpot]:
    with FakeHubSpot(tokens={TOKEN: ("communication_preferences.read",)}) as running:
        yield running


@pytest.fixture
def env(server: FakeHubSpot, monkeypatch: pytest.MonkeyPatch) -> FakeHubSpot:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("HUBSPOT_BASE_URL", server.base_url)
    return server


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _untimed(text: str) -> str:
    """Output with the fake server's clock (when it answered) and durations and rates blanked: they differ
    from run to run."""
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", "T", text)
    return re.sub(r"\d+(\.\d+)?( ?s\b|/s)", "N", text)


def _assert_no_token(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    "argv",
    [
        ["statuses", "alice@example.com"],
        ["statuses", "alice@example.com", "--json"],
        ["unsubscribe-all", "bob@example.com", "--verbose"],
        ["--business-unit-id", "1021", "unsubscribe-all", "carol@example.com", "--json"],
        ["--business-unit-id", "999", "statuses", "alice@example.com"],  # an incomplete answer: exit 1
    ],
)
def test_a_lookup_prints_the_same_with_and_without_record(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    plain = _run(capsys, *argv)
    recorded = _run(capsys, *argv, "--record", str(tmp_path / "rec"))
    assert (recorded[0], _untimed(recorded[1]), recorded[2]) == (plain[0], _untimed(plain[1]), plain[2])
    assert "example.com" in plain[1]  # something was printed
    [answer], skipped = read_recording(tmp_path / "rec")
    assert skipped == []
    assert answer.status == 200
    if "--json" in argv:
        assert json.loads(recorded[1]).keys() == json.loads(answer.body).keys()
    _assert_no_token(tmp_path)


def test_bulk_writes_the_same_rows_with_and_without_record(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("alice@example.com\nbob@example.com\nnot-an-email\ncarol@example.com\nALICE@example.com\n")
    argv = ["bulk", str(ids), "--format", "jsonl", "--no-progress", "--rate", "1000/s"]
    plain = _run(capsys, *argv)
    recorded = _run(capsys, *argv, "--record", str(tmp_path / "rec"))
    assert recorded[:2] == plain[:2]
    assert _untimed(recorded[2]) == _untimed(plain[2])
    answers, _ = read_recording(tmp_path / "rec")
    assert len(answers) == 3 * 2  # three valid, distinct ids, both answers each
    assert {a.path.rsplit("/statuses/", 1)[1].split("/")[0] for a in answers} == {
        "alice%40example.com",
        "bob%40example.com",
        "carol%40example.com",
    }
    _assert_no_token(tmp_path)


def test_conformance_records_every_answer_and_the_recording_replays(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["conformance", "--base-url", env.base_url, "--subscriber", "alice@example.com"]
    argv += ["--max-examples", "2", "--rate", "0", "--seed", "1"]
    plain = _run(capsys, *argv)
    recorded = _run(capsys, *argv, "--record", str(tmp_path / "rec"))
    assert recorded[0] == plain[0] == 0, plain[1]
    assert _untimed(recorded[1]) == _untimed(plain[1])
    assert recorded[2] == plain[2]
    answers, skipped = read_recording(tmp_path / "rec")
    assert skipped == []
    sent = int(re.search(r"sent: +(\d+) GET requests", plain[1]).group(1))  # type: ignore[union-attr]
    assert len(answers) == sent  # every request of the run (schemathesis' and the targeted ones)
    assert {a.with_token for a in answers} == {True, False}  # the no-token cases, marked, never the token
    assert {a.status for a in answers} >= {200, 400, 401}
    _assert_no_token(tmp_path)
    with FakeHubSpot(replay=tmp_path / "rec") as replaying:
        assert replaying.replay is not None
        assert replaying.replay.drift == []  # the fake server's answers conform
        assert len(replaying.replay) > 0


@pytest.mark.parametrize(
    "argv",
    [
        ["statuses", "alice@example.com"],
        ["unsubscribe-all", "alice@example.com"],
        ["bulk", "-"],
        ["conformance", "--subscriber", "alice@example.com"],
    ],
)
def test_a_record_dir_that_cannot_be_one_is_a_usage_error_before_any_request(
    env: FakeHubSpot, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    seen = len(env.requests)
    for target, why in [(file, "is not a directory"), (file / "under", "cannot write a recording in")]:
        code, _, err = _run(capsys, *argv, "--record", str(target))
        assert code == 2, err
        assert f"--record: {str(target)!r} {why}" in err or f"--record: {why}" in err, err
        assert "Traceback" not in err
    assert len(env.requests) == seen
    assert not (tmp_path / RECORDING_FILE).exists()
