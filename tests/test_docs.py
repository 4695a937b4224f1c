"""Every code block of the README and of docs/ runs, as written, against the bundled fake server.

- ``python`` blocks run as scripts (a block whose first line is ``# test_*.py`` is a test file: pytest runs
  it, with the package's plugin), with ``HUBSPOT_ACCESS_TOKEN`` and ``HUBSPOT_BASE_URL`` pointing at a fake
  server;
- ``sh`` blocks run line by line in one scratch directory, each line through bash, and must exit 0; HubSpot's
  host and the ``...`` token placeholder are replaced by the fake server's, a ``mock-server`` line is started
  and stopped once it serves, and ``scripts/test`` is the command running this very test, so it is not run
  again;
- ``text`` blocks are output, not code;
- a block marked ``{not run: REASON}`` (the install commands, which would change the environment) must give
  its reason; there are at most two, and the extras they name must exist.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from hubspot_commprefs.testing import FakeHubSpot

from tests.processes import run, started

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<code>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
NOT_RUN = re.compile(r"\{not run: (?P<reason>[^}]+)\}")
HUBSPOT = "https://api.hubapi.com"
RUNS_THIS_TEST = "scripts/test"


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    language: str
    info: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _blocks() -> list[Block]:
    found = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            info = match["info"].strip()
            line = text.count("\n", 0, match.start()) + 1
            found.append(Block(path, line, info.split(" ")[0], info, match["code"]))
    return found


BLOCKS = _blocks()


def _of(*languages: str) -> list[Block]:
    return [b for b in BLOCKS if b.language in languages and not NOT_RUN.search(b.info)]


@pytest.fixture(scope="module")
def server():
    with FakeHubSpot() as fake:
        yield fake


@pytest.fixture
def env(server: FakeHubSpot) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HUBSPOT_"))}
    bin_dir = str(Path(sys.executable).parent)
    environment |= {
        "HUBSPOT_ACCESS_TOKEN": server.token,
        "HUBSPOT_BASE_URL": server.base_url,
        "PATH": bin_dir + os.pathsep + environment.get("PATH", ""),
        "PYTHONUNBUFFERED": "1",
    }
    return environment


def test_every_block_is_run_or_says_why_not() -> None:
    assert {b.language for b in BLOCKS} <= {"python", "sh", "text"}, [b.name for b in BLOCKS]
    not_run = [b for b in BLOCKS if "not run" in b.info]
    assert all(NOT_RUN.search(b.info) for b in not_run)
    assert len(not_run) <= 2
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    for block in not_run:
        for extra in re.findall(r"\[(\w+)\]", block.code):
            assert extra in extras, f"{block.name}: no extra named {extra}"


@pytest.mark.parametrize("block", _of("python"), ids=lambda b: b.name)
def test_a_python_block_runs(block: Block, env: dict[str, str], tmp_path: Path) -> None:
    first = block.code.splitlines()[0]
    test_file = re.fullmatch(r"# (test_\w+\.py)", first)
    if test_file:
        (tmp_path / test_file[1]).write_text(block.code, encoding="utf-8")
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file[1]]
    else:
        (tmp_path / "block.py").write_text(block.code, encoding="utf-8")
        argv = [sys.executable, "block.py"]
    done = run(argv, cwd=tmp_path, env=env, timeout=180)
    assert done.returncode == 0, f"{block.name}\n{done.stdout}\n{done.stderr}"


def _lines(code: str) -> list[str]:
    """Logical lines: backslash continuations joined, comments and blank lines left out."""
    joined = re.sub(r"\\\n\s*", " ", code)
    return [line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _serve_then_stop(line: str, tmp_path: Path, env: dict[str, str]) -> None:
    with started(
        ["bash", "-c", f"exec {line}"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert first.startswith("Fake HubSpot on http://127.0.0.1:"), first + err


def _files_the_examples_read(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("email,name\nalice@example.com,Alice\nbob@example.com,Bob\n")
    (tmp_path / "list.csv").write_text("name,email\nAlice,alice@example.com\nCarol,carol@example.com\n")


@pytest.mark.parametrize("block", _of("sh"), ids=lambda b: b.name)
def test_a_shell_block_runs(block: Block, env: dict[str, str], server: FakeHubSpot, tmp_path: Path) -> None:
    _files_the_examples_read(tmp_path)
    for line in _lines(block.code):
        command = line.split("#", 1)[0].strip() if " #" in line else line.strip()
        if command.startswith(RUNS_THIS_TEST):
            continue
        command = command.replace(HUBSPOT, server.base_url).replace("HUBSPOT_ACCESS_TOKEN=...", "")
        command = re.sub(r"^scripts/", f"{ROOT}/scripts/", command)
        if "mock-server" in command:
            _serve_then_stop(command, tmp_path, env)
            continue
        done = run(["bash", "-c", command], cwd=tmp_path, env=env, timeout=300)
        assert done.returncode == 0, f"{block.name}: {command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes."""
    headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(path: Path) -> None:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        assert linked.exists(), f"{path.name}: {target}"
        if anchor:
            assert anchor in _anchors(linked), f"{path.name}: {target}"
