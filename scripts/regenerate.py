"""Rebuild ``generated/hubspot_commprefs_client`` from the spec, or check that it is up to date.

Usage: ``scripts/regenerate [--check] [--spec PATH]``, or ``scripts/regenerate --version NEW`` to move the
project to another API version.

The output depends only on the spec, ``scripts/codegen/`` and the pinned versions of openapi-python-client
and ruff: the generator's own post-hooks are off (they would run whatever ruff is on PATH, with whatever
configuration is nearest), and formatting is done here with the pinned ruff in isolated mode.

Besides the generator's output the package gets ``py.typed``, a copy of the spec as ``openapi.yaml``, so
that an installed package carries the very spec it was generated from (the fake server and the conformance
suite read it from there), and ``schemas.json``: the spec's component schemas as JSON, which
``hubspot_commprefs.schemas`` compiles into the validators of the client, the fake server and the
conformance suite (JSON, so that the client reads it without a YAML parser). Its ``$ref``s are the spec's
own (``#/components/schemas/...``), so a schema taken from the spec resolves against it unchanged.

When the spec changed since the last generation (a version bump, say), regenerating prints the
``spec-diff`` of the new spec against that copy: the changelog of the move, classified by its effect on the
client generated from the old one.

``--version NEW`` moves to another API version in one step: the spec's ``info.version`` and every path
segment that spells the old version become ``NEW`` (edited in place in the YAML text, so comments and layout
stay), the file is renamed to match, ``generated/`` is rebuilt and the move's ``spec-diff`` printed. The
spec is written only once the new client was generated. Everything else reads the version from the spec.
"""

from __future__ import annotations

import argparse
import dataclasses
import filecmp
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "hubspot_commprefs_client"
CODEGEN = ROOT / "scripts" / "codegen"
TARGET = ROOT / "generated" / PACKAGE
SCHEMAS = "schemas.json"
VERSION_SYNTAX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""An API version is one path segment of plain characters (``2026-09``, ``v4``)."""


def find_spec(spec_dir: Path = ROOT / "spec") -> Path:
    """The one OpenAPI document in ``spec/`` (its name carries the API version, which may change)."""
    specs = sorted(spec_dir.glob("*.yaml"))
    if len(specs) != 1:
        names = ", ".join(p.name for p in specs) or "none"
        raise SystemExit(f"regenerate: expected exactly one spec/*.yaml, found {names}")
    return specs[0]


def _run(*args: str, cwd: Path) -> None:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"regenerate: {' '.join(args[:3])} failed:\n{result.stdout}{result.stderr}")


def generate(spec: Path, package_dir: Path) -> None:
    """Write the generated package for ``spec`` into ``package_dir`` (which must not exist)."""
    python = sys.executable
    _run(
        python, "-m", "openapi_python_client", "generate",
        "--path", str(spec),
        "--output-path", str(package_dir),
        "--meta", "none",
        "--config", str(CODEGEN / "config.yaml"),
        "--custom-template-path", str(CODEGEN / "templates"),
        "--fail-on-warning",
        cwd=package_dir.parent,
    )  # fmt: skip
    (package_dir / "py.typed").write_text("")
    (package_dir / "openapi.yaml").write_bytes(spec.read_bytes())
    (package_dir / SCHEMAS).write_text(schemas_json(spec), encoding="utf-8")
    ruff = (python, "-m", "ruff")
    style = ("--isolated", "--target-version", "py311", "--line-length", "120")
    _run(
        *ruff,
        "check",
        *style,
        "--select",
        "I,F401",
        "--fix-only",
        "--exit-zero",
        "--quiet",
        package_dir.name,
        cwd=package_dir.parent,
    )
    _run(*ruff, "format", *style, "--quiet", package_dir.name, cwd=package_dir.parent)


def schemas_json(spec: Path) -> str:
    """The spec's ``components.schemas`` as a JSON document (``{"components": {"schemas": ...}}``), in the
    spec's order, so that a diff of it reads like a diff of the spec, with the spec's ``info.version`` (the
    API version the package speaks, ``hubspot_commprefs.API_VERSION``)."""
    import yaml

    document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    schemas = document.get("components", {}).get("schemas", {}) if isinstance(document, dict) else {}
    version = document.get("info", {}).get("version") if isinstance(document, dict) else None
    header = f"The component schemas of {spec.name}, written by scripts/regenerate; never edit by hand."
    content = {"$comment": header, "info": {"version": version}, "components": {"schemas": schemas}}
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def _files(directory: Path) -> set[str]:
    return {
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def stale_files(fresh: Path, current: Path) -> list[str]:
    """Paths (relative to the package) that differ between a fresh generation and the checked-in one."""
    fresh_files, current_files = _files(fresh), _files(current) if current.exists() else set()
    changed = {
        name
        for name in fresh_files & current_files
        if not filecmp.cmp(fresh / name, current / name, shallow=False)
    }
    return sorted(changed | (fresh_files ^ current_files))


def changelog(old: Path, new: Path) -> str | None:
    """The ``spec-diff`` report of the spec ``new`` against ``old`` (the copy ``generated/`` was made from),
    or None when they are the same file content or there is no old copy."""
    if not old.exists() or old.read_bytes() == new.read_bytes():
        return None
    from hubspot_commprefs.spec_diff import SpecDocumentError, diff_specs, load_document

    def shown(path: Path) -> Path:
        return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path

    try:
        previous = dataclasses.replace(load_document(old), name=f"the previous spec ({shown(old)})")
        diff = diff_specs(previous, dataclasses.replace(load_document(new), name=str(shown(new))))
    except SpecDocumentError as exc:
        return f"(no changelog: {exc})"
    return diff.to_text()


def moved(text: str, new: str) -> tuple[str, str, int]:
    """The spec ``text`` moved to API version ``new``: its ``info.version`` and each path segment equal to
    the old version replaced, in place (positions from the YAML nodes, so nothing else of the text changes).
    Returns the new text, the old version and how many paths changed."""
    import yaml

    root = yaml.compose(text)
    top = {key.value: value for key, value in root.value} if isinstance(root, yaml.MappingNode) else {}
    info = top.get("info")
    fields = {key.value: value for key, value in info.value} if isinstance(info, yaml.MappingNode) else {}
    version = fields.get("version")
    if not isinstance(version, yaml.ScalarNode) or not version.value:
        raise SystemExit("regenerate: the spec has no info.version to move from")
    old = str(version.value)
    edits = [(version, old, new)]
    paths = top.get("paths")
    for key, _ in paths.value if isinstance(paths, yaml.MappingNode) else ():
        segments = str(key.value).split("/")
        if old in segments:
            edits.append((key, key.value, "/".join(new if s == old else s for s in segments)))
    for node, before, after in sorted(edits, key=lambda edit: -edit[0].start_mark.index):
        start, end = node.start_mark.index, node.end_mark.index
        text = text[:start] + text[start:end].replace(before, after) + text[end:]
    return text, old, len(edits) - 1


def move_spec(spec: Path, new: str, into: Path) -> tuple[Path, str]:
    """Write ``spec`` moved to version ``new`` into the directory ``into``, named for ``new``; return it
    and the old version."""
    text, old, changed_paths = moved(spec.read_text(encoding="utf-8"), new)
    if old == new:
        raise SystemExit(f"regenerate: the spec is already at version {new}")
    target = into / spec.name.replace(old, new)
    target.write_text(text, encoding="utf-8")
    print(
        f"Moving spec/{spec.name} from API version {old} to {new} ({changed_paths} paths): spec/{target.name}"
    )
    return target, old


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/regenerate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether generated/ is stale")
    parser.add_argument("--spec", type=Path, help="the OpenAPI document (default: the one in spec/)")
    parser.add_argument(
        "--version",
        metavar="NEW",
        help="move spec/ to API version NEW (info.version, the paths, the file name), then regenerate",
    )
    args = parser.parse_args(argv)
    if args.version is not None and (args.check or args.spec):
        parser.error("--version moves the spec in spec/: it takes neither --check nor --spec")
    if args.version is not None and not VERSION_SYNTAX.fullmatch(args.version):
        parser.error(f"--version: {args.version!r} is not one path segment of letters, digits, '.', '_', '-'")
    return args


def _check(spec: Path, stale: list[str]) -> int:
    if stale:
        print(f"generated/{PACKAGE} is stale against {spec.name}; run scripts/regenerate. Differing files:")
        for name in stale:
            print(f"  generated/{PACKAGE}/{name}")
        return 1
    print(f"generated/{PACKAGE} is up to date with spec/{spec.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    spec = (args.spec or find_spec()).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        previous, moved_from = spec, None
        if args.version is not None:
            spec, moved_from = move_spec(previous, args.version, Path(tmp))
        fresh = Path(tmp) / PACKAGE
        generate(spec, fresh)
        stale = stale_files(fresh, TARGET)
        if args.check:
            return _check(spec, stale)
        if moved_from is not None:  # the new client is made: now the spec moves
            spec = previous.parent / spec.name
            shutil.copyfile(Path(tmp) / spec.name, spec)
            if spec != previous:
                previous.unlink()
        log = changelog(TARGET / "openapi.yaml", spec)
        if log is not None:
            print(f"What changed since the spec generated/{PACKAGE} was made from (spec-diff):\n{log}\n")
        if TARGET.exists():
            shutil.rmtree(TARGET)
        shutil.copytree(fresh, TARGET)
        print(f"regenerated generated/{PACKAGE} from spec/{spec.name} ({len(stale)} files changed)")
    if moved_from is not None:
        print(
            f"Moved from API version {moved_from} to {args.version}. Next: `hubspot-commprefs spec-diff "
            f"THEIRS` against HubSpot's definition of {args.version}, decide each difference and edit the spec "
            "(docs/spec-and-new-versions.md), then bump __version__ in wrapper/hubspot_commprefs/_version.py "
            f"and add a CHANGELOG.md entry saying the release speaks API version {args.version}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
