"""Run the fake server: uvicorn in a background thread, on 127.0.0.1 and a free port by default.

uvicorn lets a slowloris client hold a connection for ever, so ``HeadDeadlineProtocol`` closes one whose
request head is not in within ``HEAD_TIMEOUT`` seconds, and beyond ``connection_limit()`` (a quarter of the
file descriptors: asyncio accepts a backlog per turn, and running out starves it) closes the one that has
waited longest for a head.
"""

from __future__ import annotations

import math
import resource
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Self

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from hubspot_commprefs import _faults
from hubspot_commprefs._faults import Fault, parse_faults
from hubspot_commprefs._tokens import DEFAULT_TOKEN, DEFAULT_TOKEN_WITHOUT_SCOPE
from hubspot_commprefs.testing._app import RateLimit, ServerState, build_app, logging_requests
from hubspot_commprefs.testing._bodies import SCOPES
from hubspot_commprefs.testing._data import Dataset, default_dataset
from hubspot_commprefs.testing._network_faults import NetworkFaultSettings
from hubspot_commprefs.testing._replay import Replay, load_replay

if TYPE_CHECKING:
    import asyncio
    import os
    from collections.abc import Callable, Iterable, Mapping
    from types import TracebackType

    from starlette.types import ASGIApp

    from hubspot_commprefs.conformance import ConformanceOptions
    from hubspot_commprefs.testing._app import RecordedRequest

DEFAULT_HOST = "127.0.0.1"
STARTUP_TIMEOUT = 15.0
UNKNOWN_CONTACT = "nobody@example.com"
PACE_MARGIN = 0.9  # of the rate limit's pace: requests may arrive closer than they left
SHUTDOWN_TIMEOUT = 10.0
MAX_PORT = 65535
HEAD_TIMEOUT = 10.0  # seconds to send a request's head (its line and headers)
MAX_CONNECTIONS = 1000


def connection_limit() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return MAX_CONNECTIONS if soft == resource.RLIM_INFINITY else max(1, min(MAX_CONNECTIONS, soft // 4))


def accept_backlog() -> int:
    """The listening socket's backlog, also how many connections asyncio accepts in one turn."""
    return max(1, connection_limit() // 2)


class HeadDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline on each request's head and a bound on open connections."""

    deadline: asyncio.TimerHandle | None = None
    waiting_since = 0.0  # the loop's time when the connection began to wait for a head

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_head()
        if len(self.connections) > connection_limit():
            waiting = [
                c for c in self.connections if isinstance(c, HeadDeadlineProtocol) and c.waits_for_head()
            ]
            # Closed as uvicorn closes an idle connection: no answer, as no request was read.
            min(waiting, key=lambda c: c.waiting_since, default=self).transport.close()

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
        return self.conn.their_state is h11.IDLE and not self.transport.is_closing()

    def _wait_for_head(self) -> None:
        self.waiting_since = self.loop.time()
        self.deadline = self.loop.call_later(HEAD_TIMEOUT, self._head_too_slow)

    def _head_too_slow(self) -> None:
        self.deadline = None
        if self.waits_for_head():
            self.transport.close()

    def _cancel_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None


class FakeServerError(RuntimeError):
    """The fake server could not start (the port is taken, or it did not come up in time)."""


def one_of_each_kind(dataset: Dataset) -> list[str]:
    """A contact of each kind in ``dataset`` (by its wide opt-outs), and an address it does not know."""
    kinds: dict[str, str] = {}
    for contact in dataset.contacts:
        kind = ",".join(sorted({o.wide_status_type for o in contact.opt_outs})) or "none"
        kinds.setdefault(kind, contact.email)
    unknown = UNKNOWN_CONTACT
    while dataset.contact(unknown) is not None:
        unknown = "x" + unknown
    return [*kinds.values(), unknown]


class FakeHubSpot:
    """A fake HubSpot Communication Preferences API over real HTTP, driven by the spec.

    ``token`` has the read scope, ``token_without_scope`` gets 403, any other 401 (``tokens``: token ->
    scopes). ``faults`` hit every ``fault_every``-th answer that would be a 200, which ``latency`` delays.
    ``replay`` (a recording's directory, or a :class:`Replay`) answers what it recorded, after the token
    check and the rate limit; anything else from ``dataset`` (a 404 under ``replay_strict``).
    ``request_log`` gets one line per request (never a header, an accepted token redacted).
    """

    def __init__(
        self,
        *,
        dataset: Dataset | None = None,
        tokens: Mapping[str, Iterable[str]] | None = None,
        faults: Iterable[Fault | str] = (),
        fault_every: int = 1,
        latency: float = 0.0,
        trickle_interval: float = _faults.DEFAULT_TRICKLE_INTERVAL,
        bomb_size: int = _faults.DEFAULT_BOMB_SIZE,
        oversized_body_size: int = _faults.DEFAULT_OVERSIZED_BODY_SIZE,
        rate_limit: RateLimit | None = None,
        host: str = DEFAULT_HOST,
        port: int = 0,
        replay: str | os.PathLike[str] | Replay | None = None,
        replay_strict: bool = False,
        replay_allow_drift: bool = False,
        request_log: Callable[[str], object] | None = None,
    ) -> None:
        if tokens is None:
            tokens = {DEFAULT_TOKEN: (SCOPES[0],), DEFAULT_TOKEN_WITHOUT_SCOPE: ()}
        if rate_limit is not None and not isinstance(rate_limit, RateLimit):
            raise TypeError(
                f"rate_limit must be a RateLimit (e.g. RateLimit(max_requests=100)), not {type(rate_limit).__name__}"
            )
        if fault_every < 1:
            raise ValueError("fault_every must be at least 1")
        if not 0 <= latency < math.inf:
            raise ValueError(f"latency must be a number of seconds, 0 or more, not {latency!r}")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= MAX_PORT:
            raise ValueError(f"port must be an int from 0 to {MAX_PORT} (0: a free one), not {port!r}")
        if replay is None and (replay_strict or replay_allow_drift):
            raise ValueError("replay_strict and replay_allow_drift apply only with replay=DIR")
        if replay is not None and not isinstance(replay, Replay):
            replay = load_replay(replay, allow_drift=replay_allow_drift)
        self.state = ServerState(
            dataset=dataset if dataset is not None else default_dataset(),
            tokens={token: frozenset(scopes) for token, scopes in tokens.items()},
            rate_limit=rate_limit or RateLimit(),
            faults=parse_faults(faults),
            fault_every=fault_every,
            latency=latency,
            replay=replay,
            replay_strict=replay_strict,
            network=NetworkFaultSettings(trickle_interval, bomb_size, oversized_body_size),
        )
        self.request_log = request_log
        self.host = host
        self._port = port
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.base_url if self._socket is not None else "not running"
        return f"<FakeHubSpot {where} faults={[f.value for f in self.state.faults]}>"

    @property
    def replay(self) -> Replay | None:
        """The recording being replayed (its answers, and the lines left out), or None."""
        return self.state.replay

    @property
    def token(self) -> str:
        """A token the server accepts, with the read scope."""
        return next(t for t, scopes in self.state.tokens.items() if scopes & set(SCOPES))

    @property
    def token_without_scope(self) -> str | None:
        return next((t for t, scopes in self.state.tokens.items() if not scopes & set(SCOPES)), None)

    @property
    def port(self) -> int:
        if self._socket is None:
            raise FakeServerError("the fake server is not running")
        return int(self._socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request the server has seen (method, path, query), oldest first."""
        with self.state.lock:
            return list(self.state.requests)

    def conformance_options(self, **overrides: Any) -> ConformanceOptions:
        """Options to run the conformance suite against this running server, as fast as its rate limit
        allows: a contact of each kind, every business unit; ``overrides``: any other option."""
        from hubspot_commprefs.conformance import DEFAULT_MAX_REQUESTS, UNGUARDED_PROBES, ConformanceOptions

        limit = self.state.rate_limit
        within_limit = min(limit.max_requests, limit.daily) - UNGUARDED_PROBES
        settings: dict[str, Any] = {
            "base_url": self.base_url,
            "token": self.token,
            "subscribers": one_of_each_kind(self.state.dataset),
            "business_unit_ids": [None, *(u.id for u in self.state.dataset.business_units if u.id != 0)],
            "target_label": "the bundled fake server",
            "max_requests": max(1, min(DEFAULT_MAX_REQUESTS, within_limit)),
            **overrides,
        }
        if "rate" not in overrides:
            fits = settings["max_requests"] + UNGUARDED_PROBES <= limit.max_requests
            settings["rate"] = None if fits else PACE_MARGIN * limit.max_requests * 1000 / limit.interval_ms
        return ConformanceOptions(**settings)

    def configure(
        self,
        *,
        faults: Iterable[Fault | str] | None = None,
        fault_every: int | None = None,
        latency: float | None = None,
        trickle_interval: float | None = None,
        bomb_size: int | None = None,
        oversized_body_size: int | None = None,
    ) -> None:
        """Change faults, their frequency, the latency or the network faults' settings while the server runs."""
        now = self.state.network
        network = NetworkFaultSettings(  # a ValueError names a bad one
            now.trickle_interval if trickle_interval is None else trickle_interval,
            now.bomb_size if bomb_size is None else bomb_size,
            now.oversized_body_size if oversized_body_size is None else oversized_body_size,
        )
        with self.state.lock:
            self.state.network = network
            if faults is not None:
                self.state.faults = parse_faults(faults)
            if fault_every is not None:
                self.state.fault_every = max(1, fault_every)
            if latency is not None:
                self.state.latency = max(0.0, latency)

    def bind(self) -> socket.socket:
        """Bind and listen (the port is known, and connections wait in the backlog, before serving)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._port))
            sock.listen(accept_backlog())
        except OSError as exc:
            sock.close()
            raise FakeServerError(f"cannot listen on {self.host}:{self._port}: {exc.strerror}") from None
        self._socket = sock
        return sock

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (what ``hubspot-commprefs mock-server`` does)."""
        sock = self._socket or self.bind()
        app: ASGIApp = build_app(self.state)
        if self.request_log is not None:
            app = logging_requests(app, self.request_log, lambda: list(self.state.tokens))
        config = uvicorn.Config(
            app,
            http=HeadDeadlineProtocol,
            backlog=accept_backlog(),
            lifespan="off",
            log_level="error",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        try:
            self._server.run(sockets=[sock])
        finally:
            sock.close()
            self._socket = None

    def start(self) -> Self:
        """Serve in a background thread; returns once the server accepts connections."""
        if self._thread is not None:
            raise FakeServerError("the fake server is already running")
        self.bind()
        self._thread = threading.Thread(target=self.serve_forever, name="fake-hubspot", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while self._server is None or not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise FakeServerError("the fake server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and release the port (safe to call twice)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(SHUTDOWN_TIMEOUT)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
