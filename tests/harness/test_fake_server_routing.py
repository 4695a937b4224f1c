"""The fake server answers JSON, in HubSpot's error shape unless it is a 200, for every path and method:
whatever bytes the path holds, whatever the method, as HubSpot does (never Starlette's text/plain)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote, unquote

import httpx
from hubspot_commprefs.openapi import endpoints, load_spec
from hubspot_commprefs.testing import FakeHubSpot, RateLimit
from hubspot_commprefs.testing._app import ServerState, build_app
from hubspot_commprefs.testing._data import default_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

TOKEN = "tok-read"
STATUSES, WIDE = (e.path_template for e in endpoints())
SPEC = load_spec()
ERROR = Draft202012Validator({"$ref": "#/components/schemas/Error", "components": SPEC["components"]})
# RFC 9110's token characters: what an HTTP/1.1 server accepts as a method.
METHOD_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
APP = build_app(
    ServerState(
        dataset=default_dataset(),
        tokens={TOKEN: frozenset({"communication_preferences.read"})},
        rate_limit=RateLimit(max_requests=10**9, daily=10**9),
    )
)


def _call(method: str, raw_path: bytes, query: bytes = b"channel=EMAIL") -> tuple[int, dict[str, str], bytes]:
    """One request straight into the ASGI app, with the scope uvicorn builds for that request line."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {TOKEN}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(APP(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], headers, body


def _assert_hubspot_json(status: int, headers: dict[str, str], body: bytes) -> None:
    assert headers["content-type"].startswith("application/json"), (status, headers, body)
    decoded = json.loads(body)
    if status != 200:
        assert list(ERROR.iter_errors(decoded)) == [], decoded
        assert decoded["status"] == "error"


ANY_BYTES_ENCODED = st.binary(max_size=40).map(lambda raw: quote(raw, safe="").encode("ascii"))
PRINTABLE = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#"), max_size=30
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "DELETE", "OPTIONS"]) | st.text(METHOD_CHARS, min_size=1),
    segment=ANY_BYTES_ENCODED | PRINTABLE.map(str.encode),
    where=st.sampled_from(["id", "id-wide", "anywhere"]),
)
def test_every_path_and_method_gets_json(method: str, segment: bytes, where: str) -> None:
    if where == "anywhere":
        raw_path = b"/" + segment
    else:
        template = STATUSES if where == "id" else WIDE
        raw_path = template.replace("{subscriberIdString}", segment.decode("ascii") or "x").encode("ascii")
    status, headers, body = _call(method, raw_path)
    if method == "HEAD":
        assert headers["content-type"].startswith("application/json")
        return
    _assert_hubspot_json(status, headers, body)


def test_an_id_with_a_newline_reaches_the_endpoint_over_a_real_socket() -> None:
    """``a%0Ab%40example.com`` once fell through to Starlette's text/plain 404."""
    with FakeHubSpot() as server:
        headers = {"Authorization": f"Bearer {server.token}"}
        with httpx.Client(base_url=server.base_url, headers=headers) as client:
            for path in (
                STATUSES.replace("{subscriberIdString}", "a%0Ab%40example.com"),
                WIDE.replace("{subscriberIdString}", "a%0D%0Ab%40example.com"),
                "/%0A",
                "/nowhere%0Aat%00all",
            ):
                answer = client.get(path, params={"channel": "EMAIL"})
                _assert_hubspot_json(answer.status_code, dict(answer.headers), answer.content)
            ok = client.get(STATUSES.replace("{subscriberIdString}", "a%0Ab%40example.com?channel=EMAIL"))
            assert ok.status_code == 200
            assert {r["subscriberIdString"] for r in ok.json()["results"]} == {"a\nb@example.com"}
            odd = client.request("BREW", STATUSES.replace("{subscriberIdString}", "a%40example.com"))
            assert odd.status_code == 405
            _assert_hubspot_json(odd.status_code, dict(odd.headers), odd.content)
