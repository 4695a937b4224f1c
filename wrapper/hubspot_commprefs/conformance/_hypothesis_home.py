"""Where hypothesis keeps what it computes once per machine while the suite runs.

Hypothesis builds its Unicode tables the first time it generates text (2.2 s of CPU and 200 MiB of peak
memory) and caches them under its storage directory. The suite points it at a persistent per-user cache,
``$XDG_CACHE_HOME/hubspot-commprefs/hypothesis`` (else ``~/.cache/...``), so that only the first run pays; it
keeps no example database there (see ``_schemathesis_run``), so nothing of the server's answers is written.
Where that directory cannot be created or written, a scratch directory is used;
``HYPOTHESIS_STORAGE_DIRECTORY``, when set, is left to rule.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

CACHE_NAME = "hubspot-commprefs"


def cache_directory() -> Path | None:
    """The persistent per-user directory for hypothesis' tables, created if missing; None if unusable."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / CACHE_NAME / "hypothesis"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None


@contextlib.contextmanager
def hypothesis_home() -> Iterator[Path | None]:
    """Point hypothesis at the persistent cache (or a scratch directory) for the ``with`` block."""
    import hypothesis.configuration

    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield None
        return
    with contextlib.ExitStack() as stack:
        path = cache_directory()
        if path is None:
            path = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hubspot-commprefs-")))
        hypothesis.configuration.set_hypothesis_home_dir(path)
        try:
            yield path
        finally:
            hypothesis.configuration.set_hypothesis_home_dir(None)  # back to the default
