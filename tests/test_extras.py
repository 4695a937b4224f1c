"""Without the harness extra, the harness says which extra to install (exit 2), never a traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# Runs in a fresh interpreter where starlette, uvicorn and schemathesis cannot be imported.
PRELUDE = """
import sys
for name in ("starlette", "uvicorn", "schemathesis"):
    sys.modules[name] = None
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(PRELUDE) + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("command", [["mock-server"], ["conformance"]])
def test_a_harness_command_without_the_extra_says_which_extra_to_install(command: list[str]) -> None:
    done = _run(f"from hubspot_commprefs.cli import main; raise SystemExit(main({command!r}))")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{command[0]} needs the harness extra, which is not installed" in done.stderr
    assert "missing: starlette, uvicorn, schemathesis" in done.stderr
    assert 'pip install "hubspot-commprefs[harness]"' in done.stderr


@pytest.mark.parametrize("module", ["hubspot_commprefs.testing", "hubspot_commprefs.conformance"])
def test_importing_the_harness_without_the_extra_names_it(module: str) -> None:
    done = _run(
        f"""
        try:
            import {module}
        except ModuleNotFoundError as error:
            print(type(error).__name__, error)
        """
    )
    assert done.stdout.startswith("MissingExtraError ")
    assert "needs the harness extra" in done.stdout
    assert 'pip install "hubspot-commprefs[harness]"' in done.stdout


def test_the_client_the_cli_and_the_pytest_plugin_work_without_the_extra() -> None:
    done = _run(
        """
        import hubspot_commprefs, hubspot_commprefs.pytest_plugin
        from hubspot_commprefs.cli import main
        assert main(["--version"]) == 0
        """
    )
    assert done.returncode == 0, done.stderr


def test_the_help_says_which_commands_need_the_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hubspot_commprefs.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if "needs the harness extra" in line]
    assert len(lines) >= 1
    assert "mock-server" in done.stdout
    assert "(needs the harness extra)" in done.stdout
