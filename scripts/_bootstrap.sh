# Sourced by the scripts in this folder. Makes sure .venv exists (any Python >= 3.11 will do) and holds
# this project, installed in editable mode with its dev extra, reinstalling when pyproject.toml changes.
# Sets ROOT and VENV, and puts the virtual environment first on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HUBSPOT_COMMPREFS_VENV:-$ROOT/.venv}"

_hc_python() {
    for candidate in python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "scripts: Python 3.11 or newer is needed and was not found on PATH" >&2
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    echo "scripts: creating a virtual environment in .venv" >&2
    "$(_hc_python)" -m venv "$VENV"
fi
_hc_stamp="$("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$ROOT/pyproject.toml")"
if [ "$(cat "$VENV/.hubspot-commprefs-installed" 2>/dev/null)" != "$_hc_stamp" ]; then
    echo "scripts: installing hubspot-commprefs and its dev tools into .venv (once per pyproject.toml change)" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[dev]" >&2
    echo "$_hc_stamp" >"$VENV/.hubspot-commprefs-installed"
fi
export PATH="$VENV/bin:$PATH"
unset _hc_stamp

# Prism (@stoplight/prism-cli), an independent spec-driven mock and validating proxy that the tests run the
# conformance suite against. Installed with npm, pinned, into the git-ignored .tools/prism, once per version;
# only scripts/test calls this. Without npm (or the registry) it says so and the tests that need Prism skip
# (under CI they fail instead). HUBSPOT_COMMPREFS_PRISM points the tests at the binary.
PRISM_VERSION="5.16.0"
_hc_prism() {
    local dir="$ROOT/.tools/prism"
    local bin="$dir/node_modules/.bin/prism"
    local installed
    installed="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$dir/node_modules/@stoplight/prism-cli/package.json" 2>/dev/null | head -n 1 || true)"
    if [ "$installed" != "$PRISM_VERSION" ] || [ ! -x "$bin" ]; then
        if ! command -v npm >/dev/null 2>&1; then
            echo "scripts: npm not found: the tests that need Prism will be skipped" >&2
            return 0
        fi
        echo "scripts: installing Prism $PRISM_VERSION into .tools/prism (once per version)" >&2
        mkdir -p "$dir"
        if ! npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
            "@stoplight/prism-cli@$PRISM_VERSION" >"$dir/npm-install.log" 2>&1; then
            tail -n 5 "$dir/npm-install.log" >&2
            echo "scripts: Prism could not be installed (log: .tools/prism/npm-install.log): the tests that need it will be skipped" >&2
            return 0
        fi
    fi
    export HUBSPOT_COMMPREFS_PRISM="$bin"
}
