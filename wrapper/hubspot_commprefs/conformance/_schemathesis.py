"""The suite's schemathesis run and how it sends. Every request passes the ``RequestGuard``: GET only, a
bounded total, a steady pace, and the run stops after a handful of requests in a row got nothing back.
Every answer is read within its request's timeout in all and ``MAX_ANSWER_BYTES`` once decoded, with the
client's own bounded reading. schemathesis runs its examples, coverage and fuzzing phases over the spec's
GET operations, each to its end whatever it finds (one finding must not hide the rest). Live-safety: no
undeclared methods in the coverage phase (HubSpot has write endpoints at these paths), no stateful phase,
no shrinking, no database or cache.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import hypothesis.configuration
import requests
import schemathesis
from schemathesis import engine
from schemathesis.core.transport import response_content_type
from schemathesis.engine import events
from schemathesis.transport.requests import REQUESTS_TRANSPORT, SameHostRedirectsSession

from hubspot_commprefs.client import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BadEncodingError,
    BodyTooLargeError,
    DeadlinePassedError,
    UnsupportedEncodingError,
    read_chunks,
)
from hubspot_commprefs.conformance._checks import Exchange, Finding, Kind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from hubspot_commprefs.client import Recorder
    from hubspot_commprefs.conformance._runner import ConformanceOptions

MAX_ANSWER_BYTES = DEFAULT_MAX_RESPONSE_BYTES  # the largest decoded answer the suite reads: the client's
UNREADABLE = (BodyTooLargeError, UnsupportedEncodingError, BadEncodingError)  # the client's signals
DEFAULT_MAX_UNANSWERED = 5  # requests in a row without an answer after which a run stops
_CHUNK = 64 * 1024
_run_lock = threading.Lock()


def unreadable(error: Exception) -> str:
    """Why an answer was not read, from one of the ``UNREADABLE`` signals: too large, or not decodable."""
    if isinstance(error, BodyTooLargeError):
        return (
            f"an answer over the suite's limit of {MAX_ANSWER_BYTES:,} bytes (stopped after {error.read:,})"
        )
    if isinstance(error, UnsupportedEncodingError):
        return f"an answer in Content-Encoding {error}, which the suite did not ask for"
    return f"an answer that cannot be decoded ({error})"


class UnsafeRequestError(RuntimeError):
    """The suite was about to send something other than GET: refused before it left."""


class RequestBudgetExhaustedError(RuntimeError):
    """The run reached its maximum number of requests: refused before it left."""


class ServerNotAnsweringError(RuntimeError):
    """The server did not answer the last requests (refused, reset, timed out): the run stops sending."""


class RequestGuard:
    """Admits GET requests, at most ``max_requests`` in all, at most ``rate`` per second (None: no pacing);
    ``on_admit`` is called after each admitted request's turn came (a run's progress display)."""

    def __init__(
        self,
        *,
        max_requests: int,
        rate: float | None,
        on_admit: Callable[[], None] | None = None,
    ) -> None:
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if rate is not None and rate <= 0:
            raise ValueError("the rate must be more than 0 requests per second")
        self.max_requests = max_requests
        self.rate = rate
        self.on_admit = on_admit
        self.sent = 0
        self.sent_by_phase: Counter[str] = Counter()
        self.phase: str | None = None  # of the last request admitted that named one
        self.refused = 0
        self.unanswered_in_a_row = 0
        self.no_answer: str | None = None  # why the run stopped: the server did not answer
        self._next_at = 0.0
        self._lock = threading.Lock()

    @property
    def exhausted(self) -> bool:
        return self.sent >= self.max_requests

    def answered(self) -> None:
        """The last request got an answer (any status)."""
        with self._lock:
            self.unanswered_in_a_row = 0

    def unanswered(self, problem: str) -> None:
        """The last request got no answer (``problem`` says why); enough in a row stop the run."""
        with self._lock:
            self.unanswered_in_a_row += 1
            if self.no_answer is None and self.unanswered_in_a_row >= DEFAULT_MAX_UNANSWERED:
                self.no_answer = (
                    f"{self.unanswered_in_a_row} requests in a row got no answer (last: {problem})"
                )

    def admit(self, method: str, *, phase: str = "other") -> None:
        """Wait for this request's turn (counted under ``phase``); raises instead when it must not be sent."""
        method = method.upper()
        with self._lock:
            if self.no_answer is not None:  # not counted as refused: the budget is not why
                raise ServerNotAnsweringError(f"the server did not answer: {self.no_answer}")
            if method != "GET":
                self.refused += 1
                raise UnsafeRequestError(f"refused to send {method}: the suite sends GET requests only")
            if self.exhausted:
                self.refused += 1
                raise RequestBudgetExhaustedError(
                    f"the run's budget of {self.max_requests} requests is spent"
                )
            self.sent += 1
            self.sent_by_phase[phase] += 1
            if phase != "other":
                self.phase = phase
            now = time.monotonic()
            wait = max(0.0, self._next_at - now)
            if self.rate is not None:
                self._next_at = max(now, self._next_at) + 1 / self.rate
        if wait:
            time.sleep(wait)
        if self.on_admit is not None:
            self.on_admit()


@contextlib.contextmanager
def hypothesis_home() -> Iterator[Path | None]:
    """Point hypothesis at ``$XDG_CACHE_HOME/hubspot-commprefs/hypothesis`` (else under ``~/.cache``) for the
    ``with`` block, so that only the first run builds its Unicode tables (2.2 s of CPU, 200 MiB); a scratch
    directory if that cannot be written. ``HYPOTHESIS_STORAGE_DIRECTORY``, when set, rules."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield None
        return
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = cache / "hubspot-commprefs" / "hypothesis"
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(OSError):
            path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            path = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hubspot-commprefs-")))
        hypothesis.configuration.set_hypothesis_home_dir(path)
        try:
            yield path
        finally:
            hypothesis.configuration.set_hypothesis_home_dir(None)  # back to the default


def _read_within_limits(response: requests.Response, timeout: Any) -> requests.Response:
    """Read a streamed answer's body within the bounds, or raise the ``requests`` error that says why not: a
    ``ReadTimeout`` (the guard counts no answer), or a ``ContentDecodingError`` (an error of that request)."""
    seconds = max(timeout) if isinstance(timeout, tuple) else timeout
    at = time.monotonic() + float(seconds) if isinstance(seconds, int | float) else None
    chunks = iter(functools.partial(response.raw.read1, _CHUNK, decode_content=False), b"")
    try:
        # requests keeps a read body here; schemathesis reads it from ``response.content``.
        response._content = read_chunks(chunks, response.headers, MAX_ANSWER_BYTES, at)
    except DeadlinePassedError:
        # Shaped as urllib3's own, which schemathesis reads the timeout back from.
        reason = f"Read timed out: the answer was not complete in time (read timeout={timeout})"
        raise requests.exceptions.ReadTimeout(Exception(reason), request=response.request) from None
    except UNREADABLE as error:
        raise requests.exceptions.ContentDecodingError(unreadable(error), request=response.request) from None
    finally:
        response.close()
    response._content_consumed = True
    return response


def no_answer_text(exc: BaseException) -> str:
    """``ConnectTimeout``, ``ConnectionError: connection refused``: what kind of no answer, briefly."""
    text = str(exc).lower()
    for reason in ("connection refused", "connection reset", "name or service not known", "timed out"):
        if reason in text:
            return f"{type(exc).__name__}: {reason}"
    return type(exc).__name__


@contextlib.contextmanager
def patched_schemathesis(guard: RequestGuard, recorder: Recorder | None, token: str) -> Iterator[None]:
    """For the ``with`` block (runs are serialised): every request schemathesis sends through its transport
    (test cases, and the extra requests of checks such as ignored_auth) passes ``guard``, its answer goes to
    ``recorder``; and every body its sessions read (its start-up probes' too) is read within the bounds.
    schemathesis is pinned to 4.32: a test fails if its session class moves."""
    send, session_send = REQUESTS_TRANSPORT.send, SameHostRedirectsSession.send

    def guarded_send(case: Any, **kwargs: Any) -> Any:
        meta = getattr(case, "meta", None)
        guard.admit(case.method, phase=str(meta.phase.name) if meta is not None else "other")
        try:
            response = send(case, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            guard.unanswered(no_answer_text(exc))
            raise
        guard.answered()
        if recorder is not None:
            request = response.request
            path, _, query = str(request.path_url).partition("?")
            recorder.record(
                method=str(request.method),
                path=path,
                query=query,
                with_token=(request.headers.get("Authorization") or "").strip() == f"Bearer {token}",
                status=response.status_code,
                headers=[(name, value) for name, values in response.headers.items() for value in values],
                body=response.content or b"",
                secret=token,
            )
        return response

    def bounded_send(
        session: requests.Session, request: requests.PreparedRequest, **options: Any
    ) -> requests.Response:
        response = session_send(session, request, **{**options, "stream": True})
        if response._content_consumed:  # the target of a redirect, read by this same function
            return response
        return _read_within_limits(response, options.get("timeout"))

    with _run_lock:
        REQUESTS_TRANSPORT.send = guarded_send  # type: ignore[method-assign]
        SameHostRedirectsSession.send = bounded_send  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            del REQUESTS_TRANSPORT.send, SameHostRedirectsSession.send


def _scenario(event: events.ScenarioFinished, on_exchange: Callable[[Exchange, list[Finding]], None]) -> None:
    """Each exchange of a scenario (an operation in a phase), with schemathesis' findings on it."""
    recorder = event.recorder
    endpoint = recorder.label.split(" ", 1)[-1]  # "GET /path"
    for case_id, interaction in recorder.interactions.items():
        request, response = interaction.request, interaction.response
        status, content_type, body = 0, None, b""
        if response is not None:
            status, content_type = response.status_code, response_content_type(response)
            body = response.content or b""
        authorized = any(name.lower() == "authorization" for name in request.headers)
        exchange = Exchange(
            endpoint, request.method, request.uri, status, content_type, body, event.phase.value, authorized
        )
        findings = []
        for check in recorder.checks.get(case_id, []):
            if check.failure_info is None:
                continue
            failure = check.failure_info.failure
            message = (failure.message.strip().splitlines() or [""])[0]
            actual = f"{failure.title}. {message}".strip()
            findings.append(Finding(Kind.SCHEMATHESIS, endpoint, "", check.name, actual, exchange))
        on_exchange(exchange, findings)


def _error_text(event: events.NonFatalError | events.FatalError) -> str:
    if isinstance(event, events.FatalError):  # what went wrong, not the event's own repr
        return f"{type(event.exception).__name__}: {event.exception}"
    return f"{event.info.title}: {event.info.message or event.value}".strip()


def run_schemathesis(
    spec: dict[str, Any],
    options: ConformanceOptions,
    guard: RequestGuard,
    recorder: Recorder | None,
    on_exchange: Callable[[Exchange, list[Finding]], None],
) -> list[str]:
    """Run the three phases against ``options.base_url``: each exchange, with schemathesis' findings, goes to
    ``on_exchange`` as its scenario ends; returns schemathesis' errors."""
    parts = urlsplit(options.base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"not an http(s) base URL: {options.base_url!r}")
    config = schemathesis.Config.from_dict(
        {
            "seed": options.seed,
            "continue-on-failure": True,
            "cache": {"enabled": False},
            "generation": {"database": "none", "no-shrink": True},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True, "unexpected-methods": []},
                "fuzzing": {"enabled": True, "generation": {"max-examples": options.max_examples}},
                "stateful": {"enabled": False},
            },
            "checks": {
                "unsupported_method": {"enabled": False},
                # The suite's own checks say these (_checks.py), once, with HubSpot's error-body leniency.
                "content_type_conformance": {"enabled": False},
                "not_a_server_error": {"enabled": False},
                "response_schema_conformance": {"enabled": False},
                "status_code_conformance": {"enabled": False},
                "negative_data_rejection": {"expected-statuses": ["4xx", "5xx"]},
            },
            "request-timeout": options.timeout,
            "headers": {"Authorization": f"Bearer {options.token}"},
        }
    )
    loaded = schemathesis.openapi.from_dict(spec, config=config)
    loaded.config.update(base_url=options.base_url.rstrip("/"))
    errors = []
    with hypothesis_home(), patched_schemathesis(guard, recorder, options.token):
        stream = engine.from_schema(loaded.include(method="GET")).execute()
        for event in stream:
            if isinstance(event, events.ScenarioFinished):
                _scenario(event, on_exchange)
            elif isinstance(event, (events.NonFatalError, events.FatalError)):
                errors.append(_error_text(event))
            if guard.exhausted or guard.no_answer is not None:
                stream.stop()
    return errors
