"""Helpers the bulk tests (and the command line's) share: a clock that moves only when someone sleeps,
and every line break Python's ``str.splitlines`` knows."""

from __future__ import annotations

import asyncio

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
