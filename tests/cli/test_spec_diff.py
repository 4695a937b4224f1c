"""``hubspot-commprefs spec-diff``: the report, the JSON, and the exit codes (0 nothing to change, 1 the spec
needs an edit, 2 a usage error)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import TYPE_CHECKING

import yaml
from hubspot_commprefs.cli import main

from tests.spec_diff_documents import drifted_hubspot_document, hubspot_shaped, ours, schema, write_json

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_a_drifted_hubspot_document_exits_1_naming_each_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = write_json(drifted_hubspot_document(), tmp_path / "hubspot.json")
    assert main(["spec-diff", str(other)]) == 1
    out = capsys.readouterr().out
    statuses = out.split("\n\n")[1]
    assert statuses.startswith(
        "GET /communication-preferences/2026-03/statuses/{subscriberIdString}  (getStatuses)"
    )
    breaking, tolerated = statuses.split("  tolerated")
    assert "their document no longer accepts communication_preferences.read:" in breaking
    assert "response 200: results[].status: their enum adds OPTED_OUT" in tolerated
    assert "response 200: results[].subscriptionId: format int32 in theirs, int64 in ours" in tolerated
    assert "their document adds the alternative communication_preferences.statuses.read" in tolerated
    assert "cosmetic: 2 (--cosmetic lists them)" in statuses
    assert out.rstrip().endswith("The spec needs an edit: 4 breaking, 7 tolerated, 3 cosmetic.")


def test_a_document_identical_in_substance_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = write_json(hubspot_shaped(inline=True), tmp_path / "hubspot.json")
    assert main(["spec-diff", str(other)]) == 0
    assert re.search(r"Nothing to change: \d+ cosmetic\.$", capsys.readouterr().out.rstrip())
    assert main(["spec-diff", "--cosmetic", str(other)]) == 0
    assert (
        "results[].legalBasis: the schema is named (inline) in theirs, LegalBasis in ours"
        in capsys.readouterr().out
    )


def test_json_for_ci(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = write_json(drifted_hubspot_document(), tmp_path / "hubspot.json")
    assert main(["spec-diff", "--json", str(other)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ours"] == "the bundled spec"
    assert data["needs_edit"] is True
    formats = [d for d in data["differences"] if d["kind"] == "format"]
    assert formats == [
        {
            "kind": "format",
            "severity": "tolerated",
            "effect": "tolerated",
            "operation": "GET /communication-preferences/2026-03/statuses/{subscriberIdString}",
            "location": "response 200: results[].subscriptionId",
            "ours": "int64",
            "theirs": "int32",
            "message": "format int32 in theirs, int64 in ours: every value they send fits ours",
            "reason": None,
        }
    ]


def test_ours_may_be_another_spec_whose_markers_make_differences_deliberate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = ours()
    for path in spec["paths"].values():
        path["get"]["x-deliberate-difference"] = "the scopes HubSpot renamed are not live yet"
    schema(spec, "PublicStatus")["x-deliberate-difference"] = "int64 since April 2026"
    mine = tmp_path / "communication-preferences-2026-03.yaml"
    mine.write_text(yaml.safe_dump(spec), encoding="utf-8")
    other = write_json(drifted_hubspot_document(), tmp_path / "hubspot.json")
    assert main(["spec-diff", "--ours", str(mine), str(other)]) == 0
    out = capsys.readouterr().out
    assert "deliberate (marked x-deliberate-difference in our spec): 6" in out
    assert "[deliberate, would be breaking: the scopes HubSpot renamed are not live yet]" in out
    assert "[deliberate, would be tolerated: int64 since April 2026]" in out
    assert out.rstrip().endswith("Nothing to change: 11 deliberate, 3 cosmetic.")


def test_usage_errors_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec-diff", str(tmp_path / "missing.json")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err
        == f"hubspot-commprefs spec-diff: {tmp_path / 'missing.json'}: cannot read it (No such file or directory)\n"
    )
    not_openapi = tmp_path / "notes.yaml"
    not_openapi.write_text("- just\n- a list\n", encoding="utf-8")
    assert main(["spec-diff", str(not_openapi)]) == 2
    assert "not an OpenAPI document" in capsys.readouterr().err
    assert main(["spec-diff", "--ours", str(not_openapi), str(not_openapi)]) == 2


def test_the_console_script_prints_no_traceback(tmp_path: Path) -> None:
    garbage = tmp_path / "hubspot.json"
    garbage.write_text("<html>not json</html>", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "hubspot_commprefs.cli", "spec-diff", str(garbage)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_spec_diff_and_its_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "spec-diff" in capsys.readouterr().out
