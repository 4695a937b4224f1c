"""One line per request the fake server answers, for ``hubspot-commprefs mock-server``'s stderr.

``GET /communication-preferences/<version>/statuses/alice%40example.com?channel=EMAIL -> 200 (1.2 ms)``

An ASGI wrapper around the whole app, so every answer is logged the same way: HubSpot's errors, faults
(a trickled body is logged when its last byte is sent, a reset connection as cut short) and replayed
answers. It never sees a header, so never the ``Authorization`` header; a token the server accepts is
replaced by ``[redacted]`` wherever it appears in the path or query all the same (a token pasted into a
URL), and characters that are not printable are escaped so that a path cannot write to the terminal.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

REDACTED = "[redacted]"
MIN_SCRUBBED_TOKEN = 4  # shorter "tokens" would redact ordinary letters of every path


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def logging_requests(
    app: ASGIApp,
    write: Callable[[str], object],
    *,
    secrets: Callable[[], Iterable[str]] = tuple,
    clock: Callable[[], float] = time.perf_counter,
) -> ASGIApp:
    """``app``, calling ``write`` with one line per HTTP request once its answer is over (or broken off).

    ``secrets`` gives the tokens to redact (read at each request: they can change while the server runs).
    """

    async def logged(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = clock()
        status: int | None = None
        finished = False

        async def sending(message: Message) -> None:
            nonlocal status, finished
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            write(_line(scope, status, clock() - started, cut_short=not finished, secrets=secrets()))

    return logged


def _line(
    scope: Scope, status: int | None, seconds: float, *, cut_short: bool, secrets: Iterable[str]
) -> str:
    """The log line of one request: method, path with query, status (``-`` when none was sent), duration."""
    raw: Any = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    target = raw.decode("latin-1").split("?", 1)[0]
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        target += "?" + query
    for secret in secrets:
        if len(secret) >= MIN_SCRUBBED_TOKEN:
            target = target.replace(secret, REDACTED)
    shown = "-" if status is None else str(status)
    line = f"{_printable(str(scope.get('method', '?')))} {_printable(target)} -> {shown} ({seconds * 1000:.1f} ms)"
    return line + " (answer cut short)" if cut_short else line
