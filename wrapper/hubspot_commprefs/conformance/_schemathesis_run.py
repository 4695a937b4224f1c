"""Drive schemathesis over the spec: examples, coverage and fuzzing phases, valid and invalid inputs.

Every phase runs its whole budget whatever it finds (continue on failure: one finding must not hide the
rest). schemathesis' own status, content-type, body and server-error checks are off: the suite checks those
itself, from the same spec, with more detail and HubSpot's error-body leniency (see _checks.py), so each
problem is counted once. Invalid input may be refused with any 4xx: the spec declares 400 for a validation
error and ``default`` for any other error.

Live-safety is set here: the coverage phase's probing of undeclared methods is off (HubSpot has write
endpoints at these same paths), the stateful phase is off, shrinking is off (it would send more requests),
nothing is written to disk (no example database, no cache), and every request passes the run's
:class:`RequestGuard` at schemathesis' HTTP transport: GET only, a bounded total, a steady pace.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import schemathesis
from schemathesis import engine
from schemathesis.engine import events
from schemathesis.transport.requests import REQUESTS_TRANSPORT

from hubspot_commprefs.conformance._answer_limits import limit_schemathesis_reads
from hubspot_commprefs.conformance._findings import Exchange

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from hubspot_commprefs.client import Recorder
    from hubspot_commprefs.conformance._guard import RequestGuard

# schemathesis' checks that the suite's own checks replace (see _checks.py): switched off.
OWN_CHECKS_COVERED = frozenset(
    {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    }
)

_run_lock = threading.Lock()


def _record_answer(recorder: Recorder, response: Any, token: str) -> None:
    """Record one answer schemathesis received (``requests`` decoded its body already)."""
    request = response.request
    path, _, query = str(request.path_url).partition("?")
    authorization = request.headers.get("Authorization") or ""
    recorder.record(
        method=str(request.method),
        path=path,
        query=query,
        with_token=authorization.strip() == f"Bearer {token}",
        status=response.status_code,
        headers=[(name, value) for name, values in response.headers.items() for value in values],
        body=response.content or b"",
        secret=token,
    )


@contextlib.contextmanager
def _guarded_transport(guard: RequestGuard, recorder: Recorder | None, token: str) -> Iterator[None]:
    """Every request schemathesis sends through its HTTP transport (test cases, and the extra requests of
    checks such as ignored_auth) passes ``guard`` first, and its answer goes to ``recorder``. Runs are
    serialised: the transport is shared."""
    transport = REQUESTS_TRANSPORT
    original = transport.send

    def send(case: Any, **kwargs: Any) -> Any:
        meta = getattr(case, "meta", None)
        guard.admit(case.method, phase=str(meta.phase.name) if meta is not None else "other")
        try:
            response = original(case, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            guard.unanswered(no_answer_text(exc))
            raise
        guard.answered()
        if recorder is not None:
            _record_answer(recorder, response, token)
        return response

    with _run_lock, limit_schemathesis_reads():
        transport.send = send  # type: ignore[method-assign]
        try:
            yield
        finally:
            del transport.send


def no_answer_text(exc: BaseException) -> str:
    """``ConnectTimeout``, ``ConnectionError: connection refused``: what kind of no answer, briefly."""
    text = str(exc).lower()
    for reason in ("connection refused", "connection reset", "name or service not known", "timed out"):
        if reason in text:
            return f"{type(exc).__name__}: {reason}"
    return type(exc).__name__


@dataclass(slots=True)
class CheckVerdict:
    check: str
    title: str
    message: str


@dataclass(slots=True)
class RecordedExchange:
    exchange: Exchange
    schemathesis_failures: list[CheckVerdict] = field(default_factory=list)


@dataclass(slots=True)
class SchemathesisOutcome:
    errors: list[str] = field(default_factory=list)


def _config(*, max_examples: int, seed: int, token: str, timeout: float) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": seed,
            "continue-on-failure": True,
            "cache": {"enabled": False},
            "generation": {"database": "none", "no-shrink": True},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True, "unexpected-methods": []},
                "fuzzing": {"enabled": True, "generation": {"max-examples": max_examples}},
                "stateful": {"enabled": False},
            },
            "checks": {
                "unsupported_method": {"enabled": False},
                **{name: {"enabled": False} for name in sorted(OWN_CHECKS_COVERED)},
                "negative_data_rejection": {"expected-statuses": ["4xx", "5xx"]},
            },
            "request-timeout": timeout,
            "headers": {"Authorization": f"Bearer {token}"},
        }
    )


def _content_type(headers: dict[str, list[str]]) -> str | None:
    for name, values in headers.items():
        if name.lower() == "content-type" and values:
            return values[0]
    return None


def _exchange(label: str, interaction: Any, phase: str) -> Exchange:
    response = interaction.response
    endpoint = label.split(" ", 1)[1] if " " in label else label
    return Exchange(
        endpoint=endpoint,
        method=interaction.request.method,
        url=interaction.request.uri,
        status=response.status_code if response is not None else 0,
        content_type=_content_type(response.headers) if response is not None else None,
        body=(response.content or b"") if response is not None else b"",
        source=phase,
        authorized=any(name.lower() == "authorization" for name in interaction.request.headers),
    )


def _record(event: events.ScenarioFinished, on_exchange: Callable[[RecordedExchange], None]) -> None:
    recorder = event.recorder
    label = recorder.label
    for case_id, interaction in recorder.interactions.items():
        exchange = _exchange(label, interaction, event.phase.value)
        verdicts = [
            CheckVerdict(check.name, check.failure_info.failure.title, check.failure_info.failure.message)
            for check in recorder.checks.get(case_id, [])
            if check.failure_info is not None
        ]
        on_exchange(RecordedExchange(exchange, verdicts))


def _error_text(error: Any) -> str:
    info = getattr(error, "info", None)
    title = getattr(info, "title", None) or type(getattr(error, "value", error)).__name__
    message = getattr(info, "message", None) or str(getattr(error, "value", error))
    return f"{title}: {message}".strip()


def run_schemathesis(
    spec: dict[str, Any],
    *,
    base_url: str,
    token: str,
    guard: RequestGuard,
    max_examples: int,
    seed: int,
    timeout: float,
    on_exchange: Callable[[RecordedExchange], None],
    recorder: Recorder | None = None,
) -> SchemathesisOutcome:
    """Run the three phases against ``base_url``: each exchange, with schemathesis' verdicts, goes to
    ``on_exchange`` as its scenario (an operation in a phase) ends; returns schemathesis' errors."""
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"not an http(s) base URL: {base_url!r}")
    config = _config(max_examples=max_examples, seed=seed, token=token, timeout=timeout)
    loaded = schemathesis.openapi.from_dict(spec, config=config)
    loaded.config.update(base_url=base_url.rstrip("/"))
    # Only the spec's GET operations are ever tested.
    schema = loaded.include(method="GET")
    outcome = SchemathesisOutcome()
    with _guarded_transport(guard, recorder, token):
        stream = engine.from_schema(schema).execute()
        for event in stream:
            if isinstance(event, events.ScenarioFinished):
                _record(event, on_exchange)
            elif isinstance(event, (events.NonFatalError, events.FatalError)):
                outcome.errors.append(_error_text(event))
            if guard.exhausted or guard.no_answer is not None:
                stream.stop()
    return outcome
