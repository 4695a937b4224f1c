"""Faults below the body's shape: what broken proxies, CDNs and overloaded servers do to an answer.

Each takes the answer that would be a 200 (its JSON body and headers) and sends it badly:

- ``trickle``: the headers at once, then the body one byte every ``trickle_interval`` seconds. Each read
  gets a byte well within any per-read timeout, so only a deadline on the whole call ends it.
- ``gzip-bomb``: ``Content-Encoding: gzip``, about 1 MB on the wire that decodes to ``bomb_size`` bytes
  (1 GiB by default): that many spaces, then the JSON body (valid JSON once decoded, only huge).
  ``gzip-bomb-nested`` gzips that again (``Content-Encoding: gzip, gzip``): a few KB on the wire.
- ``oversized-body``: a valid JSON body padded with leading spaces to ``oversized_body_size`` bytes
  (300 MB by default), with its ``Content-Length``, streamed in 64 KiB chunks.
- ``connection-reset``: the headers (with the full ``Content-Length``) and half the body, then a TCP reset.
- ``absurd-number-header``: the normal 200 with ``X-HubSpot-RateLimit-Max`` and ``-Remaining`` holding a
  5,000-digit number; ``absurd-retry-after`` a 429 (HubSpot's body) whose ``Retry-After`` and
  rate-limit headers hold one.

Nothing is held whole in memory that a client would get decoded: the bomb's compressed bytes are built
once per size from 1 MiB chunks of spaces (``zlib.compressobj``), in a worker thread, and cached with the
compressor's state, so that each answer only appends its own JSON body; the oversized body is a generator
of chunks under uvicorn's flow control. Streamed answers stop when the client disconnects (Starlette's
``StreamingResponse`` listens for ``http.disconnect``) or when the server stops.

How the reset reaches the socket: ASGI has no standard way to get at the connection, but the ``receive``
callable uvicorn hands to the app is a method of its per-request cycle, whose ``transport`` is the
asyncio transport of the connection. ``exposing_transport`` wraps the app where the fake server gives it to
uvicorn (before any middleware could wrap ``receive``) and puts that transport into
``scope["extensions"]`` under ``TRANSPORT_EXTENSION``. The reset sets ``SO_LINGER`` to (on, 0 s) on its
socket and aborts the transport: the kernel drops the connection with an RST instead of a FIN. Served
some other way (the ASGI app in-process, another server), the extension is missing and the fault falls
back to the other kind of broken connection: headers, half the body, then the answer ends unfinished
(the server closes the connection, the client reads a body cut short).
"""

from __future__ import annotations

import asyncio
import collections
import socket
import struct
import threading
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from hubspot_commprefs._faults import (
    DEFAULT_BOMB_SIZE,
    DEFAULT_OVERSIZED_BODY_SIZE,
    DEFAULT_TRICKLE_INTERVAL,
    MAX_BOMB_SIZE,
    MAX_OVERSIZED_BODY_SIZE,
    MAX_TRICKLE_INTERVAL,
    Fault,
)
from hubspot_commprefs.testing import _bodies

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.types import ASGIApp, Receive, Scope, Send

ABSURD_NUMBER = "9" * 5000  # past Python's default limit of 4300 digits for int(str)
RESET_DELAY = 0.05  # seconds between the half body and the reset, so that the client reads the headers
TRANSPORT_EXTENSION = "hubspot_commprefs.transport"

_SPACES = b" " * (64 * 1024)
_BOMB_CHUNK = b" " * (1024 * 1024)
_BOMB_CACHE_SIZES = 4
_GZIP_WBITS = 31  # zlib's window of 2**15 with a gzip header and trailer
_RATE_LIMIT_HEADERS = ("X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining")

# The faults that send the body badly, in the order they win when several are configured.
_BODY_FAULTS = (
    Fault.CONNECTION_RESET,
    Fault.GZIP_BOMB_NESTED,
    Fault.GZIP_BOMB,
    Fault.OVERSIZED_BODY,
    Fault.TRICKLE,
)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class NetworkFaultSettings:
    """How hard the network faults hit: the trickle's pace and the sizes of the bomb and the big body."""

    trickle_interval: float = DEFAULT_TRICKLE_INTERVAL
    """Seconds between two bytes of a trickled body."""
    bomb_size: int = DEFAULT_BOMB_SIZE
    """Bytes of padding a gzip bomb decodes to (its JSON body comes after)."""
    oversized_body_size: int = DEFAULT_OVERSIZED_BODY_SIZE
    """Bytes of an oversized body, its JSON included."""

    def __post_init__(self) -> None:
        interval = self.trickle_interval
        if not _is_number(interval) or not 0 <= interval <= MAX_TRICKLE_INTERVAL:  # NaN too
            raise ValueError(
                f"trickle_interval must be a number of seconds from 0 to {MAX_TRICKLE_INTERVAL:g}, "
                f"not {interval!r}"
            )
        for name, value, most in (
            ("bomb_size", self.bomb_size, MAX_BOMB_SIZE),
            ("oversized_body_size", self.oversized_body_size, MAX_OVERSIZED_BODY_SIZE),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
                raise ValueError(f"{name} must be an int of bytes from 1 to {most}, not {value!r}")


def network_answer(
    faults: tuple[Fault, ...], settings: NetworkFaultSettings, answer: Response
) -> Response | None:
    """``answer`` (a JSON 200) sent the way the network faults of ``faults`` say, or None if none."""
    if Fault.ABSURD_RETRY_AFTER in faults:
        refused = JSONResponse(
            _bodies.rate_limited("TEN_SECONDLY_ROLLING"),
            429,
            {"Retry-After": ABSURD_NUMBER, **dict.fromkeys(_RATE_LIMIT_HEADERS, ABSURD_NUMBER)},
        )
        refused.headers["content-type"] = answer.headers["content-type"]
        return refused
    absurd = Fault.ABSURD_NUMBER_HEADER in faults
    if absurd:
        for name in _RATE_LIMIT_HEADERS:
            answer.headers[name] = ABSURD_NUMBER
    fault = next((f for f in _BODY_FAULTS if f in faults), None)
    if fault is None:
        return answer if absurd else None
    body = bytes(answer.body)
    headers = {k: v for k, v in answer.headers.items() if k != "content-length"}
    if fault is Fault.CONNECTION_RESET:
        return _ResetAnswer(body, 200, headers)
    if fault in (Fault.GZIP_BOMB, Fault.GZIP_BOMB_NESTED):
        return _GzipBomb(body, headers, size=settings.bomb_size, nested=fault is Fault.GZIP_BOMB_NESTED)
    if fault is Fault.OVERSIZED_BODY:
        size = max(settings.oversized_body_size, len(body))
        return StreamingResponse(_padded(body, size), 200, {**headers, "content-length": str(size)})
    return StreamingResponse(
        _trickled(body, settings.trickle_interval), 200, {**headers, "content-length": str(len(body))}
    )


async def _trickled(body: bytes, interval: float) -> AsyncIterator[bytes]:
    for index in range(len(body)):
        yield body[index : index + 1]
        await asyncio.sleep(interval)


async def _padded(body: bytes, size: int) -> AsyncIterator[bytes]:
    remaining = size - len(body)
    while remaining > 0:
        chunk = _SPACES if remaining >= len(_SPACES) else _SPACES[:remaining]
        remaining -= len(chunk)
        yield chunk
        # Let the event loop run between chunks: while the socket takes every write without pausing (or
        # once the client is gone and writes are dropped), nothing else would, and the client's
        # disconnect would never be seen.
        await asyncio.sleep(0)
    yield body


_bomb_lock = threading.Lock()
_bomb_padding: collections.OrderedDict[int, tuple[bytes, Any]] = collections.OrderedDict()


def gzip_bomb(body: bytes, size: int, *, nested: bool = False) -> bytes:
    """Gzip of ``size`` spaces then ``body`` (gzipped twice when ``nested``); the padding's compressed
    bytes and compressor state are built once per size (in 1 MiB chunks) and kept for the next answers."""
    with _bomb_lock:
        cached = _bomb_padding.get(size)
        if cached is None:
            compressor = zlib.compressobj(9, zlib.DEFLATED, _GZIP_WBITS)
            whole, rest = divmod(size, len(_BOMB_CHUNK))
            parts = [compressor.compress(_BOMB_CHUNK) for _ in range(whole)]
            parts.append(compressor.compress(_BOMB_CHUNK[:rest]))
            cached = (b"".join(parts), compressor)
            _bomb_padding[size] = cached
            while len(_bomb_padding) > _BOMB_CACHE_SIZES:
                _bomb_padding.popitem(last=False)
        padding, compressor = cached
        compressor = compressor.copy()
    once = padding + compressor.compress(body) + compressor.flush()
    return zlib.compress(once, 9, wbits=_GZIP_WBITS) if nested else once


class _GzipBomb(Response):
    """A gzip bomb, built (or taken from the cache) in a worker thread when it is sent."""

    def __init__(self, body: bytes, headers: dict[str, str], *, size: int, nested: bool) -> None:
        super().__init__(b"", 200, headers)
        self._json, self._size, self._nested = body, size, nested

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.body = await asyncio.to_thread(gzip_bomb, self._json, self._size, nested=self._nested)
        self.headers["content-length"] = str(len(self.body))
        self.headers["content-encoding"] = "gzip, gzip" if self._nested else "gzip"
        await super().__call__(scope, receive, send)


class _ResetAnswer(Response):
    """The headers and half the body, then a TCP reset (or, without the transport, an unfinished answer)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002 - ASGI's signature
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send(
            {"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True}
        )
        transport = scope.get("extensions", {}).get(TRANSPORT_EXTENSION)
        if not isinstance(transport, asyncio.Transport):
            return  # uvicorn closes a connection whose answer was not finished
        await asyncio.sleep(RESET_DELAY)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        # uvicorn learns of the closed connection: no complaint of an unfinished answer.
        await asyncio.sleep(0)


def exposing_transport(app: ASGIApp) -> ASGIApp:
    """``app``, with the asyncio transport of each HTTP connection under ``TRANSPORT_EXTENSION`` in
    ``scope["extensions"]`` when the server is uvicorn (see the module's docstring)."""

    async def exposed(scope: Scope, receive: Receive, send: Send) -> None:
        transport = getattr(getattr(receive, "__self__", None), "transport", None)
        if scope["type"] == "http" and isinstance(transport, asyncio.Transport):
            scope = {**scope, "extensions": {**scope.get("extensions", {}), TRANSPORT_EXTENSION: transport}}
        await app(scope, receive, send)

    return exposed
