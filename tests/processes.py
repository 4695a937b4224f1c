"""Child processes the tests start (``mock-server``, the command line, Prism, the docs' shell lines): each
ends with its test, on every path.

``started`` is ``subprocess.Popen`` with two differences. The child gets SIGINT's default action, so that
``send_signal(SIGINT)`` is Ctrl-C even when the suite runs with SIGINT ignored (a job started with ``&``
from a script does, and a child inherits that). And the child leads a process group of its own, killed
when the ``with`` block ends, whatever is left of it (a shell's children too), then reaped with its pipes
closed: no server outlives its test, not even one that a failed assert or a timeout left running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

REAPED_WITHIN = 30.0
"""Seconds a killed child may take to be gone: only a machine in trouble reaches it."""


@contextlib.contextmanager
def started(argv: Sequence[str], **options: Any) -> Iterator[subprocess.Popen[str]]:
    """``subprocess.Popen(argv, **options)`` (text, stdin from /dev/null unless given), ended on leaving."""
    options = {"text": True, "stdin": subprocess.DEVNULL, **options}
    # exec resets a caught signal to its default action but keeps an ignored one ignored: caught by Python
    # while the child is forked, SIGINT is at its default in the child (preexec_fn could do it too, but is
    # not safe in a process with threads, and the fake servers are threads).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(argv, process_group=0, **options)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(process.pid, signal.SIGKILL)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        process.wait(REAPED_WITHIN)


def run(argv: Sequence[str], *, timeout: float, **options: Any) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **options)``, except that a
    timeout kills the child's whole group (``subprocess.run`` kills the child only)."""
    with started(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options) as process:
        out, err = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(argv, process.returncode, out, err)
