"""The optional ``harness`` extra (the fake server and the conformance suite): whether it is installed, and
the one sentence that says how to install it when it is not, instead of a ``ModuleNotFoundError`` from deep
inside starlette's or schemathesis' import."""

from __future__ import annotations

import importlib.util

HARNESS_MODULES = ("starlette", "uvicorn", "schemathesis", "jsonschema", "yaml")
"""What the harness extra brings that the client itself does not need."""

INSTALL_HINT = (
    'install the harness extra: pip install "hubspot-commprefs[harness]" '
    '(from a checkout: pip install -e ".[harness]")'
)


class MissingExtraError(ModuleNotFoundError):
    """A part of the package that needs the ``harness`` extra was used without it."""


def missing_harness_modules() -> list[str]:
    """The modules of the harness extra that cannot be imported here."""
    missing = []
    for name in HARNESS_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def harness_problem(what: str) -> str | None:
    """Why ``what`` cannot run here (the extra is missing), or None."""
    missing = missing_harness_modules()
    if not missing:
        return None
    return f"{what} needs the harness extra, which is not installed (missing: {', '.join(missing)}): {INSTALL_HINT}"


def require_harness(what: str) -> None:
    """Raise ``MissingExtraError`` naming the extra when ``what`` cannot run here."""
    problem = harness_problem(what)
    if problem is not None:
        raise MissingExtraError(problem, name=missing_harness_modules()[0])
