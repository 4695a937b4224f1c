"""Network faults: what broken proxies, CDNs and overloaded servers do to an answer that would be a 200
(``FAULT_HELP`` says what each does). Nothing a client gets decoded is held whole in memory: a gzip bomb's
padding is compressed once per size (cached with the compressor's state), an oversized body streamed.
The reset takes uvicorn's transport from ``receive`` (ASGI does not expose the socket) and aborts it with
``SO_LINGER`` 0 s, so the kernel sends an RST; served otherwise, the body is cut short.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import struct
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from hubspot_commprefs import _faults
from hubspot_commprefs._faults import BODY_FAULTS, Fault
from hubspot_commprefs.testing import _bodies

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.types import Receive, Scope, Send

ABSURD_NUMBER = "9" * 5000  # past Python's default limit of 4300 digits for int(str)
RESET_DELAY = 0.05  # seconds between the half body and the reset, so that the client reads the headers

_SPACES = b" " * (64 * 1024)
_BOMB_CHUNK = b" " * (1024 * 1024)
_GZIP_WBITS = 31  # zlib's window of 2**15 with a gzip header and trailer
_RATE_LIMIT_HEADERS = ("X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining")


@dataclass(frozen=True, slots=True)
class NetworkFaultSettings:
    """How hard the network faults hit: seconds between two bytes of a trickled body, bytes of padding a
    gzip bomb decodes to (its JSON body after), bytes of an oversized body (its JSON included)."""

    trickle_interval: float = _faults.DEFAULT_TRICKLE_INTERVAL
    bomb_size: int = _faults.DEFAULT_BOMB_SIZE
    oversized_body_size: int = _faults.DEFAULT_OVERSIZED_BODY_SIZE

    def __post_init__(self) -> None:
        for name, kinds, what, least, most in (
            ("trickle_interval", (int, float), "a number of seconds", 0, _faults.MAX_TRICKLE_INTERVAL),
            ("bomb_size", int, "an int of bytes", 1, _faults.MAX_BOMB_SIZE),
            ("oversized_body_size", int, "an int of bytes", 1, _faults.MAX_OVERSIZED_BODY_SIZE),
        ):
            value = getattr(self, name)  # NaN fails the range too
            if isinstance(value, bool) or not isinstance(value, kinds) or not least <= value <= most:
                raise ValueError(f"{name} must be {what} from {least} to {most}, not {value!r}")


async def network_answer(
    faults: tuple[Fault, ...], settings: NetworkFaultSettings, answer: Response
) -> Response | None:
    """``answer`` (a JSON 200) sent the way the network faults of ``faults`` say, or None if none."""
    if Fault.ABSURD_RETRY_AFTER in faults:
        absurd_headers = dict.fromkeys(("Retry-After", *_RATE_LIMIT_HEADERS), ABSURD_NUMBER)
        headers = {**absurd_headers, "content-type": answer.headers["content-type"]}
        return JSONResponse(_bodies.rate_limited("TEN_SECONDLY_ROLLING"), 429, headers)
    absurd = Fault.ABSURD_NUMBER_HEADER in faults
    if absurd:
        for name in _RATE_LIMIT_HEADERS:
            answer.headers[name] = ABSURD_NUMBER
    fault = next((f for f in BODY_FAULTS if f in faults), None)
    if fault is None:
        return answer if absurd else None
    body = bytes(answer.body)
    headers = {k: v for k, v in answer.headers.items() if k != "content-length"}
    if fault is Fault.CONNECTION_RESET:
        return _ResetAnswer(body, 200, headers)
    if fault in (Fault.GZIP_BOMB, Fault.GZIP_BOMB_NESTED):
        nested = fault is Fault.GZIP_BOMB_NESTED
        bomb = await asyncio.to_thread(gzip_bomb, body, settings.bomb_size, nested=nested)
        return Response(bomb, 200, {**headers, "content-encoding": "gzip, gzip" if nested else "gzip"})
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
        await asyncio.sleep(0)  # else, while writes never pause, a disconnect would never be seen
    yield body


@functools.lru_cache(maxsize=4)
def _bomb_padding(size: int) -> tuple[bytes, Any]:
    """``size`` spaces gzipped (in 1 MiB chunks), and the compressor's state after them."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, _GZIP_WBITS)
    whole, rest = divmod(size, len(_BOMB_CHUNK))
    parts = [compressor.compress(_BOMB_CHUNK) for _ in range(whole)]
    parts.append(compressor.compress(_BOMB_CHUNK[:rest]))
    return b"".join(parts), compressor


def gzip_bomb(body: bytes, size: int, *, nested: bool = False) -> bytes:
    """Gzip of ``size`` spaces then ``body`` (gzipped twice when ``nested``)."""
    padding, cached = _bomb_padding(size)
    compressor = cached.copy()
    once = padding + compressor.compress(body) + compressor.flush()
    return zlib.compress(once, 9, wbits=_GZIP_WBITS) if nested else once


class _ResetAnswer(Response):
    """The headers and half the body, then a TCP reset (or, without the transport, an unfinished answer)."""

    async def __call__(self, _scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send(
            {"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True}
        )
        transport = getattr(getattr(receive, "__self__", None), "transport", None)
        if not isinstance(transport, asyncio.Transport):
            return  # uvicorn closes a connection whose answer was not finished
        await asyncio.sleep(RESET_DELAY)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        # uvicorn learns of the closed connection: no complaint of an unfinished answer.
        await asyncio.sleep(0)
