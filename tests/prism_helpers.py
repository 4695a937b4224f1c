"""Prism, the spec-driven mock and validating proxy the harness tests run against: where it is installed
(scripts/test puts it in .tools/prism) and how to start it on a free port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.processes import started
from tests.spec_helpers import ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator

PRISM = os.environ.get("HUBSPOT_COMMPREFS_PRISM") or str(ROOT / ".tools/prism/node_modules/.bin/prism")
STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def running_prism(prism: str, *args: str) -> Iterator[str]:
    """``prism <args> -h 127.0.0.1 -p PORT``; yields its base URL once it answers, stops it afterwards."""
    port = free_port()
    command = [prism, *args, "-h", "127.0.0.1", "-p", str(port)]
    base_url = f"http://127.0.0.1:{port}"
    with (
        tempfile.TemporaryFile("w+") as errors,
        started(command, stdout=subprocess.DEVNULL, stderr=errors) as process,
    ):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                httpx.get(base_url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    pytest.fail(f"prism did not start: {' '.join(command)}\n{errors.read()[-2000:]}")
                time.sleep(0.2)
        yield base_url
