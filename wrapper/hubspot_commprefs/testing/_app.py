"""The fake server's Starlette app: both endpoints of the spec, HubSpot's errors, rate limit and faults.

Order of checks, as HubSpot answers: the path (404), the method (405), the token (401, or 403 without the
scope), the rate limit (429), the query (400), then the answer (200), with any configured faults applied.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound, request_response

from hubspot_commprefs._faults import Fault, apply_drift
from hubspot_commprefs.openapi import SpecEndpoints, endpoints, query_parameters
from hubspot_commprefs.testing import _bodies
from hubspot_commprefs.testing._data import DEFAULT_BUSINESS_UNIT_ID, Dataset
from hubspot_commprefs.testing._network_faults import NetworkFaultSettings, network_answer
from hubspot_commprefs.testing._rate_limit import RateLimit, RateLimitEnforcer

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.datastructures import URLPath
    from starlette.requests import Request
    from starlette.types import Receive, Scope, Send

    from hubspot_commprefs.openapi import Endpoint
    from hubspot_commprefs.testing._replay import Replay

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
READ_SCOPES = frozenset(_bodies.SCOPES)
JSON_MEDIA_TYPE = "application/json;charset=utf-8"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """What the fake server saw: method, raw path and raw query (no headers, so never a token)."""

    method: str
    path: str
    query: str


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
    limiter: RateLimitEnforcer = field(init=False)
    answered: int = 0
    replay: Replay | None = None  # recorded answers, served before the seeded data (see _replay.py)
    replay_strict: bool = False  # with replay: a request not recorded gets a 404, not the seeded data

    def __post_init__(self) -> None:
        self.limiter = RateLimitEnforcer(self.rate_limit)


class _JSON(JSONResponse):
    media_type = JSON_MEDIA_TYPE


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def _query(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    return values[0] if values else None


def _validate(request: Request, *, with_verbose: bool) -> tuple[int, bool] | Response:
    """(businessUnitId, verbose) from the query, or HubSpot's 400 answer naming the bad parameter (what
    each may be comes from its schema in the spec, checked as the spec's schemas are everywhere)."""
    parameters = query_parameters()
    channel = _query(request, "channel")
    if channel is None or not parameters["channel"].compiled.is_valid(channel):
        allowed = f"one of [{', '.join(parameters['channel'].enum)}]"
        return _JSON(_bodies.invalid_parameter("channel", channel, allowed, "INVALID_ENUM_VALUE"), 400)
    raw_unit = _query(request, "businessUnitId")
    business_unit_id = DEFAULT_BUSINESS_UNIT_ID
    if raw_unit is not None:
        unit = parameters["businessUnitId"]
        try:
            business_unit_id = int(raw_unit, 10)
        except ValueError:
            business_unit_id = -1
        if not raw_unit.lstrip("-").isdigit() or not unit.compiled.is_valid(business_unit_id):
            expected = f"an {unit.format or 'integer'} integer"
            return _JSON(
                _bodies.invalid_parameter("businessUnitId", raw_unit, expected, "INVALID_INTEGER"), 400
            )
    verbose = False
    raw_verbose = _query(request, "verbose") if with_verbose else None
    if raw_verbose is not None:
        if raw_verbose.lower() not in {"true", "false"}:
            return _JSON(
                _bodies.invalid_parameter("verbose", raw_verbose, "true or false", "INVALID_BOOLEAN"), 400
            )
        verbose = raw_verbose.lower() == "true"
    return business_unit_id, verbose


def _faulty(state: ServerState, body: dict[str, Any], headers: dict[str, str]) -> Response:
    faults = state.faults
    with state.lock:
        state.answered += 1
        hit = state.answered % state.fault_every == 0
    if not faults or not hit:
        return _JSON(body, 200, headers)
    sent_badly = network_answer(faults, state.network, _JSON(body, 200, headers))
    if sent_badly is not None:
        return sent_badly
    if Fault.SERVER_ERROR in faults:
        return _JSON(_bodies.server_error(), 500, headers)
    if Fault.HTML_ERROR in faults:
        return HTMLResponse(_bodies.HTML_ERROR_PAGE, 502, headers)
    body = apply_drift(body, faults)
    if Fault.WRONG_CONTENT_TYPE in faults:
        import json

        return Response(json.dumps(body), 200, headers, media_type="text/plain")
    return _JSON(body, 202 if Fault.UNDOCUMENTED_STATUS in faults else 200, headers)


def _route(state: ServerState, raw_path: str) -> tuple[Endpoint, dict[str, str]] | None:
    for endpoint in state.spec_endpoints:
        match = endpoint.match(raw_path)
        if match is not None:
            return endpoint, match
    return None


def _authorize(state: ServerState, request: Request) -> Response | dict[str, str]:
    """HubSpot's 405, 401, 403 or 429 answer, or the rate-limit headers of an allowed request."""
    if request.method != "GET":
        return _JSON(_bodies.method_not_allowed(request.method), 405, {"Allow": "GET"})
    token = _bearer(request)
    scopes = state.tokens.get(token) if token is not None else None
    if token is None or scopes is None:
        return _JSON(_bodies.unauthenticated(), 401)
    if not scopes & READ_SCOPES:
        return _JSON(_bodies.missing_scopes(), 403)
    decision = state.limiter.acquire(token)
    if not decision.allowed:
        return _JSON(_bodies.rate_limited(decision.policy or "TEN_SECONDLY_ROLLING"), 429, decision.headers)
    return decision.headers


async def _replayed(state: ServerState, request: Request, raw_path: str) -> Response | None:
    """The recorded answer to this request, HubSpot's 404 under ``replay_strict``, else None."""
    assert state.replay is not None
    answer = state.replay.answer_for(request.method, raw_path, request.url.query)
    if answer is None:
        if state.replay_strict:
            return _JSON(
                _bodies.error(
                    "OBJECT_NOT_FOUND",
                    "This request was not recorded: the fake server replays a recording, strictly.",
                ),
                404,
            )
        return None
    if state.latency > 0:
        await asyncio.sleep(state.latency)
    replayed = Response(answer.body, answer.status)
    for name, value in answer.headers:
        replayed.raw_headers.append((name.encode("latin-1"), value.encode("latin-1")))
    return replayed


class _EveryRequest(BaseRoute):
    """Takes every HTTP request, whatever bytes its path holds and whatever its method.

    A Starlette ``Route("/{path:path}")`` misses a path with a newline (``a%0Ab%40example.com``: its
    ``.*`` stops at one) and answers a method outside its list itself; both answers are Starlette's
    text/plain, never HubSpot's JSON. Here the handler sees everything and answers JSON.
    """

    def __init__(self, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self.app = request_response(endpoint)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return (Match.FULL, {}) if scope["type"] == "http" else (Match.NONE, {})

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def build_app(state: ServerState) -> Starlette:
    """A Starlette app serving ``state``; every route is matched against the spec's path templates."""

    async def handle(request: Request) -> Response:
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?", 1)[0]
        with state.lock:
            state.requests.append(RecordedRequest(request.method, raw_path, request.url.query))
        route = _route(state, raw_path)
        if route is None:
            return _JSON(_bodies.not_found(), 404)
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
        if isinstance(query, Response):
            query.headers.update(headers)
            return query
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
        return _faulty(state, body, headers)

    return Starlette(routes=[_EveryRequest(handle)])
