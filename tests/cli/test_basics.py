"""The console script answers --version and --help."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hubspot_commprefs import __version__
from hubspot_commprefs.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"hubspot-commprefs {__version__}"


def test_help_mentions_the_token_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "HUBSPOT_ACCESS_TOKEN" in capsys.readouterr().out


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
    from hubspot_commprefs import _exit_codes, conformance
    from hubspot_commprefs.cli.commands import _common
    from hubspot_commprefs.spec_diff import _report

    assert conformance.EXIT_CONFORMS == _exit_codes.EXIT_OK == _report.EXIT_NOTHING_TO_CHANGE == 0
    assert conformance.EXIT_FAILURES == _exit_codes.EXIT_FAILED == _report.EXIT_SPEC_NEEDS_EDIT == 1
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
