"""The console script answers --version and --help."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from hubspot_commprefs import __version__, _logging
from hubspot_commprefs.cli import main

from tests.spec_helpers import load_spec

if TYPE_CHECKING:
    from hubspot_commprefs.testing import FakeHubSpot


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"hubspot-commprefs {__version__}"


def test_help_mentions_the_token_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the description
    assert "HUBSPOT_ACCESS_TOKEN" in out
    assert f"as version {load_spec()['info']['version']} of its Communication Preferences API says" in out


def test_console_script_is_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hubspot_commprefs.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_mock_server_help_lists_every_fault_of_the_one_list(capsys: pytest.CaptureFixture[str]) -> None:
    from hubspot_commprefs._faults import FAULT_HELP, Fault

    with pytest.raises(SystemExit):
        main(["mock-server", "--help"])
    out = "".join(capsys.readouterr().out.split())  # argparse wraps the epilog, at spaces and hyphens
    assert set(FAULT_HELP) == set(Fault)
    for fault in Fault:
        assert "".join(f"{fault.value} ({FAULT_HELP[fault]})".split()) in out


def test_the_exit_codes_are_named_once() -> None:
    from hubspot_commprefs import _exit_codes, conformance, spec_diff
    from hubspot_commprefs.cli.commands import _common

    assert conformance.EXIT_CONFORMS == _exit_codes.EXIT_OK == spec_diff.EXIT_NOTHING_TO_CHANGE == 0
    assert conformance.EXIT_FAILURES == _exit_codes.EXIT_FAILED == spec_diff.EXIT_SPEC_NEEDS_EDIT == 1
    assert conformance.EXIT_NO_ANSWER is _exit_codes.EXIT_NO_ANSWER
    assert _common.EXIT_USAGE is _exit_codes.EXIT_USAGE


def test_python_dash_m_runs_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hubspot_commprefs.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"hubspot-commprefs {__version__}"


LOG_WARNING = (
    "hubspot-commprefs: warning: HUBSPOT_COMMPREFS_LOG='verbose' is not a level hubspot_commprefs knows: "
    "set it to 'debug' or 'info' (or leave it unset for no logging); it is ignored"
)


def test_an_unknown_log_level_is_one_clean_warning_line() -> None:
    env = {k: v for k, v in os.environ.items() if k != "HUBSPOT_ACCESS_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "hubspot_commprefs.cli", "statuses", "alice@example.com"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**env, "HUBSPOT_COMMPREFS_LOG": "verbose"},
    )
    assert result.returncode == 2  # what the command itself says (no token) is unchanged
    assert result.stderr.splitlines() == [
        LOG_WARNING,
        "hubspot-commprefs: no HubSpot access token: set the HUBSPOT_ACCESS_TOKEN environment variable",
    ]


def test_the_log_level_warning_is_said_once_not_again_by_the_client(
    env: FakeHubSpot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_logging, "_warned", set())
    monkeypatch.setenv("HUBSPOT_COMMPREFS_LOG", "verbose")
    assert main(["statuses", "alice@example.com"]) == 0  # pytest makes a warning from the client an error
    captured = capsys.readouterr()
    assert captured.err == LOG_WARNING + "\n"
    assert captured.out.startswith("alice@example.com, ")
