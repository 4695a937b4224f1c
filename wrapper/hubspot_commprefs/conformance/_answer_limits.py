"""Limits on what the suite reads: each answer within its request timeout in all, and within
``MAX_ANSWER_BYTES`` once decoded, whatever the server dribbles or inflates.

The suite's requests leave through two clients, schemathesis' (``requests``) and the targeted cases'
(``httpx``), which bound each read but not the whole answer. Both read the raw body with the client's own
limited reading (``client.read_chunks``: decoded layer by layer, capped, the clock checked between reads):

- for schemathesis, ``limit_schemathesis_reads`` replaces, for the duration of a run, the private
  function of ``schemathesis.transport.requests`` that sends one request and reads its body (``_request``),
  and wraps the sessions of ``schemathesis.engine.context.make_session`` (its start-up probes read their
  answers through them); schemathesis is pinned to 4.32, and a test fails if either moves. A deadline that
  passes is a ``requests`` ``ReadTimeout`` (the run's guard counts it as no answer); an answer over the
  limit, or one that cannot be decoded, a ``ContentDecodingError`` naming the limit (an error of that
  request);
- for the targeted cases, ``read_within_limits`` does the same for an ``httpx`` answer.
"""

from __future__ import annotations

import contextlib
import functools
import time
from typing import TYPE_CHECKING, Any

import requests
from schemathesis.engine import context as schemathesis_context
from schemathesis.transport import requests as schemathesis_requests

from hubspot_commprefs.client import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BadEncodingError,
    BodyTooLargeError,
    DeadlinePassedError,
    UnsupportedEncodingError,
    read_body,
    read_chunks,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx

MAX_ANSWER_BYTES = DEFAULT_MAX_RESPONSE_BYTES
"""The largest decoded answer the suite reads (the client's own limit: 10 MiB)."""

_CHUNK = 64 * 1024


class AnswerTooLargeError(Exception):
    """An answer over ``MAX_ANSWER_BYTES`` once decoded, or one whose encoding cannot be decoded."""


class AnswerTooSlowError(Exception):
    """An answer not complete within the request timeout."""


def _problem(error: Exception) -> str:
    if isinstance(error, BodyTooLargeError):
        return (
            f"an answer over the suite's limit of {MAX_ANSWER_BYTES:,} bytes (stopped after {error.read:,})"
        )
    if isinstance(error, UnsupportedEncodingError):
        return f"an answer in Content-Encoding {error}, which the suite did not ask for"
    return f"an answer that cannot be decoded ({error})"


def _deadline(timeout: Any) -> float | None:
    seconds = max(timeout) if isinstance(timeout, tuple) else timeout
    return time.monotonic() + float(seconds) if isinstance(seconds, int | float) else None


def _read_within_limits(response: requests.Response, timeout: Any) -> requests.Response:
    """Read the body of a streamed ``requests`` answer within the limits above, or raise the ``requests``
    exception that says why not."""
    chunks = iter(functools.partial(response.raw.read1, _CHUNK, decode_content=False), b"")
    try:
        content = read_chunks(chunks, response.headers, MAX_ANSWER_BYTES, _deadline(timeout))
    except DeadlinePassedError:
        response.close()
        # Shaped as urllib3's own, which schemathesis reads the timeout back from.
        reason = f"Read timed out: the answer was not complete in time (read timeout={timeout})"
        raise requests.exceptions.ReadTimeout(Exception(reason), request=response.request) from None
    except (BodyTooLargeError, UnsupportedEncodingError, BadEncodingError) as error:
        response.close()
        raise requests.exceptions.ContentDecodingError(_problem(error), request=response.request) from None
    # requests keeps a read body here; schemathesis reads it from ``response.content``.
    response._content = content
    response._content_consumed = True
    response.close()
    return response


def _request_within_limits(
    session: requests.Session,
    data: dict[str, Any],
    max_stream_events: int,  # noqa: ARG001 - schemathesis' signature; event streams are not in the spec
) -> requests.Response:
    """schemathesis' ``_request`` (one test case's request), reading the body within the limits above."""
    return _read_within_limits(session.request(**{**data, "stream": True}), data.get("timeout"))


def _sessions_within_limits(make_session: Any) -> Any:
    """schemathesis' ``make_session``, whose sessions read every answer not streamed by the caller (its
    start-up probes) within the limits above."""

    def make(*args: Any, **kwargs: Any) -> requests.Session:
        session: requests.Session = make_session(*args, **kwargs)
        send = session.send

        def send_within_limits(request: requests.PreparedRequest, **options: Any) -> requests.Response:
            if options.get("stream"):
                return send(request, **options)
            return _read_within_limits(send(request, **{**options, "stream": True}), options.get("timeout"))

        session.send = send_within_limits  # type: ignore[method-assign]
        return session

    return make


@contextlib.contextmanager
def limit_schemathesis_reads() -> Iterator[None]:
    """Make schemathesis read every answer within the limits above while the ``with`` block runs (the caller
    holds the lock that serialises runs)."""
    original_request = schemathesis_requests._request
    original_sessions = schemathesis_context.make_session
    schemathesis_requests._request = _request_within_limits
    schemathesis_context.make_session = _sessions_within_limits(original_sessions)
    try:
        yield
    finally:
        schemathesis_requests._request = original_request
        schemathesis_context.make_session = original_sessions


def read_within_limits(response: httpx.Response, timeout: float) -> bytes:
    """The decoded body of a streamed ``httpx`` answer, within ``timeout`` in all and ``MAX_ANSWER_BYTES``;
    raises ``AnswerTooSlowError`` or ``AnswerTooLargeError``."""
    try:
        return read_body(response, MAX_ANSWER_BYTES, time.monotonic() + timeout)
    except DeadlinePassedError:
        raise AnswerTooSlowError from None
    except (BodyTooLargeError, UnsupportedEncodingError, BadEncodingError) as error:
        raise AnswerTooLargeError(_problem(error)) from None
