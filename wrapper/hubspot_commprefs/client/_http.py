"""HTTP for one attempt: send a request and read its answer within the attempt's deadline and size cap
(``send`` for ``httpx.Client``, ``asend`` for ``httpx.AsyncClient``); a failure becomes a typed error.

**Deadline.** httpx's timeouts bound each read, not the exchange: a server that sends its headers and
then one byte every two seconds keeps a call with ``timeout=5`` waiting forever. Each attempt therefore
gets a deadline (``attempt_seconds``: the largest part of its timeout, so 10 s by default), enforced:

- for the HTTP clients this package creates, at every socket operation: ``bounded_http_client`` wraps the
  httpcore network backend of each of the client's transports so that every connect, read and write waits
  at most until the deadline (held in a context variable for the current thread or task), then raises
  httpcore's own timeout, which httpx turns into ``httpx.ReadTimeout`` and the client into
  ``APITimeoutError``. That reaches into two private attributes (``HTTPTransport._pool`` and the pool's
  ``_network_backend``), because httpx has no public hook for a network backend; httpx is pinned below
  0.29, and a test fails if the wrapping stops taking effect;
- for the async client, whatever its HTTP client, also by ``anyio.fail_after`` around the attempt;
- for a sync ``http_client`` the caller passed, between the reads of the body (so within the deadline plus
  one read timeout).

**Size cap.** The decoded body is capped while it is read (``max_response_bytes``, 10 MiB by default;
HubSpot's answers are a few KB). httpx would decode a whole chunk of a gzip bomb at once (a 2.5 KB body
sent with ``Content-Encoding: gzip, gzip`` expands to 1 GiB in one call), so the body is read raw and
decoded here, layer by layer, with ``zlib``'s ``max_length``: no step produces more than ``_STEP`` bytes,
and reading stops as soon as the cap is passed. The client asks for ``gzip, deflate`` only; another
encoding is an ``UnexpectedResponseError``.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
import zlib
from typing import TYPE_CHECKING, Any

import anyio
import httpcore
import httpx

from hubspot_commprefs._errors import (
    APIError,
    APITimeoutError,
    ResponseTooLargeError,
)
from hubspot_commprefs.client._results import (
    closed_error,
    hook_error,
    request_line,
    transport_error,
    unexpected,
)

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable, Iterator, Mapping

    from hubspot_commprefs.client._client import BaseClient


DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
"""The largest decoded answer the client reads (10 MiB); a larger one is a ``ResponseTooLargeError``."""

ACCEPT_ENCODING = "gzip, deflate"
"""What the client asks for: the encodings it can decode with a bound on the output."""

_STEP = 64 * 1024
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "hubspot_commprefs_deadline", default=None
)


class BodyTooLargeError(Exception):
    """Internal signal: the answer passed the cap (``read`` is how many bytes were read by then)."""

    def __init__(self, read: int) -> None:
        super().__init__(read)
        self.read = read


class UnsupportedEncodingError(Exception):
    """Internal signal: a ``Content-Encoding`` the client did not ask for and cannot decode."""


class BadEncodingError(Exception):
    """Internal signal: the body is not valid data of its ``Content-Encoding``."""


class DeadlinePassedError(Exception):
    """Internal signal: the attempt's deadline passed while the body was read."""


def attempt_seconds(timeout: Mapping[str, float | None]) -> float | None:
    """How long one attempt may take in all: the largest part of ``timeout`` (an ``httpx.Timeout``'s
    ``as_dict()``, or the dict httpx writes into a request); None when a part has no limit."""
    parts = timeout.values()
    return None if None in parts else max(part for part in parts if part is not None)


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[float | None]:
    """Set the deadline of the socket operations made in this thread or task for the ``with`` block."""
    at = None if seconds is None else time.monotonic() + seconds
    token = _DEADLINE.set(at)
    try:
        yield at
    finally:
        _DEADLINE.reset(token)


def _until_deadline(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before the deadline; ``error`` when none is left."""
    at = _DEADLINE.get()
    if at is None:
        return timeout
    remaining = at - time.monotonic()
    if remaining <= 0:
        raise error("the attempt's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _until_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _until_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(
            ssl_context, server_hostname, _until_deadline(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _until_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _until_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _wrap_backends(client: httpx.Client) -> None:
    """Wrap the network backend of every transport of ``client``."""
    for transport in [client._transport, *client._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]


def bounded_http_client() -> httpx.Client:
    """The ``httpx.Client`` a ``CommPrefs`` creates: redirects off, and every socket operation bounded by
    the attempt's deadline."""
    client = httpx.Client(follow_redirects=False)
    _wrap_backends(client)
    return client


def _check_deadline(at: float | None) -> None:
    if at is not None and time.monotonic() > at:
        raise DeadlinePassedError


class _Layer:
    """One ``Content-Encoding`` layer, decoded with a bound on each step's output."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.raw_deflate_tried = encoding != "deflate"
        self.first = True
        if encoding in {"gzip", "x-gzip"}:
            self.decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self.decoder = zlib.decompressobj()
        else:
            raise UnsupportedEncodingError(encoding)

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of ``data``, at most ``_STEP`` bytes at a time."""
        while data:
            try:
                chunk = self.decoder.decompress(data, _STEP)
            except zlib.error as error:
                if self.first and not self.raw_deflate_tried:  # deflate without its zlib wrapper
                    self.raw_deflate_tried = True
                    self.decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise BadEncodingError(f"{self.encoding}: {error}") from None
            self.first = False
            data = self.decoder.unconsumed_tail
            if chunk:
                yield chunk
            if self.decoder.eof:  # what follows the end of the stream is ignored, as httpx does
                return

    def flush(self) -> Iterator[bytes]:
        if self.decoder.eof:
            return
        while True:
            chunk = self.decoder.decompress(b"", _STEP)
            if not chunk:
                break
            yield chunk


class BoundedBody:
    """Collects a body from its raw chunks: decoded through every ``Content-Encoding`` layer, capped at
    ``limit`` decoded (and raw) bytes."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        names = [name.strip().lower() for name in (content_encoding or "").split(",")]
        self.layers = [_Layer(name) for name in reversed(names) if name and name != "identity"]
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.raw = 0

    def _through(self, index: int, data: bytes) -> None:
        if index == len(self.layers):
            self.size += len(data)
            if self.size > self.limit:
                self._release()
                raise BodyTooLargeError(self.size)
            self.chunks.append(data)
            return
        for chunk in self.layers[index].decode(data):
            self._through(index + 1, chunk)

    def _release(self) -> None:
        """Drop what was read: an error's traceback keeps this object alive (a caller may keep the error
        for its report), and it must not keep the decoded bytes with it."""
        self.chunks = []
        self.layers = []

    def feed(self, raw: bytes) -> None:
        self.raw += len(raw)
        if self.raw > self.limit:
            self._release()
            raise BodyTooLargeError(self.raw)
        self._through(0, raw)

    def finish(self) -> bytes:
        for index, layer in enumerate(self.layers):
            for chunk in layer.flush():
                self._through(index + 1, chunk)
        return b"".join(self.chunks)


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The ``Content-Length`` of an answer's ``headers`` when it is a plausible number, else None."""
    value = headers.get("content-length", "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    return int(value)


def _start(headers: Mapping[str, str], limit: int) -> BoundedBody:
    body = BoundedBody(headers.get("content-encoding"), limit)
    length = declared_length(headers)
    if length is not None and length > limit:
        raise BodyTooLargeError(length)
    return body


def read_chunks(chunks: Iterable[bytes], headers: Mapping[str, str], limit: int, at: float | None) -> bytes:
    """The body made of an answer's raw ``chunks`` (whichever HTTP library read them; ``headers`` give its
    encoding and length, looked up ignoring case): decoded, capped at ``limit`` and, between reads,
    checked against the deadline ``at``. Raises the internal signals above, or what reading raises."""
    body = _start(headers, limit)
    for raw in chunks:
        body.feed(raw)
        _check_deadline(at)
    return body.finish()


def read_body(response: httpx.Response, limit: int, at: float | None) -> bytes:
    """``read_chunks`` for a streamed ``httpx`` answer."""
    return read_chunks(response.iter_raw(), response.headers, limit, at)


async def aread_body(response: httpx.Response, limit: int, at: float | None) -> bytes:
    """``read_body`` for a response of an ``httpx.AsyncClient``."""
    body = _start(response.headers, limit)
    async for raw in response.aiter_raw():
        body.feed(raw)
        _check_deadline(at)
    return body.finish()


_READING_ERRORS = (
    BodyTooLargeError,
    UnsupportedEncodingError,
    BadEncodingError,
    DeadlinePassedError,
    httpx.HTTPError,
)


def _reading_error(
    client: BaseClient[Any],
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
    response._content = content


def _already_read(response: httpx.Response, limit: int) -> bytes | None:
    """The body when an event hook of the caller's client read it already (httpx decoded it, unbounded)."""
    if not response.is_stream_consumed:
        return None
    content = response.content
    if len(content) > limit:
        raise BodyTooLargeError(len(content))
    return content


def send(client: BaseClient[Any], http: httpx.Client, request: httpx.Request) -> httpx.Response:
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


async def asend(client: BaseClient[Any], http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """``send`` for an ``httpx.AsyncClient``; the deadline also bounds the whole attempt (``anyio``)."""
    if http.is_closed:
        raise closed_error(client)
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
    client: BaseClient[Any],
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
