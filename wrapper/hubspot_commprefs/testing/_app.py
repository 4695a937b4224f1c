"""The fake server's Starlette app: both endpoints of the spec, HubSpot's errors, rate limit and faults,
checked in HubSpot's order: path (404), method (405), token (401, 403 without the scope), rate limit (429),
query (400), then the answer (200); and ``logging_requests``, its request log."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import request_response

from hubspot_commprefs._faults import Fault, apply_drift
from hubspot_commprefs.openapi import SpecEndpoints, endpoints, query_parameters
from hubspot_commprefs.testing import _bodies
from hubspot_commprefs.testing._data import DEFAULT_BUSINESS_UNIT_ID, Dataset
from hubspot_commprefs.testing._network_faults import NetworkFaultSettings, network_answer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from hubspot_commprefs.testing._replay import Replay

READ_SCOPES = frozenset(_bodies.SCOPES)
JSON_MEDIA_TYPE = "application/json;charset=utf-8"
REDACTED = "[redacted]"
MIN_SCRUBBED_TOKEN = 4  # shorter "tokens" would redact ordinary letters of every path


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """What the fake server saw: method, raw path and raw query (no headers, so never a token)."""

    method: str
    path: str
    query: str


@dataclass(frozen=True, slots=True)
class RateLimit:
    """HubSpot's rate limit per token (one app each): ``max_requests`` per rolling ``interval_ms``
    milliseconds, and ``daily`` per day. The defaults are HubSpot's Professional / Enterprise tier."""

    max_requests: int = 190
    interval_ms: int = 10_000
    daily: int = 625_000

    def __post_init__(self) -> None:
        for name in ("max_requests", "interval_ms", "daily"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


@dataclass(slots=True)
class ServerState:
    """Everything the app reads on each request; the server object changes it between tests."""

    dataset: Dataset
    tokens: dict[str, frozenset[str]]
    rate_limit: RateLimit
    faults: tuple[Fault, ...] = ()
    fault_every: int = 1
    latency: float = 0.0
    network: NetworkFaultSettings = field(default_factory=NetworkFaultSettings)
    spec_endpoints: SpecEndpoints = field(default_factory=endpoints)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    answered: int = 0
    replay: Replay | None = None  # recorded answers, served before the seeded data (see _replay.py)
    replay_strict: bool = False  # with replay: a request not recorded gets a 404, not the seeded data
    windows: dict[str, deque[float]] = field(default_factory=dict)  # per token: its requests in the window
    used_today: dict[str, int] = field(default_factory=dict)


class _JSON(JSONResponse):
    media_type = JSON_MEDIA_TYPE


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def _query(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    return values[0] if values else None


def _validate(request: Request, *, with_verbose: bool) -> tuple[int, bool] | dict[str, Any]:
    """(businessUnitId, verbose) from the query (as the spec's schemas allow), or HubSpot's 400 body."""
    parameters = query_parameters()
    channel = _query(request, "channel")
    if channel is None or not parameters["channel"].compiled.is_valid(channel):
        allowed = f"one of [{', '.join(parameters['channel'].enum)}]"
        return _bodies.invalid_parameter("channel", channel, allowed, "INVALID_ENUM_VALUE")
    raw_unit = _query(request, "businessUnitId")
    business_unit_id = DEFAULT_BUSINESS_UNIT_ID
    if raw_unit is not None:
        unit = parameters["businessUnitId"]
        digits = raw_unit.removeprefix("-")
        parsed = int(raw_unit) if digits.isascii() and digits.isdigit() else None
        if parsed is None or not unit.compiled.is_valid(parsed):
            expected = f"an {unit.format or 'integer'} integer"
            return _bodies.invalid_parameter("businessUnitId", raw_unit, expected, "INVALID_INTEGER")
        business_unit_id = parsed
    raw_verbose = _query(request, "verbose") if with_verbose else None
    if raw_verbose is not None and raw_verbose.lower() not in {"true", "false"}:
        return _bodies.invalid_parameter("verbose", raw_verbose, "true or false", "INVALID_BOOLEAN")
    return business_unit_id, raw_verbose is not None and raw_verbose.lower() == "true"


async def _faulty(state: ServerState, body: dict[str, Any], headers: dict[str, str]) -> Response:
    faults = state.faults
    with state.lock:
        state.answered += 1
        hit = state.answered % state.fault_every == 0
    if not faults or not hit:
        return _JSON(body, 200, headers)
    sent_badly = await network_answer(faults, state.network, _JSON(body, 200, headers))
    if sent_badly is not None:
        return sent_badly
    if Fault.SERVER_ERROR in faults:
        why = "An internal error occurred (a fault the fake server was told to inject)."
        return _JSON(_bodies.error("INTERNAL_ERROR", why), 500, headers)
    if Fault.HTML_ERROR in faults:
        return HTMLResponse(_bodies.HTML_ERROR_PAGE, 502, headers)
    body = apply_drift(body, faults)
    if Fault.WRONG_CONTENT_TYPE in faults:
        return Response(json.dumps(body), 200, headers, media_type="text/plain")
    return _JSON(body, 202 if Fault.UNDOCUMENTED_STATUS in faults else 200, headers)


def _rate_limit_headers(state: ServerState, token: str) -> tuple[dict[str, str], str | None]:
    """HubSpot's rate-limit headers, and the policy that refuses this request (None: it is counted)."""
    limit = state.rate_limit
    now = time.monotonic()
    with state.lock:
        window = state.windows.setdefault(token, deque())
        while window and window[0] <= now - limit.interval_ms / 1000:
            window.popleft()
        used_today = state.used_today.get(token, 0)
        refused_by = "DAILY" if used_today >= limit.daily else None
        if refused_by is None and len(window) >= limit.max_requests:
            refused_by = "TEN_SECONDLY_ROLLING"
        if refused_by is None:
            window.append(now)
            used_today = state.used_today[token] = used_today + 1
        headers = {
            "X-HubSpot-RateLimit-Max": str(limit.max_requests),
            "X-HubSpot-RateLimit-Remaining": str(max(0, limit.max_requests - len(window))),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(limit.interval_ms),
            "X-HubSpot-RateLimit-Daily": str(limit.daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, limit.daily - used_today)),
        }
    return headers, refused_by


def _authorize(state: ServerState, request: Request) -> Response | dict[str, str]:
    """HubSpot's 405, 401, 403 or 429 answer, or the rate-limit headers of an allowed request."""
    if request.method != "GET":
        why = f"{request.method} is not supported here; this fake server answers GET only."
        return _JSON(_bodies.error("METHOD_NOT_ALLOWED", why), 405, {"Allow": "GET"})
    token = _bearer(request)
    scopes = state.tokens.get(token) if token is not None else None
    if token is None or scopes is None:
        return _JSON(_bodies.unauthenticated(), 401)
    if not scopes & READ_SCOPES:
        return _JSON(_bodies.missing_scopes(), 403)
    headers, refused_by = _rate_limit_headers(state, token)
    if refused_by is not None:
        return _JSON(_bodies.rate_limited(refused_by), 429, headers)
    return headers


async def _replayed(state: ServerState, request: Request, raw_path: str) -> Response | None:
    """The recorded answer to this request, HubSpot's 404 under ``replay_strict``, else None."""
    assert state.replay is not None
    answer = state.replay.answer_for(request.method, raw_path, request.url.query)
    if answer is None:
        if state.replay_strict:
            why = "This request was not recorded: the fake server replays a recording, strictly."
            return _JSON(_bodies.error("OBJECT_NOT_FOUND", why), 404)
        return None
    if state.latency > 0:
        await asyncio.sleep(state.latency)
    replayed = Response(answer.body, answer.status)
    replayed.raw_headers += [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers
    ]
    return replayed


def build_app(state: ServerState) -> Starlette:
    """A Starlette app serving ``state``; every route is matched against the spec's path templates."""

    async def handle(request: Request) -> Response:
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?", 1)[0]
        with state.lock:
            state.requests.append(RecordedRequest(request.method, raw_path, request.url.query))
        route = next(((e, m) for e in state.spec_endpoints if (m := e.match(raw_path)) is not None), None)
        if route is None:
            why = "No route matches this path. Check the path and the API version."
            return _JSON(_bodies.error("OBJECT_NOT_FOUND", why), 404)
        endpoint, match = route
        headers = _authorize(state, request)
        if isinstance(headers, Response):
            return headers
        if state.replay is not None:
            replayed = await _replayed(state, request, raw_path)
            if replayed is not None:
                return replayed
        is_wide = endpoint is state.spec_endpoints.unsubscribe_all
        query = _validate(request, with_verbose=is_wide)
        if isinstance(query, dict):
            return _JSON(query, 400, headers)
        business_unit_id, verbose = query
        subscriber = unquote(match["subscriberIdString"])
        if state.latency > 0:
            await asyncio.sleep(state.latency)
        if state.dataset.business_unit(business_unit_id) is None:
            body = _bodies.unknown_business_unit(business_unit_id)
        elif is_wide:
            body = _bodies.unsubscribe_all(state.dataset, subscriber, business_unit_id, verbose=verbose)
        else:
            body = _bodies.statuses(state.dataset, subscriber, business_unit_id)
        return await _faulty(state, body, headers)

    app = Starlette()
    # Every request, as the router's default: a Route's ``.*`` misses a path with a newline, and a Route
    # answers a method outside its list itself, both in text/plain where HubSpot answers JSON.
    app.router.default = request_response(handle)
    return app


def _printable(text: str) -> str:
    """``text`` with what is not printable escaped, so that a path cannot write to the terminal."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def logging_requests(
    app: ASGIApp, write: Callable[[str], object], secrets: Callable[[], Iterable[str]]
) -> ASGIApp:
    """``app``, calling ``write`` with one line per request once its answer is over (or broken off): method,
    path and query (the tokens of ``secrets()`` redacted; never a header), status (``-``: none) and time."""

    async def logged(scope: Scope, receive: Receive, send: Send) -> None:  # HTTP only: lifespan is off
        started = time.perf_counter()
        status: int | None = None
        finished = False

        async def sending(message: Message) -> None:
            nonlocal status, finished
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            milliseconds = (time.perf_counter() - started) * 1000
            raw: Any = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
            query = scope.get("query_string", b"").decode("latin-1")
            target = raw.decode("latin-1").split("?", 1)[0] + (f"?{query}" if query else "")
            for secret in secrets():
                if len(secret) >= MIN_SCRUBBED_TOKEN:
                    target = target.replace(secret, REDACTED)
            shown = "-" if status is None else str(status)
            line = f"{_printable(str(scope.get('method', '?')))} {_printable(target)} -> {shown} ({milliseconds:.1f} ms)"
            write(line + ("" if finished else " (answer cut short)"))

    return logged
