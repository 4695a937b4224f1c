"""One attempt's I/O: send a request and read its answer within the attempt's deadline and size cap
(``send``, ``asend``); a failure becomes a typed error. httpx's timeouts bound each read, not the exchange,
so the HTTP clients made here wrap httpcore's network backend (private attributes: httpx has no public hook;
it is pinned below 0.29 and a test fails if the wrapping stops taking effect) to hold every socket operation
to the deadline; ``anyio.fail_after`` bounds an async attempt. The body is read raw and decoded here with
``zlib``'s ``max_length``, so that a gzip bomb never expands past the cap.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
import zlib
from typing import TYPE_CHECKING, Any

import anyio
import httpcore
import httpx

from hubspot_commprefs._errors import APITimeoutError, ResponseTooLargeError
from hubspot_commprefs._logging import logger, redact_headers, secret_of
from hubspot_commprefs.client._results import (
    answer_error,
    closed_error,
    header_count,
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
    ``as_dict()``, as httpx writes it into every request it builds); None when a part has no limit."""
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

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def bounded_http_client() -> httpx.Client:
    """The ``httpx.Client`` a ``CommPrefs`` creates: redirects off, and every socket operation of each of
    its transports (proxies' included) bounded by the attempt's deadline."""
    client = httpx.Client(follow_redirects=False)
    for transport in [client._transport, *client._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return client


class _Layer:
    """One ``Content-Encoding`` layer, decoded at most ``_STEP`` bytes at a time."""

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
        while not self.decoder.eof and (chunk := self.decoder.decompress(b"", _STEP)):
            yield chunk


class _BoundedBody:
    """A body collected from its raw chunks: decoded through every ``Content-Encoding`` layer, capped at
    ``limit`` decoded (and raw) bytes."""

    def __init__(self, headers: Mapping[str, str], limit: int) -> None:
        names = [name.strip().lower() for name in headers.get("content-encoding", "").split(",")]
        self.layers = [_Layer(name) for name in reversed(names) if name and name != "identity"]
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.raw = 0
        length = header_count(headers.get("content-length"), maximum=None)
        if length is not None and length > limit:
            raise BodyTooLargeError(length)

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
        """Drop what was read: the error's traceback keeps this object alive (a caller may keep the error),
        and it must not keep the decoded bytes with it."""
        self.chunks = []
        self.layers = []

    def feed(self, raw: bytes, at: float | None) -> None:
        """Take one raw chunk; ``DeadlinePassedError`` once the deadline ``at`` has passed."""
        self.raw += len(raw)
        if self.raw > self.limit:
            self._release()
            raise BodyTooLargeError(self.raw)
        self._through(0, raw)
        if at is not None and time.monotonic() > at:
            raise DeadlinePassedError

    def finish(self) -> bytes:
        for index, layer in enumerate(self.layers):
            for chunk in layer.flush():
                self._through(index + 1, chunk)
        return b"".join(self.chunks)


def read_chunks(chunks: Iterable[bytes], headers: Mapping[str, str], limit: int, at: float | None) -> bytes:
    """The body made of an answer's raw ``chunks`` (whichever HTTP library read them; ``headers``, looked up
    ignoring case, give its encoding and length): decoded, capped at ``limit`` and, between reads, checked
    against the deadline ``at``. Raises the internal signals above, or what reading raises."""
    body = _BoundedBody(headers, limit)
    for raw in chunks:
        body.feed(raw, at)
    return body.finish()


@contextlib.contextmanager
def _sending(client: BaseClient[Any], request: httpx.Request) -> Iterator[None]:
    """Turn a failure to send ``request`` into its typed error."""
    try:
        yield
    except httpx.HTTPStatusError as exc:  # an answer, which the caller's own response hook raised for
        if client.recorder is not None:  # recorded if the hook read its body (httpx closed it after the hook)
            client.recorder.record_response(request, exc.response)
        raise answer_error(exc.response) from exc
    except httpx.HTTPError as exc:
        raise transport_error(exc, request) from exc
    except RuntimeError:
        if client._http.is_closed:  # closed, maybe by another thread meanwhile
            raise closed_error(client) from None
        raise


@contextlib.contextmanager
def _reading(
    client: BaseClient[Any], request: httpx.Request, response: httpx.Response, seconds: float | None
) -> Iterator[None]:
    """Turn a failure while the body of ``response`` was read into its typed error."""
    try:
        yield
    except BodyTooLargeError as error:
        limit = client.max_response_bytes
        raise ResponseTooLargeError(
            f"HTTP {response.status_code} with a body over the client's limit of {limit:,} bytes "
            f"(max_response_bytes): reading stopped after {error.read:,} bytes "
            f"(Content-Encoding: {response.headers.get('content-encoding', 'none')})",
            status_code=response.status_code,
            headers=response.headers,
            limit=limit,
        ) from error
    except UnsupportedEncodingError as error:
        raise unexpected(
            response,
            f"HTTP {response.status_code} with Content-Encoding {str(error)!r}, which the client did not ask "
            f"for (it accepts {ACCEPT_ENCODING})",
        ) from error
    except BadEncodingError as error:
        message = f"HTTP {response.status_code} with a body that cannot be decoded ({error})"
        raise unexpected(response, message) from error
    except DeadlinePassedError as error:
        raise APITimeoutError(
            f"no complete answer in time from {request_line(request)}: the attempt's limit of {seconds:g} s passed"
        ) from error
    except httpx.HTTPError as error:
        raise transport_error(error, request) from error


def _already_read(response: httpx.Response, limit: int) -> bool:
    """Whether an event hook of the caller's client read the body already (httpx decoded it, unbounded)."""
    if not response.is_stream_consumed:
        return False
    if len(response.content) > limit:
        raise BodyTooLargeError(len(response.content))
    return True


def _log_request(request: httpx.Request) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        headers = redact_headers(request.headers.items(), secret_of(request))
        logger.debug("request: %s %s headers=%s", request.method, request.url, headers)


def _received(client: BaseClient[Any], request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Record and log an answer whose body was read (the body as received, decoded)."""
    if client.recorder is not None:
        client.recorder.record_response(request, response)
    logger.info("%s %s -> %s", request.method, request.url, response.status_code)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("response headers=%s", redact_headers(response.headers.items(), secret_of(request)))
    return response


def send(client: BaseClient[httpx.Client], request: httpx.Request, seconds: float | None) -> httpx.Response:
    """Send ``request`` and read the answer within ``seconds`` (None: no limit) and the client's size cap,
    or raise a typed error. Redirects are never followed, whatever the caller's HTTP client says."""
    _log_request(request)
    limit = client.max_response_bytes
    with deadline(seconds) as at:
        with _sending(client, request):
            response = client._http.send(request, stream=True, follow_redirects=False)
        try:
            with _reading(client, request, response, seconds):
                if not _already_read(response, limit):
                    response._content = read_chunks(response.iter_raw(), response.headers, limit, at)
        finally:
            response.close()
    return _received(client, request, response)


async def asend(
    client: BaseClient[httpx.AsyncClient], request: httpx.Request, seconds: float | None
) -> httpx.Response:
    """``send`` for an ``httpx.AsyncClient``; the deadline also bounds the whole attempt (``anyio``)."""
    _log_request(request)
    limit = client.max_response_bytes
    with deadline(seconds) as at:
        try:
            with anyio.fail_after(seconds):
                with _sending(client, request):
                    response = await client._http.send(request, stream=True, follow_redirects=False)
                try:
                    with _reading(client, request, response, seconds):
                        if not _already_read(response, limit):
                            body = _BoundedBody(response.headers, limit)
                            async for raw in response.aiter_raw():
                                body.feed(raw, at)
                            response._content = body.finish()
                finally:
                    await response.aclose()
        except TimeoutError as exc:  # anyio's: the attempt's deadline passed
            raise APITimeoutError(
                f"no answer in time from {request_line(request)}: the attempt's limit of {seconds:g} s passed"
            ) from exc
    return _received(client, request, response)
