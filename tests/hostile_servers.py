"""Servers that misbehave below HTTP's level, as broken proxies and overloaded APIs do: a raw socket
server on 127.0.0.1 that answers each connection with a script of bytes and pauses. Each stops by itself
(every connection is served for at most ``MAX_SERVE`` seconds) and when its ``with`` block ends, which
closes the connections still open and waits for their threads."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
import zlib
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import TracebackType

MAX_SERVE = 30.0
VALID_BODY = json.dumps(
    {
        "status": "COMPLETE",
        "startedAt": "2026-03-18T09:20:31.010Z",
        "completedAt": "2026-03-18T09:20:31.051Z",
        "results": [],
    }
).encode()


def gzip_bomb(decoded_size: int, *, layers: int = 1) -> bytes:
    """Gzip of ``decoded_size`` zero bytes (compressed ``layers`` times), built without holding it whole."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1024 * 1024)
    parts = []
    left = decoded_size
    while left > 0:
        parts.append(compressor.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(compressor.flush())
    data = b"".join(parts)
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


def trickle(interval: float, *, headers_too: bool = False) -> Callable[[socket.socket], None]:
    """Headers at once (or one byte at a time too), then a body of one byte every ``interval`` s."""

    def answer(conn: socket.socket) -> None:
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(VALID_BODY)}\r\n\r\n"
        )
        started = time.monotonic()
        data = (head.encode() if headers_too else b"") + VALID_BODY
        if not headers_too:
            conn.sendall(head.encode())
        for i in range(len(data)):
            if time.monotonic() - started > MAX_SERVE:
                return
            conn.sendall(data[i : i + 1])
            time.sleep(interval)

    return answer


def plain(status: int, body: bytes, **headers: str) -> Callable[[socket.socket], None]:
    def answer(conn: socket.socket) -> None:
        lines = [
            f"HTTP/1.1 {status} X",
            f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    return answer


def chunked(chunks: Iterator[bytes], **headers: str) -> Callable[[socket.socket], None]:
    """A 200 whose body is sent chunked (no Content-Length), from an iterator: never held whole."""

    def answer(conn: socket.socket) -> None:
        lines = ["HTTP/1.1 200 OK", "Transfer-Encoding: chunked", *(f"{k}: {v}" for k, v in headers.items())]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        started = time.monotonic()
        for chunk in chunks:
            if time.monotonic() - started > MAX_SERVE:
                return
            conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        conn.sendall(b"0\r\n\r\n")

    return answer


class HostileServer:
    """Answers every connection with ``answer(conn)`` after reading the request's headers."""

    def __init__(self, answer: Callable[[socket.socket], None]) -> None:
        self.answer = answer
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self._open: dict[socket.socket, threading.Thread] = {}  # connections being served, and by whom

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            handler = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._open[conn] = handler
            handler.start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(MAX_SERVE)
            received = b""
            try:
                while b"\r\n\r\n" not in received:
                    data = conn.recv(65536)
                    if not data:
                        return
                    received += data
                self.answer(conn)
            except OSError:  # the client gave up and closed (or the server stops): what these servers are for
                return
            finally:
                self._open.pop(conn, None)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        self.sock.close()
        for conn, handler in list(self._open.items()):
            with contextlib.suppress(OSError):  # closed meanwhile
                conn.shutdown(socket.SHUT_RDWR)  # the handler's next read or write fails: it ends
            handler.join(timeout=MAX_SERVE)
