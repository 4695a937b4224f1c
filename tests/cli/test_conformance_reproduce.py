"""The conformance report's "reproduce" commands work after the run: against the bundled fake server
(which stops with the run) they come with the command that starts the same server again on a fixed port,
and the token in a curl is never the real one."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from typing import TYPE_CHECKING

import httpx
from hubspot_commprefs.cli import main
from hubspot_commprefs.cli.commands import conformance as conformance_command
from hubspot_commprefs.testing import DEFAULT_TOKEN, FakeHubSpot

from tests.processes import started

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

FAKE_TOKEN_EXPRESSION = "${HUBSPOT_ACCESS_TOKEN:-" + DEFAULT_TOKEN + "}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _reproduce_lines(out: str) -> tuple[str, list[str]]:
    lines = out.splitlines()
    note = next(i for i, line in enumerate(lines) if line.startswith("To reproduce a finding after this run"))
    curls = [line.split("reproduce:", 1)[1].strip() for line in lines if "reproduce:" in line]
    return lines[note + 2].strip(), curls


def test_the_curls_reach_the_same_fake_server_started_again_after_the_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()  # instead of the fixed 8089, which another process may hold
    monkeypatch.setattr(conformance_command, "REPRODUCE_PORT", port)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-REAL-TOKEN-NEVER-SHOWN")
    assert main(["conformance", "--fault", "enum-value", "--max-examples", "2"]) == 1
    out = capsys.readouterr().out
    assert "REAL-TOKEN" not in out
    setup, curls = _reproduce_lines(out)
    assert setup == f"hubspot-commprefs mock-server --port {port} --fault enum-value"
    assert curls
    for curl in curls:
        assert f"'http://127.0.0.1:{port}/communication-preferences/" in curl
        assert curl.endswith(f'-H "Authorization: Bearer {FAKE_TOKEN_EXPRESSION}"')
    # Start the server as printed (without a token in the environment: the fake one), then repeat a curl.
    env = {k: v for k, v in os.environ.items() if k != "HUBSPOT_ACCESS_TOKEN"}
    argv = [sys.executable, "-m", "hubspot_commprefs.cli", *shlex.split(setup)[1:], "--quiet"]
    with started(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as process:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}" in process.stdout.readline()
        words = shlex.split(curls[0])  # curl -X GET URL -H "Authorization: Bearer ${...:-fake token}"
        header = words[words.index("-H") + 1].replace(FAKE_TOKEN_EXPRESSION, DEFAULT_TOKEN)
        name, _, value = header.partition(": ")
        answer = httpx.request(words[2], words[3], headers={name: value}, timeout=10)
    assert answer.status_code == 200
    assert "WHATSAPP" in answer.text  # the finding, reproduced after the run


def test_against_a_given_server_the_curls_read_the_token_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "pat-na1-RECOGNISABLE-0123456789"
    with FakeHubSpot(tokens={token: ["communication_preferences.read"]}, faults=["enum-value"]) as fake:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", token)
        base_url = fake.base_url
        argv = [
            "conformance",
            "--base-url",
            fake.base_url,
            "--max-examples",
            "2",
            "--report-dir",
            str(tmp_path),
        ]
        assert main(argv) == 1
    out = capsys.readouterr().out
    assert "To reproduce a finding after this run" not in out  # that server is the user's: still there
    assert token not in out
    curls = [line.split("reproduce:", 1)[1].strip() for line in out.splitlines() if "reproduce:" in line]
    assert curls
    assert all(
        f"'{base_url}/" in c and c.endswith('"Authorization: Bearer $HUBSPOT_ACCESS_TOKEN"') for c in curls
    )
    summary = json.loads((tmp_path / "conformance-summary.json").read_text(encoding="utf-8"))
    assert summary["reproduce_setup"] is None
    assert summary["failures"][0]["curl"] in curls


def test_the_summary_holds_the_setup_and_the_same_curls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    argv = ["conformance", "--fault", "int32-overflow", "--max-examples", "2", "--report-dir", str(tmp_path)]
    assert main(argv) == 1
    setup, curls = _reproduce_lines(capsys.readouterr().out)
    summary = json.loads((tmp_path / "conformance-summary.json").read_text(encoding="utf-8"))
    assert (
        summary["reproduce_setup"]
        == setup
        == "hubspot-commprefs mock-server --port 8089 --fault int32-overflow"
    )
    assert {f["curl"] for f in summary["failures"]} <= set(curls)
    assert all(re.search(r"'http://127\.0\.0\.1:8089/", f["curl"]) for f in summary["failures"])
