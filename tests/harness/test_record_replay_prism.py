"""Issue 10's "done when": a recording made against the independent stand-in of HubSpot (Prism's spec-driven
mock, which answers random bodies the spec allows), replayed by the fake server and by ``mock-server
--replay``, gives the client exactly the recorded data.

Prism answers every request with new random data, so equal results can only come from the recording.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from hubspot_commprefs import CommPrefs
from hubspot_commprefs.testing import DEFAULT_TOKEN, FakeHubSpot

from tests.prism_helpers import running_prism
from tests.processes import started
from tests.spec_helpers import SPEC_PATH

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PRISM_TOKEN = "prism-accepts-any-bearer-token"  # Prism checks that a token is there, not which
SUBSCRIBERS = ["alice@example.com", "bob@example.com", "carol+tag@example.com", "d.ü@example.com"]
Calls = list[tuple[str, dict[str, Any]]]
CALLS: Calls = [
    *(("get_statuses", {"subscriber_id": s}) for s in SUBSCRIBERS),
    *(("get_unsubscribe_all_status", {"subscriber_id": s}) for s in SUBSCRIBERS),
    ("get_statuses", {"subscriber_id": "alice@example.com", "business_unit_id": 1021}),
    ("get_unsubscribe_all_status", {"subscriber_id": "bob@example.com", "verbose": True}),
    (
        "get_unsubscribe_all_status",
        {"subscriber_id": "bob@example.com", "business_unit_id": 0, "verbose": True},
    ),
]


def results(client: CommPrefs, calls: Calls) -> list[tuple[Any, Any, str | None]]:
    """What the client got for each call: the typed model, the raw JSON, the content type."""
    got = []
    for method, arguments in calls:
        result = getattr(client, method)(**arguments)
        got.append((result.model.to_dict(), result.body, result.headers.get("content-type")))
    return got


@pytest.fixture(scope="module")
def recording(prism: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Any]]]:
    """A recording of every call against Prism; the last call is made twice (Prism gives two different
    answers), and what the client got the second time is what replay must give."""
    directory = tmp_path_factory.mktemp("prism-recording")
    with (
        running_prism(prism, "mock", "-d", str(SPEC_PATH)) as base_url,
        CommPrefs(base_url=base_url, access_token=PRISM_TOKEN, max_retries=0, record_to=directory) as client,
    ):
        [earlier] = results(client, CALLS[-1:])  # recorded, then superseded by the later answer
        later = results(client, CALLS)
        assert earlier[1] != later[-1][1]  # random data: only the recording can make replayed answers equal
        yield directory, later


def test_the_recording_holds_every_answer_and_no_token(recording: tuple[Path, list[Any]]) -> None:
    directory, _ = recording
    text = (directory / "recording.jsonl").read_bytes()
    assert len(text.splitlines()) == len(CALLS) + 1
    assert PRISM_TOKEN.encode() not in text


def test_the_fake_server_replays_exactly_what_prism_answered(recording: tuple[Path, list[Any]]) -> None:
    directory, recorded = recording
    with (
        FakeHubSpot(replay=directory, replay_strict=True) as server,
        CommPrefs(base_url=server.base_url, access_token=server.token, max_retries=0) as client,
    ):
        assert server.replay is not None
        assert (server.replay.drift, server.replay.unreadable, server.replay.ignored) == ([], [], [])
        assert len(server.replay) == len(CALLS)
        replayed = results(client, CALLS)
    assert replayed == recorded  # the last call's answer is the latest of the two recorded


def test_mock_server_replays_exactly_what_prism_answered(recording: tuple[Path, list[Any]]) -> None:
    directory, recorded = recording
    command = [sys.executable, "-m", "hubspot_commprefs.cli", "mock-server", "--port", "0"]
    command += ["--replay", str(directory), "--replay-strict"]
    with started(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "HUBSPOT_ACCESS_TOKEN": ""},
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Fake HubSpot on http://127.0.0.1:"), first
        base_url = first.split()[3]
        with CommPrefs(base_url=base_url, access_token=DEFAULT_TOKEN, max_retries=0, timeout=10) as client:
            replayed = results(client, CALLS)
        process.terminate()
        _, err = process.communicate(timeout=60)
    assert replayed == recorded
    assert "Traceback" not in err
    assert "warning" not in err
