"""generated/ matches the spec, and moving to a new API version needs nothing hand-written to change."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

from tests.spec_helpers import ROOT, SPEC_PATH, load_spec

if TYPE_CHECKING:
    import types
    from pathlib import Path

REGENERATE = ROOT / "scripts" / "regenerate.py"


def _run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: PLW1510 - the callers assert on returncode
        [sys.executable, *map(str, args)], capture_output=True, text=True, timeout=180, **kwargs
    )


def test_generated_package_matches_the_spec() -> None:
    result = _run(REGENERATE, "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_names_the_stale_files_when_the_spec_changes(tmp_path: Path) -> None:
    changed = tmp_path / "communication-preferences-2026-03.yaml"
    changed.write_text(SPEC_PATH.read_text().replace("The contact's email address.", "The contact's e-mail."))
    result = _run(REGENERATE, "--check", "--spec", changed)
    assert result.returncode == 1
    assert "generated/hubspot_commprefs_client/openapi.yaml" in result.stdout
    assert "generated/hubspot_commprefs_client/models/public_status.py" in result.stdout


def test_a_new_api_version_is_only_a_spec_edit_and_a_regeneration(tmp_path: Path) -> None:
    old = load_spec()["info"]["version"]
    new = "2026-09"
    spec = tmp_path / "spec" / f"communication-preferences-{new}.yaml"
    spec.parent.mkdir()
    spec.write_text(SPEC_PATH.read_text().replace(old, new))
    out = tmp_path / "site" / "hubspot_commprefs_client"
    out.parent.mkdir()
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'scripts')!r}); import regenerate; "
    code += f"regenerate.generate(__import__('pathlib').Path({str(spec)!r}), __import__('pathlib').Path({str(out)!r}))"
    made = _run("-c", code)
    assert made.returncode == 0, made.stderr
    # In a fresh interpreter whose path puts the new package first, call its endpoint on a fake transport.
    probe = textwrap.dedent(
        """
        import json, httpx, hubspot_commprefs_client
        from hubspot_commprefs_client import AuthenticatedClient
        from hubspot_commprefs_client.api.subscription_statuses import get_unsubscribe_all_status
        from hubspot_commprefs_client.models import Channel
        seen = []
        def handler(request):
            seen.append(str(request.url))
            return httpx.Response(200, json={"status": "COMPLETE", "results": [],
                "startedAt": "2026-09-01T00:00:00Z", "completedAt": "2026-09-01T00:00:01Z"})
        client = AuthenticatedClient(base_url="https://api.example.test", token="t",
                                     httpx_args={"transport": httpx.MockTransport(handler)})
        parsed = get_unsubscribe_all_status.sync("a@example.com", client=client, channel=Channel.EMAIL)
        print(json.dumps({"file": hubspot_commprefs_client.__file__, "urls": seen, "status": parsed.status.value}))
        """
    )
    called = _run("-c", probe, env={"PYTHONPATH": str(out.parent), "PATH": ""})
    assert called.returncode == 0, called.stderr
    assert str(out) in called.stdout
    assert f"/communication-preferences/{new}/statuses/a%40example.com/unsubscribe-all" in called.stdout
    assert '"status": "COMPLETE"' in called.stdout
    # The hand-written client, unchanged, calls the regenerated package: the new version's paths.
    wrapper = textwrap.dedent(
        """
        import json, httpx, hubspot_commprefs_client
        from hubspot_commprefs import CommPrefs
        seen = []
        def handler(request):
            seen.append(request.url.raw_path.decode())
            return httpx.Response(200, json={"status": "COMPLETE", "results": [],
                "startedAt": "2026-09-01T00:00:00Z", "completedAt": "2026-09-01T00:00:01Z"})
        client = CommPrefs(access_token="t", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
        statuses = client.get_statuses("a@example.com")
        opted_out = client.is_unsubscribed_from_all("a@example.com")
        print(json.dumps({"file": hubspot_commprefs_client.__file__, "paths": seen,
                          "complete": statuses.is_complete, "opted_out": opted_out}))
        """
    )
    # Keep the venv's site-packages (the editable install of hubspot_commprefs); the new package comes first.
    wrapped = _run("-c", wrapper, env={"PYTHONPATH": str(out.parent), "PATH": ""})
    assert wrapped.returncode == 0, wrapped.stderr
    report = json.loads(wrapped.stdout)
    assert report["file"].startswith(str(out))
    assert report["paths"] == [
        f"/communication-preferences/{new}/statuses/a%40example.com?channel=EMAIL",
        f"/communication-preferences/{new}/statuses/a%40example.com/unsubscribe-all?channel=EMAIL&verbose=false",
    ]
    assert report["complete"] is True
    assert report["opted_out"] is False


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
    bumped = tmp_path / "communication-preferences-2026-09.yaml"
    bumped.write_text(
        SPEC_PATH.read_text()
        .replace(old, "2026-09")
        .replace("        - PROCESSING\n", "        - PROCESSING\n        - QUEUED\n")
    )
    log = regenerate.changelog(SPEC_PATH, bumped)
    assert log is not None
    assert f"the previous spec (spec/{SPEC_PATH.name})" in log
    assert "under version 2026-09, ours under 2026-03" in log
    assert "response 200: status: their enum adds QUEUED" in log
    assert log.endswith("The spec needs an edit: 4 tolerated, 1 cosmetic.")
    assert regenerate.changelog(SPEC_PATH, SPEC_PATH) is None
    assert regenerate.changelog(tmp_path / "never-generated.yaml", SPEC_PATH) is None
