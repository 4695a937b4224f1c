"""What the harness tests share: the ``prism`` fixture (the installed Prism, or a skip; a failure under CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.prism_helpers import PRISM


@pytest.fixture(scope="module")
def prism() -> str:
    if not Path(PRISM).is_file():
        message = f"Prism is not installed at {PRISM} (scripts/test installs it with npm)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return PRISM
