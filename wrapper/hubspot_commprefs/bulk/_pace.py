"""How many rows a bulk run works on at once: ``concurrency`` is a ceiling, not a target.

More rows in flight help only while the lookups wait for the network. Once they keep the interpreter busy,
another thread adds only the cost of taking turns at it (Python runs one thread at a time: about 1.5 times
the CPU per row at 10 threads against a server that answers at once), and another asyncio task only the
event loop's bookkeeping of one more connection (about 1.3 times), never speed. Both drivers
(``ThreadedBulkLookup``, ``BulkLookup``) ask ``Pace`` how many rows they may have in hand.

Written here rather than taken from a library: adaptive concurrency limiters (Netflix's
concurrency-limits and its ports) steer by latency, which answers "is the server queueing?", not "is this
interpreter the bottleneck?", the question that matters for a client whose server is rate limited anyway.
"""

from __future__ import annotations

__all__ = ["Pace"]


class Pace:
    """How many rows the workers take on at once, between 1 and ``ceiling``, from how busy they keep the
    interpreter: the CPU time of the rows that finished in the last ``interval`` seconds or more, over
    that wall time (the share of one core they used).

    Under ``TARGET`` the workers mostly wait for the network: as many more as would bring the share up to
    it (a thread that uses a tenth of the core leaves room for about nine more), at least one more. Over
    ``BUSY`` they only take turns at the interpreter: one fewer. In between, as many as now. When no row
    finishes for a whole interval while some are in flight (``waiting``, asked by the driver's timer), they
    wait: twice as many. A pure object: the caller passes the clock readings.
    """

    TARGET = 0.5
    """The share of one core below which more rows at once are worth a thread each."""
    BUSY = 0.9
    """The share above which a thread fewer costs no speed."""

    def __init__(self, ceiling: int, now: float, *, start: int = 1, interval: float = 0.1) -> None:
        self.ceiling = ceiling
        self.limit = max(1, min(start, ceiling))
        self.interval = interval
        self._since = now
        self._last = now  # when a row last finished
        self._cpu = 0.0
        self._rows = 0

    def finished(self, cpu: float, now: float) -> None:
        """A row that took ``cpu`` seconds of its thread's CPU finished at ``now``."""
        self._last = now
        self._cpu += cpu
        self._rows += 1
        wall = now - self._since
        if wall < self.interval or wall <= 0 or self._rows < 2:  # noqa: PLR2004 - a share needs two rows
            return
        busy = self._cpu / wall
        if busy > self.BUSY:
            self.limit = max(1, self.limit - 1)
        elif busy < self.TARGET:
            # The ceiling when even that many would stay under TARGET (compared, not divided: a share of
            # almost nothing would overflow the quotient).
            room = self.limit * self.TARGET
            wanted = self.ceiling if busy * self.ceiling <= room else int(room / busy)
            self.limit = min(self.ceiling, max(self.limit + 1, wanted))
        self._since, self._cpu, self._rows = now, 0.0, 0

    def waiting(self, now: float) -> bool:
        """Rows are in flight and none finished for ``interval`` seconds or more: they wait (a slow answer,
        a backoff), they do not work, so twice as many (up to the ceiling). Returns whether it grew."""
        if now - max(self._since, self._last) < self.interval or self.limit >= self.ceiling:
            return False
        self.limit = min(self.ceiling, self.limit * 2)
        self._since, self._cpu, self._rows = now, 0.0, 0
        return True
