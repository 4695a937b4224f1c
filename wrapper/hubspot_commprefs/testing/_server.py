"""Run the fake server: uvicorn in a background thread, on 127.0.0.1 and a free port by default.

with FakeHubSpot() as server:
    client = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.token}"})
"""

from __future__ import annotations

import math
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Self

import uvicorn

from hubspot_commprefs._faults import (
    DEFAULT_BOMB_SIZE,
    DEFAULT_OVERSIZED_BODY_SIZE,
    DEFAULT_TRICKLE_INTERVAL,
    Fault,
    parse_faults,
)
from hubspot_commprefs._tokens import DEFAULT_TOKEN, DEFAULT_TOKEN_WITHOUT_SCOPE
from hubspot_commprefs.testing._app import ALL_METHODS, RecordedRequest, ServerState, build_app
from hubspot_commprefs.testing._bodies import SCOPES
from hubspot_commprefs.testing._connections import HeadDeadlineProtocol, accept_backlog
from hubspot_commprefs.testing._data import Dataset, default_dataset
from hubspot_commprefs.testing._network_faults import NetworkFaultSettings, exposing_transport
from hubspot_commprefs.testing._rate_limit import RateLimit
from hubspot_commprefs.testing._replay import Replay, load_replay
from hubspot_commprefs.testing._request_log import logging_requests

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable, Mapping
    from types import TracebackType

    from starlette.applications import Starlette
    from starlette.types import ASGIApp

    from hubspot_commprefs.conformance import ConformanceOptions

DEFAULT_HOST = "127.0.0.1"
STARTUP_TIMEOUT = 15.0
UNKNOWN_CONTACT = "nobody@example.com"
PACE_MARGIN = 0.9
SHUTDOWN_TIMEOUT = 10.0
MAX_PORT = 65535

__all__ = ["ALL_METHODS", "FakeHubSpot", "FakeServerError"]


class FakeServerError(RuntimeError):
    """The fake server could not start (the port is taken, or it did not come up in time)."""


def _faults(faults: Iterable[Fault | str]) -> tuple[Fault, ...]:
    return parse_faults([f.value if isinstance(f, Fault) else f for f in faults])


def one_of_each_kind(dataset: Dataset) -> list[str]:
    """Contacts of every kind the dataset holds (not opted out, opted out portal-wide, opted out of one
    business unit), and an address it does not know."""
    kinds: dict[str, str] = {}
    for contact in dataset.contacts:
        kind = ",".join(sorted({o.wide_status_type for o in contact.opt_outs})) or "none"
        kinds.setdefault(kind, contact.email)
    chosen = list(kinds.values())
    unknown = UNKNOWN_CONTACT
    while dataset.contact(unknown) is not None:
        unknown = "x" + unknown
    return [*chosen, unknown]


class FakeHubSpot:
    """A fake HubSpot Communication Preferences API over real HTTP, driven by the spec.

    ``token`` is accepted with the read scope and ``token_without_scope`` is answered 403; any other token
    401. ``tokens`` replaces both (token -> its scopes). ``faults`` (names or :class:`Fault`) apply to every
    ``fault_every``-th answer that would be a 200; ``latency`` (seconds) delays those answers. The network
    faults take their pace and sizes from ``trickle_interval`` (seconds between two bytes of a trickled
    body), ``bomb_size`` (bytes a gzip bomb decodes to) and ``oversized_body_size`` (bytes of an oversized
    body).

    ``replay`` (a directory recorded with ``record_to=`` / ``--record``, or a loaded :class:`Replay`) answers
    each recorded request with its recorded answer, after the token check and the rate limit; anything else
    from ``dataset``, or with a 404 under ``replay_strict``. A recording whose answers the spec does not
    allow is refused (``ReplayDriftError``, listing each) unless ``replay_allow_drift``, and one holding
    answers HTTP does not let it send as recorded always is (``ReplayError``); see ``_replay.py``.
    Faults do not apply to recorded answers.

    Each connection must send a request's head within a deadline, and open connections are bounded, the one
    that waited longest for its head closed first (slowloris cannot hold the server); see ``_connections.py``.

    ``request_log`` is called with one line per request once its answer is over: method, path with query,
    status and duration (never a header, and any accepted token redacted); see ``_request_log.py``.
    """

    def __init__(
        self,
        *,
        dataset: Dataset | None = None,
        tokens: Mapping[str, Iterable[str]] | None = None,
        faults: Iterable[Fault | str] = (),
        fault_every: int = 1,
        latency: float = 0.0,
        trickle_interval: float = DEFAULT_TRICKLE_INTERVAL,
        bomb_size: int = DEFAULT_BOMB_SIZE,
        oversized_body_size: int = DEFAULT_OVERSIZED_BODY_SIZE,
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
            faults=_faults(faults),
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
    def app(self) -> Starlette:
        """The ASGI app, for in-process use without a socket."""
        return build_app(self.state)

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
        port: int = self._socket.getsockname()[1]
        return port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request the server has seen (method, path, query), oldest first."""
        with self.state.lock:
            return list(self.state.requests)

    def conformance_options(self, **overrides: Any) -> ConformanceOptions:
        """Options to run the conformance suite against this (running) server, as fast as is safe.

        Its URL and token, a contact of each kind its data holds plus an unknown one, every business unit,
        and no pacing: the budget is capped below the server's rate limit so that no answer is a 429 (pass
        a larger ``max_requests`` and the run is paced to stay under the limit instead). This counts on the
        server's window being empty, as on a fresh server (the pytest fixture's). ``overrides`` are
        any other :class:`~hubspot_commprefs.conformance.ConformanceOptions` fields. Needs the
        ``harness`` extra, as the suite does.
        """
        from hubspot_commprefs.conformance import (
            DEFAULT_MAX_REQUESTS,
            UNGUARDED_PROBES,
            ConformanceOptions,
        )

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
            # Under the limit's own pace, with a margin for requests that arrive closer than they left.
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
        settings = NetworkFaultSettings(  # a ValueError names a bad one
            now.trickle_interval if trickle_interval is None else trickle_interval,
            now.bomb_size if bomb_size is None else bomb_size,
            now.oversized_body_size if oversized_body_size is None else oversized_body_size,
        )
        with self.state.lock:
            self.state.network = settings
            if faults is not None:
                self.state.faults = _faults(faults)
            if fault_every is not None:
                self.state.fault_every = max(1, fault_every)
            if latency is not None:
                self.state.latency = max(0.0, latency)

    def bind(self) -> socket.socket:
        """Bind the listening socket and listen (so that the port is known, and connections wait in the
        backlog rather than being refused, before serving)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self._port))
            sock.listen(accept_backlog())
        except OSError as exc:
            sock.close()
            raise FakeServerError(f"cannot listen on {self.host}:{self._port}: {exc.strerror}") from None
        self._socket = sock
        return sock

    def _asgi_app(self) -> ASGIApp:
        app: ASGIApp = build_app(self.state)
        if self.request_log is not None:
            app = logging_requests(app, self.request_log, secrets=lambda: list(self.state.tokens))
        return exposing_transport(app)  # for the connection-reset fault

    def _uvicorn(self) -> uvicorn.Server:
        config = uvicorn.Config(
            self._asgi_app(),
            http=HeadDeadlineProtocol,  # a deadline on each request's head, a bound on connections
            backlog=accept_backlog(),
            lifespan="off",
            log_level="error",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        return self._server

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (what ``hubspot-commprefs mock-server`` does)."""
        sock = self._socket or self.bind()
        try:
            self._uvicorn().run(sockets=[sock])
        finally:
            sock.close()
            self._socket = None

    def start(self) -> Self:
        """Serve in a background thread; returns once the server accepts connections."""
        if self._thread is not None:
            raise FakeServerError("the fake server is already running")
        sock = self.bind()
        server = self._uvicorn()
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-hubspot", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise FakeServerError("the fake server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
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
