"""``mock-server`` logs one line per request on stderr (method, path with query, status, duration), for
answers of faults and of a replayed recording too, and never a token; ``--quiet`` silences it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

import httpx
import pytest
from hubspot_commprefs import CommPrefs
from hubspot_commprefs.testing import DEFAULT_TOKEN, FakeHubSpot

from tests.processes import started
from tests.spec_helpers import operations

if TYPE_CHECKING:
    from pathlib import Path

STATUSES = operations()["getStatuses"][0].format(subscriberIdString="alice%40example.com")
LINE = re.compile(r"^GET (\S+) -> (\d{3}|-) \((\d+\.\d) ms\)( \(answer cut short\))?$")


def get(server: FakeHubSpot, target: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(server.base_url + target, headers=headers, timeout=10)


def parsed(lines: list[str]) -> list[tuple[str, str]]:
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    return [(m.group(1), m.group(2)) for m in matches if m]


def test_one_line_per_request_with_path_query_status_and_duration() -> None:
    lines: list[str] = []
    with FakeHubSpot(request_log=lines.append) as server:
        get(server, STATUSES + "?channel=EMAIL", server.token)
        get(server, STATUSES + "?channel=EMAIL", "wrong-token-of-someone")
        get(server, STATUSES + "?channel=SMS", server.token)
        get(server, "/nowhere", None)
    assert parsed(lines) == [
        (STATUSES + "?channel=EMAIL", "200"),
        (STATUSES + "?channel=EMAIL", "401"),
        (STATUSES + "?channel=SMS", "400"),
        ("/nowhere", "404"),
    ]


def test_the_token_never_shows_even_in_a_url() -> None:
    lines: list[str] = []
    with FakeHubSpot(request_log=lines.append) as server:
        get(server, f"{STATUSES}?channel=EMAIL&hapikey={server.token}", server.token)
        get(server, f"/{server.token}/x", server.token)
    text = "\n".join(lines)
    assert server.token not in text
    assert "hapikey=[redacted]" in text
    assert "Bearer" not in text


def test_answers_of_faults_are_logged_as_sent() -> None:
    lines: list[str] = []
    with FakeHubSpot(faults=["server-error"], request_log=lines.append) as server:
        get(server, STATUSES + "?channel=EMAIL", server.token)
    assert parsed(lines) == [(STATUSES + "?channel=EMAIL", "500")]
    lines.clear()
    with FakeHubSpot(faults=["connection-reset"], request_log=lines.append) as server:
        with pytest.raises(httpx.HTTPError):
            get(server, STATUSES + "?channel=EMAIL", server.token)
        server.stop()  # the line is written when the server is done with the request
    assert len(lines) == 1
    assert lines[0].startswith(f"GET {STATUSES}?channel=EMAIL -> 200 (")
    assert lines[0].endswith("(answer cut short)")


def test_replayed_answers_are_logged(tmp_path: Path) -> None:
    with (
        FakeHubSpot() as recorded,
        CommPrefs(access_token=recorded.token, base_url=recorded.base_url, record_to=tmp_path) as client,
    ):
        client.get_statuses("alice@example.com")
    lines: list[str] = []
    with FakeHubSpot(replay=tmp_path, replay_strict=True, request_log=lines.append) as server:
        assert get(server, STATUSES + "?channel=EMAIL", server.token).status_code == 200
        assert (
            get(server, STATUSES.replace("alice", "bob") + "?channel=EMAIL", server.token).status_code == 404
        )
    assert [status for _, status in parsed(lines)] == ["200", "404"]


def test_no_log_without_a_request_log() -> None:
    with FakeHubSpot() as server:  # the Python default: quiet, as it always was
        assert get(server, STATUSES + "?channel=EMAIL", server.token).status_code == 200


def _mock_server(*argv: str) -> tuple[str, str]:
    """Run ``mock-server --port 0``, send one request, stop it with Ctrl-C; its stdout and stderr."""
    env = {k: v for k, v in os.environ.items() if k != "HUBSPOT_ACCESS_TOKEN"}
    with started(
        [sys.executable, "-m", "hubspot_commprefs.cli", "mock-server", "--port", "0", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        base_url = re.search(r"http://\S+", first)
        assert base_url, first
        answer = httpx.get(
            base_url.group() + STATUSES + "?channel=EMAIL",
            headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
            timeout=10,
        )
        assert answer.status_code == 200
        process.send_signal(signal.SIGINT)  # Ctrl-C, a clean exit: all it wrote is flushed
        out, err = process.communicate(timeout=60)
    return first + out, err


def test_mock_server_logs_each_request_on_stderr_and_quiet_silences_it() -> None:
    out, err = _mock_server()
    assert f"GET {STATUSES}?channel=EMAIL -> 200 (" in err
    assert DEFAULT_TOKEN not in err
    assert "GET " not in out  # the log is on stderr only
    out, err = _mock_server("--quiet")
    assert "GET " not in err
    assert "GET " not in out
