# Sourced by the scripts in this folder. Makes sure .venv exists (any Python >= 3.11 will do) and holds
# this project in editable mode with the extra the script needs: HC_EXTRA=harness for the demo (the fake
# server and the conformance suite, nothing else), dev (the default: harness plus the test and lint tools)
# for the tests. Reinstalls when pyproject.toml changes. Installs with uv (the PyPI package, pinned below, put
# into .venv by pip: no binary is downloaded from anywhere else) because it installs the harness extra in
# about 3 s against pip's 13 s with empty caches; falls back to pip when uv cannot be had.
# Sets ROOT and VENV, and puts the virtual environment first on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HUBSPOT_COMMPREFS_VENV:-$ROOT/.venv}"
HC_EXTRA="${HC_EXTRA:-dev}"
UV_VERSION="0.13.9"

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

# pip install, printing one short line per package it collects (its whole log stays in .venv/pip.log and
# is shown when it fails).
_hc_pip() {
    local log="$VENV/pip.log"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off "$@" >"$log" 2>&1 &
    local pid=$! shown=0 line
    while kill -0 "$pid" 2>/dev/null; do
        sleep 0.5
        while IFS= read -r line; do
            line="${line#Collecting }"
            printf '  %s\n' "${line%% (from *}" >&2
        done < <(grep '^Collecting ' "$log" | tail -n +$((shown + 1)))
        shown="$(grep -c '^Collecting ' "$log" || true)"
    done
    if ! wait "$pid"; then
        tail -n 20 "$log" >&2
        echo "scripts: pip failed (its whole log: .venv/pip.log)" >&2
        return 1
    fi
}

# The path of uv, put into the git-ignored .tools/ by the pip of the Python given (once per version); fails
# when that Python has no pip or the registry cannot be reached.
_hc_uv() {
    local dir="$ROOT/.tools/uv-$UV_VERSION"
    if [ ! -x "$dir/bin/uv" ]; then
        "$1" -m pip --version >/dev/null 2>&1 || return 1
        echo "scripts: fetching uv $UV_VERSION (the installer) from PyPI with pip" >&2
        mkdir -p "$ROOT/.tools"
        "$1" -m pip install --disable-pip-version-check --progress-bar off --quiet --target "$dir" \
            "uv==$UV_VERSION" >"$ROOT/.tools/uv-pip.log" 2>&1 || return 1
    fi
    [ -x "$dir/bin/uv" ] && echo "$dir/bin/uv"
}

# Installs its arguments into .venv with uv, which prints what it resolves, downloads and installs as it
# goes; with pip when uv cannot be had.
_hc_install() {
    local uv
    if uv="$(_hc_uv "$_hc_base" || _hc_uv "$VENV/bin/python")"; then
        "$uv" pip install --python "$VENV/bin/python" "$@" && return 0
        echo "scripts: uv failed; trying pip" >&2
    else
        echo "scripts: uv could not be had (log: .tools/uv-pip.log); installing with pip" >&2
    fi
    "$VENV/bin/python" -m pip --version >/dev/null 2>&1 || "$VENV/bin/python" -m ensurepip --default-pip >/dev/null
    _hc_pip "$@"
}

export UV_PYTHON_DOWNLOADS=never
_hc_base="$(_hc_python)"
if [ ! -x "$VENV/bin/python" ]; then
    echo "scripts: creating a virtual environment in .venv" >&2
    if _hc_venv_uv="$(_hc_uv "$_hc_base")"; then
        "$_hc_venv_uv" venv --quiet --python "$_hc_base" "$VENV"
    else
        "$_hc_base" -m venv "$VENV"
    fi
    unset _hc_venv_uv
fi
_hc_stamp="$("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$ROOT/pyproject.toml")"
# dev holds everything harness does, so a dev install serves the demo too.
if [ "$(cat "$VENV/.installed-dev" 2>/dev/null)" != "$_hc_stamp" ] &&
    { [ "$HC_EXTRA" = dev ] || [ "$(cat "$VENV/.installed-$HC_EXTRA" 2>/dev/null)" != "$_hc_stamp" ]; }; then
    _hc_started=$SECONDS
    echo "scripts: installing hubspot-commprefs[$HC_EXTRA] into .venv (once per pyproject.toml change):" >&2
    _hc_install -e "$ROOT[$HC_EXTRA]"
    echo "$_hc_stamp" >"$VENV/.installed-$HC_EXTRA"
    echo "scripts: installed in $((SECONDS - _hc_started)) s" >&2
    unset _hc_started
fi
export PATH="$VENV/bin:$PATH"
unset _hc_stamp _hc_base

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
