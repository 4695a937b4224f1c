"""One attempt's I/O: send a request and read its answer within the attempt's deadline and size cap
(``send`` for ``httpx.Client``, ``asend`` for ``httpx.AsyncClient``); failures become typed errors."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import httpx

from hubspot_commprefs._errors import (
    APIError,
    APITimeoutError,
    ResponseTooLargeError,
)
from hubspot_commprefs.client._responses import (
    closed_error,
    hook_error,
    request_line,
    transport_error,
    unexpected,
)
from hubspot_commprefs.client._transport import (
    ACCEPT_ENCODING,
    BadEncodingError,
    BodyTooLargeError,
    DeadlinePassedError,
    UnsupportedEncodingError,
    aread_body,
    deadline,
    read_body,
)

if TYPE_CHECKING:
    from hubspot_commprefs.client._base import BaseClient


_READING_ERRORS = (
    BodyTooLargeError,
    UnsupportedEncodingError,
    BadEncodingError,
    DeadlinePassedError,
    httpx.HTTPError,
)


def _reading_error(
    client: BaseClient,
    response: httpx.Response,
    request: httpx.Request,
    error: Exception,
    seconds: float | None,
) -> APIError:
    """The typed error for a failure while the body of ``response`` was read (see ``_transport``)."""
    if isinstance(error, BodyTooLargeError):
        limit = client.max_response_bytes
        return ResponseTooLargeError(
            f"HTTP {response.status_code} with a body over the client's limit of {limit:,} bytes "
            f"(max_response_bytes): reading stopped after {error.read:,} bytes "
            f"(Content-Encoding: {response.headers.get('content-encoding', 'none')})",
            status_code=response.status_code,
            headers=response.headers,
            limit=limit,
        )
    if isinstance(error, UnsupportedEncodingError):
        return unexpected(
            response,
            f"HTTP {response.status_code} with Content-Encoding {str(error)!r}, which the client did not ask "
            f"for (it accepts {ACCEPT_ENCODING})",
        )
    if isinstance(error, BadEncodingError):
        return unexpected(
            response, f"HTTP {response.status_code} with a body that cannot be decoded ({error})"
        )
    if isinstance(error, DeadlinePassedError):
        return APITimeoutError(
            f"no complete answer in time from {request_line(request)}: the attempt's limit of {seconds:g} s passed"
        )
    if isinstance(error, httpx.HTTPError):
        return transport_error(error, request)
    raise error


def _keep(response: httpx.Response, content: bytes) -> None:
    # httpx keeps a body read through ``read()`` in ``_content``; this one was read and decoded here, with
    # the bounds of ``_transport``, so that ``response.content`` and ``response.text`` still work.
    response._content = content  # noqa: SLF001


def _already_read(response: httpx.Response, limit: int) -> bytes | None:
    """The body when an event hook of the caller's client read it already (httpx decoded it, unbounded)."""
    if not response.is_stream_consumed:
        return None
    content = response.content
    if len(content) > limit:
        raise BodyTooLargeError(len(content))
    return content


def send(client: BaseClient, http: httpx.Client, request: httpx.Request) -> httpx.Response:
    """Send ``request`` and read the answer within the attempt's deadline and size cap, or raise a typed
    error (``client`` names the error of a closed client). Redirects are never followed, whatever the
    caller's client says."""
    if http.is_closed:
        raise closed_error(client)
    seconds = client.attempt_seconds(http, request)
    with deadline(seconds) as at:
        try:
            response = http.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPStatusError as exc:
            with contextlib.suppress(httpx.HTTPError, httpx.StreamError, RuntimeError):
                exc.response.read()
                if client.recorder is not None:  # an answer, which the caller's own hook raised for
                    client.recorder.record_response(request, exc.response)
            raise hook_error(exc) from exc
        except httpx.HTTPError as exc:
            raise transport_error(exc, request) from exc
        except RuntimeError:
            if http.is_closed:  # closed by another thread meanwhile
                raise closed_error(client) from None
            raise
        try:
            content = _already_read(response, client.max_response_bytes)
            if content is None:
                _keep(response, read_body(response, client.max_response_bytes, at))
        except _READING_ERRORS as exc:
            raise _reading_error(client, response, request, exc, seconds) from exc
        finally:
            response.close()
    if client.recorder is not None:  # the body as received, decoded: after the reading above
        client.recorder.record_response(request, response)
    return response


async def asend(client: BaseClient, http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """``send`` for an ``httpx.AsyncClient``; the deadline also bounds the whole attempt (``anyio``)."""
    if http.is_closed:
        raise closed_error(client)
    import anyio  # noqa: PLC0415 - httpx's own dependency, loaded on the first async call

    seconds = client.attempt_seconds(http, request)
    with deadline(seconds) as at:
        try:
            with anyio.fail_after(seconds):
                response = await _asend_and_read(client, http, request, at, seconds)
        except TimeoutError as exc:  # anyio's: the attempt's deadline passed
            raise APITimeoutError(
                f"no answer in time from {request_line(request)}: the attempt's limit of {seconds:g} s passed"
            ) from exc
    if client.recorder is not None:  # the body as received, decoded: after the reading above
        client.recorder.record_response(request, response)
    return response


async def _asend_and_read(
    client: BaseClient,
    http: httpx.AsyncClient,
    request: httpx.Request,
    at: float | None,
    seconds: float | None,
) -> httpx.Response:
    try:
        response = await http.send(request, stream=True, follow_redirects=False)
    except httpx.HTTPStatusError as exc:
        with contextlib.suppress(httpx.HTTPError, httpx.StreamError, RuntimeError):
            await exc.response.aread()
            if client.recorder is not None:  # an answer, which the caller's own hook raised for
                client.recorder.record_response(request, exc.response)
        raise hook_error(exc) from exc
    except httpx.HTTPError as exc:
        raise transport_error(exc, request) from exc
    except RuntimeError:
        if http.is_closed:
            raise closed_error(client) from None
        raise
    try:
        content = _already_read(response, client.max_response_bytes)
        if content is None:
            _keep(response, await aread_body(response, client.max_response_bytes, at))
    except _READING_ERRORS as exc:
        raise _reading_error(client, response, request, exc, seconds) from exc
    finally:
        await response.aclose()
    return response
