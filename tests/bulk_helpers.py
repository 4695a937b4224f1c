"""Helpers the bulk tests (and the command line's) share: a clock that moves only when someone sleeps,
every line break Python's ``str.splitlines`` knows, and a wait for what another thread does."""

from __future__ import annotations

import asyncio
import contextlib
import io
import signal
import time
from typing import TYPE_CHECKING, Any

from hubspot_commprefs.bulk import _io
from hubspot_commprefs.bulk._io import InputSource, iter_rows_from_ids

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from hubspot_commprefs.bulk._dedup import SeenIds
    from hubspot_commprefs.bulk._io import InputRow

LINE_BREAKS = ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


class FakeClock:
    """Time that moves only when someone sleeps; sleeping yields to the other tasks."""

    def __init__(self) -> None:
        self.moment = 0.0

    def now(self) -> float:
        return self.moment

    async def sleep(self, seconds: float) -> None:
        self.moment += seconds
        await asyncio.sleep(0)


def wait_until(condition: Callable[[], bool], *, seconds: float = 10.0) -> None:
    """Return once ``condition()`` holds (polled each millisecond); fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never came"
        time.sleep(0.001)


def rows_from_ids(ids: Iterable[object]) -> list[InputRow]:
    """The rows of ``ids`` as ``lookup_many`` numbers and marks them, as a list."""
    return list(iter_rows_from_ids(ids))


def parse_input(
    text: str, *, column: str | None = None, suffix: str = "", name: str = "input", header: bool = True
) -> list[InputRow]:
    """The rows of ``text`` as ``InputSource`` reads a file of that suffix (a CSV or one id per line)."""
    layout = _io._layout(text, column=column, suffix=suffix, name=name, header=header)
    return list(_io._numbered(_io._ids(io.StringIO(text, newline=""), layout, name)))


def read_input(source: str, **options: Any) -> list[InputRow]:
    """Every row of ``InputSource(source, **options)``, as a list."""
    with InputSource(source, **options) as reader:
        return list(reader.rows())


def table_bytes(seen: SeenIds) -> int:
    """The bytes ``SeenIds``' table holds (both arrays)."""
    return sum(len(table) * table.itemsize for table in (seen._digests, seen._rows))


@contextlib.contextmanager
def python_ctrl_c() -> Iterator[None]:
    """Python's own SIGINT handler (KeyboardInterrupt in the main thread) while the block runs; the
    handler found before is put back after."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
