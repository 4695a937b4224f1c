"""Helpers shared by the client's tests: answer bodies, clients on an in-process transport, a local HTTP
server on a real socket, and a recorder that replaces the sleep between retries."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import unquote

import httpx
from hubspot_commprefs import AsyncCommPrefs, CommPrefs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pytest

TOKEN = "pat-na1-00000000-test-token-do-not-log"
CORRELATION_ID = "3f1e2c4a-9b7d-4e6f-8a1b-2c3d4e5f6a7b"


def status_item(**overrides: Any) -> dict[str, Any]:
    item = {
        "channel": "EMAIL",
        "source": "Self Service",
        "status": "SUBSCRIBED",
        "subscriberIdString": "alice@example.com",
        "subscriptionId": 1,
        "subscriptionName": "Newsletter",
        "timestamp": "2026-03-12T14:02:11.530Z",
    }
    item.update(overrides)
    return item


def wide_item(**overrides: Any) -> dict[str, Any]:
    item = {
        "channel": "EMAIL",
        "status": "UNSUBSCRIBED",
        "subscriberIdString": "bob@example.com",
        "timestamp": "2025-12-24T21:07:44Z",
        "wideStatusType": "PORTAL_WIDE",
    }
    item.update(overrides)
    return item


def action_body(results: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "startedAt": "2026-03-18T09:20:31.010Z",
        "completedAt": "2026-03-18T09:20:31.051Z",
        "results": results,
    }
    body.update(overrides)
    return body


STATUSES_BODY = action_body(
    [
        status_item(subscriptionId=1, subscriptionName="Newsletter", status="SUBSCRIBED"),
        status_item(subscriptionId=2, subscriptionName="Product updates", status="UNSUBSCRIBED"),
        status_item(subscriptionId=3, subscriptionName="Events", status="NOT_SPECIFIED", businessUnitId=0),
    ]
)


@dataclass
class Recorder:
    """An httpx MockTransport handler that answers from a list (the last answer repeats)."""

    answers: list[httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


def ok(body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=STATUSES_BODY if body is None else body, headers=headers)


def sync_client(*answers: Any, **options: Any) -> tuple[CommPrefs, Recorder]:
    recorder = Recorder(list(answers))
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    options.setdefault("access_token", TOKEN)
    return CommPrefs(http_client=http, **options), recorder


def async_client(*answers: Any, **options: Any) -> tuple[AsyncCommPrefs, Recorder]:
    recorder = Recorder(list(answers))
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    options.setdefault("access_token", TOKEN)
    return AsyncCommPrefs(http_client=http, **options), recorder


class Sleeps(list[float]):
    """The delays the retry loop asked to sleep, recorded instead of slept."""


def patch_sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    """Replace ``time.sleep`` and ``asyncio.sleep`` (what the retry loop sleeps with) by a recorder."""
    sleeps = Sleeps()

    async def fake_async_sleep(delay: float, result: Any = None) -> Any:
        sleeps.append(delay)
        return result

    monkeypatch.setattr(time, "sleep", sleeps.append)
    monkeypatch.setattr(asyncio, "sleep", fake_async_sleep)
    return sleeps


@dataclass
class Seen:
    raw_path: str
    subscriber_id: str
    headers: dict[str, str]


class LocalServer:
    """A stdlib HTTP server on 127.0.0.1 (a free port) in a thread; it records each request's raw path and
    answers with ``status`` and ``body`` (settable). Use as a context manager: it stops on exit."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.status = 200
        self.body: bytes = json.dumps(STATUSES_BODY).encode()
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                raw = self.path.split("?", 1)[0]
                segment = raw.split("/statuses/", 1)[-1].removesuffix("/unsubscribe-all")
                server.seen.append(Seen(raw, unquote(segment, errors="strict"), dict(self.headers)))
                body = server.body_for(raw)
                self.send_response(server.status)
                for name, value in server.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def body_for(self, raw_path: str) -> bytes:
        """The body answered to a request for ``raw_path``: ``body``, whatever the path."""
        return self.body

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)


def local_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


# A StandardError item (inside a 200) with every field the spec requires.
FULL_ERROR = {
    "category": "VALIDATION_ERROR",
    "context": {"id": ["x"]},
    "errors": [{"message": "detail"}],
    "links": {},
    "message": "one subscription could not be read",
    "status": "error",
    "subCategory": {},
}
