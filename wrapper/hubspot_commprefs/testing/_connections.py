"""How the fake server holds its connections: a deadline for each request's head, and a bound on how many.

uvicorn 0.54 has neither. Its ``timeout_keep_alive`` starts only once an answer is sent, so a connection
whose request head never ends (slowloris: a few bytes, then nothing, or a byte now and then) is held for
ever; h11's ``max_incomplete_event_size`` bounds the bytes of a head, not its time; and
``limit_concurrency`` answers 503 to every new request once that many connections are open, slow ones
included, which turns the clients away instead of the slow connections. With a few hundred such
connections the process runs out of file descriptors and every new request waits until they go.

``HeadDeadlineProtocol`` is uvicorn's own h11 protocol with two rules added, the leanest way to have them
(an ASGI app never sees a request before its head is complete, so no middleware can):

- A request's head must be complete within ``HEAD_TIMEOUT`` seconds: of the connection's opening, or of
  the first byte of a next request on a kept-alive connection (the idle time before that byte is
  uvicorn's keep-alive timeout). Bytes trickling in do not restart the clock. Else the connection is
  closed.
- At most ``connection_limit()`` connections are open: ``MAX_CONNECTIONS``, or a quarter of the process's
  soft limit of file descriptors when that is lower. A connection beyond it closes the open connection
  that has waited longest for a request's head (a slowloris one, or an idle kept-alive one), never one
  being answered; when every other one is being answered, the new one is closed.

Why a quarter, and why ``accept_backlog()``: asyncio accepts up to ``backlog`` connections in one turn of
its loop, and each reaches the protocol (where it is counted) two turns later, so up to a few times
``backlog`` descriptors are in use beyond the bound. Running out of them must never happen: Python 3.11's
asyncio then schedules a retry for every failed ``accept`` of the turn, and the retries fail again, a storm
that keeps the loop from serving anyone. Half the bound as the backlog keeps the whole within three
quarters of the limit. The price, under a low limit only: a short listen queue (32 under ``ulimit -n
256``), so a burst of new connections beyond it waits for the kernel to send their SYN again (1 s).
"""

from __future__ import annotations

import resource
from typing import TYPE_CHECKING

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    import asyncio

HEAD_TIMEOUT = 10.0
"""Seconds a client has to send a request's head (its line and headers), however it trickles them."""
MAX_CONNECTIONS = 1000


def connection_limit() -> int:
    """How many connections the fake server keeps open at most (see the module's docstring)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return MAX_CONNECTIONS if soft == resource.RLIM_INFINITY else max(1, min(MAX_CONNECTIONS, soft // 4))


def accept_backlog() -> int:
    """The listening socket's backlog, which is also how many connections asyncio accepts in one turn."""
    return max(1, connection_limit() // 2)


class HeadDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline on each request's head and a bound on open connections."""

    deadline: asyncio.TimerHandle | None = None
    waiting_since = 0.0
    """When the connection began to wait for the head it is waiting for (the loop's clock)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_head()
        if len(self.connections) > connection_limit():
            waiting = [
                c for c in self.connections if isinstance(c, HeadDeadlineProtocol) and c.waits_for_head()
            ]
            min(waiting, key=lambda c: c.waiting_since, default=self).close_connection()

    def data_received(self, data: bytes) -> None:
        if self.deadline is None and self.waits_for_head():  # the first byte of a next request
            self._wait_for_head()
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.deadline is not None and not self.waits_for_head():  # the head is in (or was refused)
            self._cancel_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def waits_for_head(self) -> bool:
        """Whether the connection is open and waiting for (the rest of) a request's head."""
        return self.conn.their_state is h11.IDLE and not self.transport.is_closing()

    def close_connection(self) -> None:
        """Close the connection, as uvicorn closes an idle one (no answer: no request was read)."""
        self._cancel_deadline()
        if not self.transport.is_closing():
            self.transport.close()

    def _wait_for_head(self) -> None:
        self.waiting_since = self.loop.time()
        self.deadline = self.loop.call_later(HEAD_TIMEOUT, self._head_too_slow)

    def _head_too_slow(self) -> None:
        self.deadline = None
        if self.waits_for_head():
            self.close_connection()

    def _cancel_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
