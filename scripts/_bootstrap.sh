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
