"""Replay (``FakeHubSpot(replay=DIR)``, ``mock-server --replay DIR``): recorded requests get their latest
recorded answer after the token check, anything else the seeded data (or a 404 when strict), and answers the
spec does not allow are refused when the recording is loaded, unless drift is allowed."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import subprocess
import sys
import zlib
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hubspot_commprefs import CommPrefs, CommPrefsError, NotFoundError, RateLimitError
from hubspot_commprefs.cli import main
from hubspot_commprefs.client._recording import RECORDING_FILE, Recorder
from hubspot_commprefs.openapi import endpoints
from hubspot_commprefs.testing import (
    DEFAULT_TOKEN,
    FakeHubSpot,
    ReplayDriftError,
    ReplayError,
    ReplayWarning,
    load_replay,
)

from tests.client_fixtures import action_body, status_item, wide_item
from tests.processes import started

if TYPE_CHECKING:
    from pathlib import Path

STATUSES, WIDE = (e.path_template for e in endpoints())
JSON_TYPE = "application/json;charset=utf-8"


def path_of(template: str, subscriber: str) -> str:
    return template.replace("{subscriberIdString}", subscriber)


def record(
    directory: Path,
    path: str,
    query: str,
    body: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    with_token: bool = True,
) -> bytes:
    """Append one answer to the recording in ``directory``; returns the body's bytes."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    Recorder(directory).record(
        method="GET",
        path=path,
        query=query,
        with_token=with_token,
        status=status,
        headers=list({"Content-Type": JSON_TYPE, **(headers or {})}.items()),
        body=raw,
        secret=None,
    )
    return raw


RECORDED_ONLY = action_body([status_item(subscriptionId=777, subscriptionName="Only in the recording")])


def client_of(server: FakeHubSpot, **options: Any) -> CommPrefs:
    return CommPrefs(base_url=server.base_url, access_token=server.token, max_retries=0, **options)


def test_a_recorded_request_gets_its_recorded_answer_and_the_rest_the_seeded_data(tmp_path: Path) -> None:
    raw = record(
        tmp_path,
        path_of(STATUSES, "alice%40example.com"),
        "channel=EMAIL",
        RECORDED_ONLY,
        headers={"X-HubSpot-RateLimit-Max": "4242", "X-HubSpot-Correlation-Id": "recorded-id"},
    )
    with FakeHubSpot(replay=tmp_path) as server, client_of(server) as client:
        assert len(server.replay or ()) == 1
        result = client.get_statuses("alice@example.com")
        assert result.body == RECORDED_ONLY
        assert result.rate_limit.max == 4242
        assert result.headers["x-hubspot-correlation-id"] == "recorded-id"
        raw_answer = httpx.get(
            server.base_url + path_of(STATUSES, "alice%40example.com") + "?channel=EMAIL",
            headers={"Authorization": f"Bearer {server.token}"},
        )
        assert raw_answer.content == raw  # byte for byte
        assert raw_answer.headers["content-type"] == JSON_TYPE
        # Not recorded: the seeded data answers.
        assert client.get_unsubscribe_all_status("bob@example.com").is_unsubscribed_from_all
        assert client.get_statuses("alice@example.com", business_unit_id=0).by_id(777) is None


def test_the_query_matches_in_any_order_and_the_path_whatever_its_percent_encoding(tmp_path: Path) -> None:
    raw = record(
        tmp_path,
        path_of(WIDE, "alice%40example.com"),
        "channel=EMAIL&verbose=true&businessUnitId=0",
        action_body([]),
    )
    with FakeHubSpot(replay=tmp_path, replay_strict=True) as server:
        auth = {"Authorization": f"Bearer {server.token}"}
        for path, query in [
            (path_of(WIDE, "alice@example.com"), "businessUnitId=0&verbose=true&channel=EMAIL"),
            (path_of(WIDE, "alice%40example.com"), "verbose=true&channel=EMAIL&businessUnitId=0"),
            (path_of(WIDE, "%61lice%40example.com"), "channel=%45MAIL&verbose=true&businessUnitId=0"),
        ]:
            answer = httpx.get(server.base_url + path + "?" + query, headers=auth)
            assert (answer.status_code, answer.content) == (200, raw), (path, query)
        for path, query in [
            (path_of(WIDE, "alice@example.com"), "channel=EMAIL&verbose=true&businessUnitId=1"),
            (path_of(WIDE, "alice@example.com"), "channel=EMAIL&verbose=true"),
            (
                path_of(WIDE, "alice@example.com"),
                "channel=EMAIL&verbose=true&businessUnitId=0&businessUnitId=0",
            ),
            (path_of(STATUSES, "alice@example.com"), "channel=EMAIL&verbose=true&businessUnitId=0"),
        ]:
            assert httpx.get(server.base_url + path + "?" + query, headers=auth).status_code == 404, query


def test_the_latest_answer_wins(tmp_path: Path) -> None:
    path = path_of(STATUSES, "alice%40example.com")
    record(tmp_path, path, "channel=EMAIL", action_body([status_item(subscriptionName="first")]))
    record(tmp_path, path, "channel=EMAIL", action_body([status_item(subscriptionName="second")]))
    record(
        tmp_path, path, "channel=EMAIL&businessUnitId=0", action_body([status_item(subscriptionName="other")])
    )
    with FakeHubSpot(replay=tmp_path) as server, client_of(server) as client:
        assert [s.subscription_name for s in client.get_statuses("alice@example.com")] == ["second"]
        assert server.replay is not None
        assert len(server.replay) == 2


def test_strict_replay_answers_what_was_not_recorded_with_hubspots_404(tmp_path: Path) -> None:
    record(tmp_path, path_of(STATUSES, "alice%40example.com"), "channel=EMAIL", RECORDED_ONLY)
    with FakeHubSpot(replay=tmp_path, replay_strict=True) as server, client_of(server) as client:
        assert client.get_statuses("alice@example.com").body == RECORDED_ONLY
        with pytest.raises(NotFoundError) as caught:
            client.get_statuses("bob@example.com")
        error = caught.value
        assert error.status_code == 404
        assert error.category == "OBJECT_NOT_FOUND"
        assert error.correlation_id
        assert "not recorded" in str(error)


def test_the_token_check_still_applies_to_recorded_requests(tmp_path: Path) -> None:
    path = path_of(STATUSES, "alice%40example.com")
    record(tmp_path, path, "channel=EMAIL", RECORDED_ONLY)
    with FakeHubSpot(replay=tmp_path, replay_strict=True) as server:
        url = server.base_url + path + "?channel=EMAIL"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer not-the-token"}).status_code == 401
        assert server.token_without_scope is not None
        forbidden = httpx.get(url, headers={"Authorization": f"Bearer {server.token_without_scope}"})
        assert forbidden.status_code == 403
        assert httpx.get(url, headers={"Authorization": f"Bearer {server.token}"}).json() == RECORDED_ONLY


def test_answers_to_requests_without_the_token_and_outside_the_spec_are_not_served(tmp_path: Path) -> None:
    path = path_of(STATUSES, "alice%40example.com")
    record(tmp_path, path, "channel=EMAIL", {"message": "no token"}, status=401, with_token=False)
    record(tmp_path, "/not/an/endpoint", "", {"message": "what"}, status=404)
    with FakeHubSpot(replay=tmp_path) as server, client_of(server) as client:
        assert server.replay is not None
        assert len(server.replay) == 0
        assert [line.split(":")[0] for line in server.replay.ignored] == ["line 1", "line 2"]
        assert "sent without the token" in server.replay.ignored[0]
        assert "not an endpoint of the spec" in server.replay.ignored[1]
        assert client.get_statuses("alice@example.com").is_complete  # the seeded answer


def test_recorded_error_answers_that_the_spec_allows_replay_with_their_headers(tmp_path: Path) -> None:
    limited = {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": "3f1e2c4a-9b7d-4e6f-8a1b-2c3d4e5f6a7b",
        "policyName": "TEN_SECONDLY_ROLLING",
    }
    record(
        tmp_path,
        path_of(STATUSES, "alice%40example.com"),
        "channel=EMAIL",
        limited,
        status=429,
        headers={"Retry-After": "7", "X-HubSpot-RateLimit-Remaining": "0"},
    )
    server_error = {
        "category": "INTERNAL_ERROR",
        "message": "boom",
        "correlationId": "3f1e2c4a-9b7d-4e6f-8a1b-2c3d4e5f6a7b",
    }
    record(tmp_path, path_of(STATUSES, "bob%40example.com"), "channel=EMAIL", server_error, status=500)
    with FakeHubSpot(replay=tmp_path) as server, client_of(server) as client:
        assert server.replay is not None
        assert server.replay.drift == []  # a 5xx the spec documents (default) is not drift
        with pytest.raises(RateLimitError) as caught:
            client.get_statuses("alice@example.com")
        assert caught.value.retry_after == 7
        assert caught.value.policy_name == "TEN_SECONDLY_ROLLING"
        with pytest.raises(CommPrefsError, match="boom"):
            client.get_statuses("bob@example.com")


def _record_through_the_client(directory: Path, fault: str) -> None:
    with (
        FakeHubSpot(faults=[fault]) as server,
        CommPrefs(
            base_url=server.base_url, access_token=server.token, max_retries=0, record_to=directory
        ) as client,
        contextlib.suppress(CommPrefsError),
    ):
        client.get_statuses("alice@example.com")


@pytest.mark.parametrize(
    ("fault", "named"),
    [
        (
            "enum-value",
            'results[0].channel: enum value the spec lacks: expected one of EMAIL, got "WHATSAPP"',
        ),
        ("wrong-type", "results[0].subscriptionId: wrong type"),
        ("missing-field", "results[0].timestamp: missing required field"),
        ("bad-date-time", "results[0].timestamp: wrong format"),
        ("int32-overflow", "numErrors: integer outside its format"),
        ("wrong-content-type", "wrong content type"),
        ("undocumented-status", "undocumented status"),
        ("html-error", "wrong content type"),
    ],
)
def test_answers_the_spec_does_not_allow_are_refused_naming_each(
    tmp_path: Path, fault: str, named: str
) -> None:
    _record_through_the_client(tmp_path, fault)
    with pytest.raises(ReplayDriftError) as caught:
        FakeHubSpot(replay=tmp_path)
    message = str(caught.value)
    assert "replay: the recording in" in message
    assert "--replay-allow-drift or replay_allow_drift=True" in message
    assert f"line 1: GET {path_of(STATUSES, 'alice%40example.com')}?channel=EMAIL -> " in message
    assert named in message
    assert any(named in problem for problem in caught.value.problems)


def test_drift_allowed_is_served_as_recorded_and_reported(tmp_path: Path) -> None:
    _record_through_the_client(tmp_path, "enum-value")
    with pytest.warns(ReplayWarning, match=r"serving answers the spec does not allow.*results\[0\]\.channel"):
        server = FakeHubSpot(replay=tmp_path, replay_allow_drift=True)
    with server, client_of(server) as client:
        assert server.replay is not None
        statuses = list(client.get_statuses("alice@example.com"))
        assert len(server.replay.drift) == len(statuses) == 3  # one problem per item, each named
        assert [s.channel.value for s in statuses] == ["WHATSAPP"] * 3
        assert not statuses[0].channel.is_known


def test_a_recording_that_conforms_loads_without_drift(tmp_path: Path) -> None:
    record(tmp_path, path_of(WIDE, "bob%40example.com"), "channel=EMAIL", action_body([wide_item()]))
    replay = load_replay(tmp_path)
    assert (len(replay), replay.drift, replay.unreadable, replay.ignored) == (1, [], [], [])


def test_unreadable_lines_are_skipped_with_a_warning_and_the_rest_served(tmp_path: Path) -> None:
    path = path_of(STATUSES, "alice%40example.com")
    record(tmp_path, path, "channel=EMAIL", RECORDED_ONLY)
    with (tmp_path / RECORDING_FILE).open("ab") as file:
        file.write(b'{"recording": 1, "request": {"method": "GET", "pa')  # a crash mid-line
    record(tmp_path, path_of(STATUSES, "bob%40example.com"), "channel=EMAIL", RECORDED_ONLY)
    with (tmp_path / RECORDING_FILE).open("ab") as file:
        file.write(b"garbage\n[]\n")
    with pytest.warns(ReplayWarning, match="skipped 3 unreadable line") as caught:
        server = FakeHubSpot(replay=tmp_path, replay_strict=True)
    text = str(caught[0].message)
    assert "line 2: not a complete JSON object" in text
    assert "line 4: not a complete JSON object" in text
    assert "line 5: the line is not an object" in text
    with server, client_of(server) as client:
        assert client.get_statuses("alice@example.com").body == RECORDED_ONLY
        assert client.get_statuses("bob@example.com").body == RECORDED_ONLY


def test_a_recording_that_is_not_there_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match=r"^replay: '.*missing' does not exist$"):
        FakeHubSpot(replay=tmp_path / "missing")
    (tmp_path / "file").write_text("{}")
    with pytest.raises(ReplayError, match=r"^replay: '.*file' is not a directory$"):
        FakeHubSpot(replay=tmp_path / "file")
    with pytest.raises(ReplayError, match=r"holds no recording.jsonl \(make one with --record DIR"):
        FakeHubSpot(replay=tmp_path)
    with pytest.raises(ValueError, match="replay_strict and replay_allow_drift apply only with replay=DIR"):
        FakeHubSpot(replay_strict=True)


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--replay", "{tmp}/missing"], "--replay: '{tmp}/missing' does not exist"),
        (["--replay", "{tmp}/file"], "--replay: '{tmp}/file' is not a directory"),
        (["--replay", "{tmp}"], "holds no recording.jsonl"),
        (["--replay-strict"], "--replay-strict and --replay-allow-drift go with --replay DIR"),
        (["--replay-allow-drift"], "--replay-strict and --replay-allow-drift go with --replay DIR"),
    ],
)
def test_the_mock_server_command_refuses_a_bad_replay(
    tmp_path: Path, argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("{}")
    assert main(["mock-server", "--port", "0", *(a.format(tmp=tmp_path) for a in argv)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hubspot-commprefs mock-server: ")
    assert named.format(tmp=tmp_path) in err
    assert "Traceback" not in err


def test_the_mock_server_command_refuses_drift_listing_each_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _record_through_the_client(tmp_path, "enum-value")
    assert main(["mock-server", "--port", "0", "--replay", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "holds answers the spec does not allow" in err
    assert "line 1: GET " in err
    assert "results[0].channel: enum value the spec lacks" in err


def test_the_mock_server_command_serves_allowed_drift_and_warns_on_stderr(tmp_path: Path) -> None:
    _record_through_the_client(tmp_path, "enum-value")
    with (tmp_path / RECORDING_FILE).open("ab") as file:
        file.write(b"{cut short")
    with started(
        [
            sys.executable,
            "-m",
            "hubspot_commprefs.cli",
            "mock-server",
            "--port",
            "0",
            "--replay",
            str(tmp_path),
            "--replay-allow-drift",
            "--replay-strict",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "HUBSPOT_ACCESS_TOKEN": ""},
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Fake HubSpot on http://127.0.0.1:"), first
        base_url = first.split()[3]
        shown = [process.stdout.readline() for _ in range(4)]
        with CommPrefs(base_url=base_url, access_token=DEFAULT_TOKEN, max_retries=0, timeout=10) as client:
            statuses = list(client.get_statuses("alice@example.com"))
            with pytest.raises(NotFoundError):
                client.get_statuses("bob@example.com")
        process.terminate()
        _, err = process.communicate(timeout=60)
    assert {s.channel.value for s in statuses} == {"WHATSAPP"}
    assert "  replay: 1 recorded answers from" in "".join(shown)
    assert "anything else: a 404 (--replay-strict)" in "".join(shown)
    assert "warning: --replay: skipped 1 unreadable line(s)" in err
    assert "warning: --replay: serving answers the spec does not allow" in err
    assert "results[0].channel" in err


def write_answer(directory: Path, *, status: int, headers: dict[str, str], body: bytes) -> None:
    """Append a line written by hand, as someone editing a recording would: any header, any status."""
    directory.mkdir(exist_ok=True)
    line = {
        "recording": 1,
        "recorded_at": "2026-05-02T10:11:12Z",
        "request": {
            "method": "GET",
            "path": path_of(STATUSES, "alice%40example.com"),
            "query": "channel=EMAIL",
            "with_token": True,
        },
        "response": {
            "status": status,
            "headers": {"content-type": JSON_TYPE, **headers},
            "body": base64.b64encode(body).decode(),
            "base64": True,
        },
    }
    with (directory / RECORDING_FILE).open("a", encoding="utf-8") as file:
        file.write(json.dumps(line) + "\n")


VALID = json.dumps(RECORDED_ONLY).encode()


@pytest.mark.parametrize(
    ("status", "headers", "body", "named"),
    [
        (200, {"content-length": "5"}, VALID, "recorded header content-length: the fake server frames"),
        (200, {"content-length": str(len(VALID))}, VALID, "recorded header content-length"),
        (200, {"transfer-encoding": "chunked"}, VALID, "recorded header transfer-encoding"),
        (
            200,
            {"connection": "close", "keep-alive": "timeout=5"},
            VALID,
            "recorded headers connection, keep-alive",
        ),
        (
            200,
            {"content-encoding": "gzip"},
            VALID,
            "content-encoding does not match the body: the body is not gzip",
        ),
        (200, {"content-encoding": "deflate"}, VALID, "the body is not deflate data"),
        (200, {"content-encoding": "gzip, gzip"}, gzip.compress(VALID), "the body is not gzip data"),
        (200, {"content-encoding": "br"}, VALID, "'br' is not a coding replay can check"),
        (204, {}, VALID, f"a 204 answer has no body, but the line holds one ({len(VALID):,} bytes)"),
        (304, {}, b"x", "a 304 answer has no body, but the line holds one (1 byte)"),
        (100, {}, b"", "status 100 is not a final answer (1xx)"),
        (101, {"upgrade": "websocket"}, b"", "recorded header upgrade"),
    ],
)
def test_answers_http_does_not_let_the_server_send_as_recorded_are_refused_at_load(
    tmp_path: Path, status: int, headers: dict[str, str], body: bytes, named: str
) -> None:
    record(tmp_path, path_of(WIDE, "bob%40example.com"), "channel=EMAIL", action_body([wide_item()]))
    write_answer(tmp_path, status=status, headers=headers, body=body)
    with pytest.raises(
        ReplayError, match="holds answers that HTTP does not let the fake server send"
    ) as caught:
        FakeHubSpot(replay=tmp_path, replay_allow_drift=True)  # not drift: never served, allowed or not
    assert not isinstance(caught.value, ReplayDriftError)
    message = str(caught.value)
    assert f"line 2: GET {path_of(STATUSES, 'alice%40example.com')}?channel=EMAIL -> {status}: " in message
    assert named in message
    assert "line 1" not in str(caught.value)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "identity, gzip"])
def test_a_recorded_content_encoding_that_matches_the_body_is_served_and_checked_decoded(
    tmp_path: Path, encoding: str
) -> None:
    body = zlib.compress(VALID) if encoding == "deflate" else gzip.compress(VALID)
    write_answer(tmp_path, status=200, headers={"content-encoding": encoding}, body=body)
    with FakeHubSpot(replay=tmp_path) as server, client_of(server) as client:  # no drift: read decoded
        assert server.replay is not None
        assert server.replay.drift == []
        assert [s.subscription_id for s in client.get_statuses("alice@example.com")] == [777]
    body = gzip.compress(json.dumps(action_body([status_item(channel="SMS")])).encode())
    write_answer(tmp_path, status=200, headers={"content-encoding": "gzip"}, body=body)
    with pytest.raises(ReplayDriftError, match=r"line 2: .*results\[0\]\.channel"):
        FakeHubSpot(replay=tmp_path)


def test_a_204_or_304_without_a_body_is_served(tmp_path: Path) -> None:
    write_answer(tmp_path, status=204, headers={}, body=b"")
    with (
        pytest.warns(ReplayWarning, match="undocumented status"),
        FakeHubSpot(replay=tmp_path, replay_allow_drift=True) as server,
    ):
        answer = httpx.get(
            server.base_url + path_of(STATUSES, "alice%40example.com") + "?channel=EMAIL",
            headers={"Authorization": f"Bearer {server.token}"},
            timeout=10,
        )
    assert answer.status_code == 204
    assert answer.content == b""


def test_the_mock_server_command_refuses_an_answer_it_cannot_send_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_answer(tmp_path, status=200, headers={"transfer-encoding": "chunked"}, body=VALID)
    assert main(["mock-server", "--port", "0", "--replay", str(tmp_path), "--replay-allow-drift"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hubspot-commprefs mock-server: --replay: the recording in ")
    assert "line 1: GET " in err
    assert "recorded header transfer-encoding" in err
    assert "Traceback" not in err
