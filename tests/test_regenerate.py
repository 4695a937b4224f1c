"""generated/ matches the spec, and moving to a new API version needs nothing hand-written to change."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.spec_helpers import ROOT, SPEC_PATH, load_spec, operations

if TYPE_CHECKING:
    import types

REGENERATE = ROOT / "scripts" / "regenerate.py"


def _run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: PLW1510 - the callers assert on returncode
        [sys.executable, *map(str, args)], capture_output=True, text=True, timeout=180, **kwargs
    )


def test_generated_package_matches_the_spec() -> None:
    result = _run(REGENERATE, "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_names_the_stale_files_when_the_spec_changes(tmp_path: Path) -> None:
    changed = tmp_path / SPEC_PATH.name
    changed.write_text(SPEC_PATH.read_text().replace("The contact's email address.", "The contact's e-mail."))
    result = _run(REGENERATE, "--check", "--spec", changed)
    assert result.returncode == 1
    assert "generated/hubspot_commprefs_client/openapi.yaml" in result.stdout
    assert "generated/hubspot_commprefs_client/models/public_status.py" in result.stdout


def another_version(version: str) -> str:
    """A version other than ``version``: six months on for a dated one (``YYYY-MM``), else ``version-next``."""
    dated = re.fullmatch(r"(\d{4})-(\d{2})", version)
    if dated is None:
        return f"{version}-next"
    month = int(dated[1]) * 12 + int(dated[2]) - 1 + 6
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def test_another_version_differs() -> None:
    assert another_version("2030-08") == "2031-02"
    assert another_version("2030-01") == "2030-07"
    assert another_version("v4") == "v4-next"
    assert another_version(load_spec()["info"]["version"]) != load_spec()["info"]["version"]


def _moved_as_said(spec: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``spec`` with ``info.version`` and every path segment that is the version set to ``new``."""
    paths = {
        "/".join(new if s == old else s for s in path.split("/")): item
        for path, item in spec["paths"].items()
    }
    return {**spec, "info": {**spec["info"], "version": new}, "paths": paths}


# What a copy moved to another version does: its package, client, fake server, suite and --help.
PROBE = """
import json, hubspot_commprefs, hubspot_commprefs_client
from hubspot_commprefs import API_VERSION, CommPrefs
from hubspot_commprefs.cli import build_parser
from hubspot_commprefs.conformance import run_conformance
from hubspot_commprefs.testing import FakeHubSpot

with FakeHubSpot() as server:
    with CommPrefs(base_url=server.base_url, access_token=server.token, max_retries=0) as client:
        opted_out = client.is_unsubscribed_from_all("bob@example.com")
        statuses = client.get_statuses("alice@example.com")
    paths = [request.path for request in server.requests]
    result = run_conformance(server.conformance_options(max_examples=2))
print(json.dumps({
    "files": [hubspot_commprefs.__file__, hubspot_commprefs_client.__file__],
    "api_version": API_VERSION,
    "help": " ".join(build_parser().format_help().split()),
    "paths": paths,
    "opted_out": opted_out,
    "complete": statuses.is_complete,
    "conformance": [result.exit_code, result.spec_version, sorted(result.endpoints)],
}))
"""


def test_a_new_api_version_is_only_a_spec_edit_and_a_regeneration(tmp_path: Path) -> None:
    spec = load_spec()
    old = spec["info"]["version"]
    new = another_version(old)
    copy = tmp_path / "repo"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", ".git", ".tools", "reports", "__pycache__", ".*cache"),
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(copy / "wrapper"), str(copy / "generated")])}

    moved = _run(copy / "scripts" / "regenerate.py", "--version", new, env=env)

    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "(spec-diff)" in moved.stdout
    assert f"Moved from API version {old} to {new}." in moved.stdout
    moved_spec = copy / "spec" / SPEC_PATH.name.replace(old, new)
    assert sorted((copy / "spec").iterdir()) == [moved_spec]
    assert yaml.safe_load(moved_spec.read_text()) == _moved_as_said(spec, old, new)
    assert len(moved_spec.read_text().splitlines()) == len(SPEC_PATH.read_text().splitlines())  # layout kept
    assert _run(copy / "scripts" / "regenerate.py", "--check", env=env).returncode == 0

    probed = _run("-c", PROBE, env=env, cwd=tmp_path)

    assert probed.returncode == 0, probed.stderr
    report = json.loads(probed.stdout)
    assert all(Path(file).is_relative_to(copy) for file in report["files"])
    assert report["api_version"] == new
    assert f"as version {new} of its Communication Preferences API says" in report["help"]
    moved_paths = {
        item["get"]["operationId"]: path for path, item in _moved_as_said(spec, old, new)["paths"].items()
    }
    assert set(report["paths"]) == {
        moved_paths["getStatuses"].format(subscriberIdString="alice%40example.com"),
        moved_paths["getUnsubscribeAllStatus"].format(subscriberIdString="bob%40example.com"),
    }
    assert report["opted_out"] is True
    assert report["complete"] is True
    assert report["conformance"] == [0, new, sorted(moved_paths.values())]


def _regenerate_module() -> types.ModuleType:
    loaded = importlib.util.spec_from_file_location("regenerate_script", REGENERATE)
    assert loaded is not None
    assert loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def test_a_version_bump_prints_its_changelog(tmp_path: Path) -> None:
    regenerate = _regenerate_module()
    old = load_spec()["info"]["version"]
    new = another_version(old)
    text, moved_from, paths = regenerate.moved(SPEC_PATH.read_text(), new)
    assert (moved_from, paths) == (old, len(operations()))
    bumped = tmp_path / SPEC_PATH.name.replace(old, new)
    bumped.write_text(text.replace("        - PROCESSING\n", "        - PROCESSING\n        - QUEUED\n"))
    log = regenerate.changelog(SPEC_PATH, bumped)
    assert log is not None
    assert f"the previous spec (spec/{SPEC_PATH.name})" in log
    assert f"theirs {bumped}" in log
    assert old in log
    assert new in log
    assert "QUEUED" in log
    assert regenerate.changelog(SPEC_PATH, SPEC_PATH) is None
    assert regenerate.changelog(tmp_path / "never-generated.yaml", SPEC_PATH) is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--version", "2030/01"], "is not one path segment"),
        (["--version", ".."], "is not one path segment"),
        (["--version", "v9", "--check"], "takes neither --check nor --spec"),
    ],
)
def test_version_refuses_what_is_not_a_move(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _regenerate_module().main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_version_refuses_the_version_the_spec_has() -> None:
    with pytest.raises(SystemExit, match="already at version"):
        _regenerate_module().main(["--version", load_spec()["info"]["version"]])


def test_the_changelog_opens_with_this_release_and_the_api_version_it_speaks() -> None:
    from hubspot_commprefs import __version__

    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    first = re.search(r"^## (?P<release>\S+)\n\nSpeaks API version `(?P<api>[^`]+)`\.", text, re.MULTILINE)
    assert first is not None
    assert first["release"] == __version__
    assert _regenerate_module().VERSION_SYNTAX.fullmatch(first["api"])


def test_moved_needs_an_info_version() -> None:
    with pytest.raises(SystemExit, match=r"no info\.version"):
        _regenerate_module().moved("openapi: 3.1.0\ninfo:\n  title: t\npaths: {}\n", "v2")
