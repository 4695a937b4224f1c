"""``hubspot-commprefs spec-diff``: the report, the JSON, and the exit codes (0 nothing to change, 1 the spec
needs an edit, 2 a document that cannot be read or compared)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
import yaml
from hubspot_commprefs.cli import main

from tests.spec_diff_documents import (
    MARKER,
    RENAMED_SCOPES,
    STATUSES,
    drifted_hubspot_document,
    hubspot_published,
    hubspot_shaped,
    ours,
    schema,
    write_json,
)

if TYPE_CHECKING:
    from pathlib import Path


def test_a_drifted_hubspot_document_exits_1_naming_each_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = write_json(drifted_hubspot_document(), tmp_path / "hubspot.json")
    assert main(["spec-diff", str(other)]) == 1
    out = capsys.readouterr().out
    statuses = out.split("\n\n")[1]
    assert statuses.startswith(f"GET {STATUSES}  (getStatuses)")
    breaking, rest = statuses.split("  tolerated")
    tolerated, informational = rest.split("  informational")
    assert "their document no longer accepts communication_preferences.read:" in breaking
    assert "response 200: results[].status: their enum adds OPTED_OUT" in tolerated
    assert "their document adds the alternative communication_preferences.statuses.read" in tolerated
    assert (
        "response 200: results[].subscriptionId: format int32 in theirs, int64 in ours: keep ours"
        in informational
    )
    assert "cosmetic: 3 (--cosmetic lists them)" in statuses
    assert out.rstrip().endswith(
        "The spec needs an edit: 4 breaking, 6 tolerated, 1 informational, 5 cosmetic."
    )


def test_the_document_hubspot_publishes_exits_0_with_each_reason_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = write_json(hubspot_published(), tmp_path / "hubspot.json")
    assert main(["spec-diff", str(other)]) == 0
    out = capsys.readouterr().out
    reason = ours()["components"]["headers"]["RateLimitMax"][MARKER]["reason"]
    assert out.count(reason) == 1
    note = re.search(rf"  \[(\d+)\] {re.escape(reason)}", out)
    assert note is not None
    assert (
        f"response 200: header X-HubSpot-RateLimit-Max: their document does not list the header "
        f"X-HubSpot-RateLimit-Max (the client reads headers tolerantly) [would be tolerated; see [{note[1]}]]"
    ) in out
    assert out.rstrip().endswith("Nothing to change: 34 deliberate, 5 cosmetic.")


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
            "severity": "informational",
            "effect": "informational",
            "operation": f"GET {STATUSES}",
            "location": "response 200: results[].subscriptionId",
            "ours": "int64",
            "theirs": "int32",
            "message": "format int32 in theirs, int64 in ours: keep ours (every value theirs allows fits it; "
            "narrowed, it would refuse real values beyond theirs)",
            "reason": None,
        }
    ]


def test_ours_may_be_another_spec_whose_markers_make_differences_deliberate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = ours()
    for path in spec["paths"].values():
        path["get"][MARKER] = {
            "theirs": {"scope": RENAMED_SCOPES},
            "reason": "the renamed scopes are not live yet",
        }
    schema(spec, "PublicStatus")[MARKER] = {"theirs": {"format": "int32"}, "reason": "int64 since April 2026"}
    mine = tmp_path / "communication-preferences-next.yaml"
    mine.write_text(yaml.safe_dump(spec), encoding="utf-8")
    other = write_json(drifted_hubspot_document(), tmp_path / "hubspot.json")
    assert main(["spec-diff", "--ours", str(mine), str(other)]) == 1  # OPTED_OUT is described by no marker
    out = capsys.readouterr().out
    assert "deliberate (described by an x-deliberate-difference of our spec): 5" in out
    assert "[would be informational; see [1]]" in out
    assert "[would be breaking; see [2]]" in out
    assert "\n  [1] int64 since April 2026\n  [2] the renamed scopes are not live yet\n" in out
    assert out.rstrip().endswith("The spec needs an edit: 2 tolerated, 9 deliberate, 5 cosmetic.")


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


def test_a_document_past_max_size_exits_2_before_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = write_json(hubspot_shaped(), tmp_path / "hubspot.json")
    assert main(["spec-diff", "--max-size", "0.01", str(other)]) == 2
    assert capsys.readouterr().err == (
        f"hubspot-commprefs spec-diff: {other}: larger than 10,485 bytes, more than spec-diff reads "
        "(--max-size raises the bound)\n"
    )
    assert main(["spec-diff", "--max-size", "1", str(other)]) == 0
    for wrong in ("0", "-1", "nan", "lots"):
        with pytest.raises(SystemExit) as exit_code:
            main(["spec-diff", "--max-size", wrong, str(other)])
        assert exit_code.value.code == 2
        assert "must be a number of MiB above 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content",
    [
        "<html>not json</html>",
        '{"openapi": "3.0.1", "paths": {}, "x": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"openapi": "3.0.1", "paths": {"/a": {"get": {"responses": [1]}}}}',
    ],
    ids=["not-json", "5000-levels", "malformed"],
)
def test_the_console_script_prints_no_traceback(tmp_path: Path, content: str) -> None:
    garbage = tmp_path / "hubspot.json"
    garbage.write_text(content, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "hubspot_commprefs.cli", "spec-diff", str(garbage)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in result.stderr
    if result.returncode == 2:
        assert result.stderr.count("\n") == 1
    else:  # read, and our operations reported missing from it
        assert result.returncode == 1
        assert "their document has no GET operation at this path" in result.stdout


def test_help_lists_spec_diff_and_its_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "spec-diff" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["spec-diff", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Exit codes: 0 nothing to change" in out
    assert "--max-size MIB" in out
