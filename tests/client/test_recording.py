"""Recording (``record_to=``): every answer the clients receive lands in DIR/recording.jsonl, as received,
never with the token, safely from many threads and tasks, and without changing what a call does."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from hubspot_commprefs import CommPrefs, InternalServerError, NotFoundError, UnexpectedResponseError
from hubspot_commprefs.client import _recording
from hubspot_commprefs.client._recording import RECORDING_FILE, Recorder, RecordingError, read_recording

from tests.client_fixtures import STATUSES_BODY, TOKEN, async_client, ok, sync_client, wide_item
from tests.spec_helpers import operations

STATUSES_PATH = operations()["getStatuses"][0].format(subscriberIdString="alice%40example.com")


def lines(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (directory / RECORDING_FILE).read_bytes().splitlines() if line]


def every_file_bytes(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in directory.rglob("*") if path.is_file())


def test_an_answer_is_recorded_with_its_request_status_kept_headers_and_body(tmp_path: Path) -> None:
    raw = json.dumps(STATUSES_BODY, indent=1).encode()  # formatting kept: the body exactly as received
    answer = httpx.Response(
        200,
        content=raw,
        headers={
            "Content-Type": "application/json;charset=utf-8",
            "X-HubSpot-RateLimit-Remaining": "99",
            "X-HubSpot-Correlation-Id": "3f1e2c4a-9b7d-4e6f-8a1b-2c3d4e5f6a7b",
            "Set-Cookie": "session=abc",
            "Server": "nginx",
        },
    )
    client, _ = sync_client(answer, record_to=tmp_path)
    with client:
        client.get_statuses("alice@example.com", business_unit_id=7)
    [line] = lines(tmp_path)
    assert line["recording"] == 1
    assert line["request"] == {
        "method": "GET",
        "path": STATUSES_PATH,
        "query": "channel=EMAIL&businessUnitId=7",
        "with_token": True,
    }
    response = line["response"]
    assert response["status"] == 200
    assert response["headers"] == {
        "content-type": "application/json;charset=utf-8",
        "x-hubspot-ratelimit-remaining": "99",
        "x-hubspot-correlation-id": "3f1e2c4a-9b7d-4e6f-8a1b-2c3d4e5f6a7b",
    }
    assert response["base64"] is False
    assert response["body"].encode() == raw


def test_a_gzipped_answer_is_recorded_decoded(tmp_path: Path) -> None:
    raw = json.dumps(STATUSES_BODY).encode()
    answer = httpx.Response(
        200,
        content=gzip.compress(raw),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    client, _ = sync_client(answer, record_to=tmp_path)
    with client:
        client.get_statuses("alice@example.com")
    [line] = lines(tmp_path)
    assert line["response"]["body"].encode() == raw
    assert "content-encoding" not in line["response"]["headers"]


def test_a_body_that_is_not_utf8_is_recorded_in_base64_and_read_back_exactly(tmp_path: Path) -> None:
    raw = b"\xff\xfe<html>not json \x80</html>"
    answer = httpx.Response(502, content=raw, headers={"Content-Type": "text/html"})
    client, _ = sync_client(answer, max_retries=0, record_to=tmp_path)
    with client, pytest.raises(InternalServerError, match="HTTP 502"):
        client.get_statuses("alice@example.com")
    [line] = lines(tmp_path)
    assert line["response"]["base64"] is True
    assert base64.b64decode(line["response"]["body"]) == raw
    [answer], skipped = read_recording(tmp_path)
    assert skipped == []
    assert answer.body == raw
    assert answer.status == 502


def test_error_answers_and_drifted_ones_are_recorded_too(tmp_path: Path) -> None:
    client, _ = sync_client(
        httpx.Response(404, json={"message": "nope", "category": "OBJECT_NOT_FOUND"}),
        ok({"status": "COMPLETE", "results": "not a list"}),
        max_retries=0,
        record_to=tmp_path,
    )
    with client:
        with pytest.raises(NotFoundError):
            client.get_statuses("alice@example.com")
        with pytest.raises(UnexpectedResponseError):
            client.get_statuses("alice@example.com")
    assert [line["response"]["status"] for line in lines(tmp_path)] == [404, 200]


def test_an_answer_a_response_hook_raised_for_is_recorded(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"message": "nope"}, request=request)

    http = httpx.Client(
        transport=httpx.MockTransport(answer),
        event_hooks={"response": [lambda r: (r.read(), r.raise_for_status())]},
    )
    with (
        CommPrefs(access_token=TOKEN, http_client=http, record_to=tmp_path) as client,
        pytest.raises(NotFoundError),
    ):
        client.get_statuses("alice@example.com")
    [line] = lines(tmp_path)
    assert line["response"]["status"] == 404
    assert json.loads(line["response"]["body"]) == {"message": "nope"}


def test_the_token_is_never_written_even_when_the_server_echoes_it(tmp_path: Path) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        authorization = request.headers["authorization"]
        if "unsubscribe-all" in request.url.path:  # not UTF-8: written in base64, token scrubbed first
            return httpx.Response(500, content=b"\xff" + authorization.encode(), headers={"Retry-After": "0"})
        body = {**STATUSES_BODY, "echo": authorization, "escaped": TOKEN.replace("-", "/")}
        return httpx.Response(
            200,
            json=body,
            headers={"X-HubSpot-Correlation-Id": authorization, "WWW-Authenticate": authorization},
        )

    client, _ = sync_client(echo, record_to=tmp_path, max_retries=0)
    with client:
        result = client.get_statuses("alice@example.com")
        with pytest.raises(InternalServerError, match="HTTP 500"):
            client.get_unsubscribe_all_status("alice@example.com")
    assert result.body["echo"] == f"Bearer {TOKEN}"  # what the caller gets is untouched
    written = every_file_bytes(tmp_path)
    assert TOKEN.encode() not in written
    assert b"authorization" not in written.lower()
    answers, _ = read_recording(tmp_path)
    assert len(answers) == 2
    for answer in answers:
        assert TOKEN.encode() not in answer.body
    assert b"[redacted]" in answers[0].body
    assert answers[1].body == b"\xffBearer [redacted]"


def test_recording_changes_nothing_the_caller_gets(tmp_path: Path) -> None:
    answers = [ok(STATUSES_BODY, **{"X-HubSpot-RateLimit-Max": "100"})]
    plain, _ = sync_client(*answers)
    recording, _ = sync_client(*answers, record_to=tmp_path)
    with plain, recording:
        expected = plain.get_statuses("alice@example.com")
        got = recording.get_statuses("alice@example.com")
    assert got.model.to_dict() == expected.model.to_dict()
    assert got.body == expected.body
    assert got.rate_limit == expected.rate_limit


def test_many_threads_append_whole_lines(tmp_path: Path) -> None:
    client, _ = sync_client(ok(), record_to=tmp_path)
    threads, calls = 8, 40
    with client:

        def work() -> None:
            for _ in range(calls):
                client.get_statuses("alice@example.com")

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    answers, skipped = read_recording(tmp_path)
    assert skipped == []
    assert len(answers) == threads * calls
    assert all(json.loads(a.body) == STATUSES_BODY for a in answers)


def test_many_tasks_append_whole_lines(tmp_path: Path) -> None:
    client, _ = async_client(ok({"status": "COMPLETE", **STATUSES_BODY}), record_to=tmp_path)

    async def main() -> None:
        async with client:
            await asyncio.gather(*(client.get_statuses("alice@example.com") for _ in range(60)))

    asyncio.run(main())
    answers, skipped = read_recording(tmp_path)
    assert skipped == []
    assert len(answers) == 60


def test_the_async_client_records_the_unsubscribe_all_answer(tmp_path: Path) -> None:
    body = {**STATUSES_BODY, "results": [wide_item()]}
    client, _ = async_client(ok(body), record_to=tmp_path)

    async def main() -> None:
        async with client:
            await client.get_unsubscribe_all_status("bob@example.com", verbose=True)

    asyncio.run(main())
    [line] = lines(tmp_path)
    assert line["request"]["path"].endswith("/statuses/bob%40example.com/unsubscribe-all")
    assert line["request"]["query"] == "channel=EMAIL&verbose=true"
    assert json.loads(line["response"]["body"]) == body


def test_a_line_cut_short_by_a_crash_stays_apart_and_is_skipped_when_read(tmp_path: Path) -> None:
    client, _ = sync_client(ok(), record_to=tmp_path)
    with client:
        client.get_statuses("alice@example.com")
    path = tmp_path / RECORDING_FILE
    whole = path.read_bytes()
    path.write_bytes(whole + whole[: len(whole) // 2])  # a crash in the middle of the second line
    client, _ = sync_client(ok(), record_to=tmp_path)  # the next run appends after it
    with client:
        client.get_statuses("alice@example.com")
    answers, skipped = read_recording(tmp_path)
    assert [a.line for a in answers] == [1, 3]
    assert len(skipped) == 1
    assert skipped[0].startswith("line 2: not a complete JSON object")


def test_a_line_over_the_limit_is_skipped_and_the_next_one_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = sync_client(ok(), record_to=tmp_path)
    with client:
        client.get_statuses("alice@example.com")
    path = tmp_path / RECORDING_FILE
    whole = path.read_bytes()
    monkeypatch.setattr(_recording, "MAX_LINE_BYTES", len(whole))
    path.write_bytes(whole + b"x" * (3 * len(whole)) + b"\n" + whole)
    answers, skipped = read_recording(tmp_path)
    assert [a.line for a in answers] == [1, 3]
    assert skipped == [f"line 2: longer than {len(whole):,} bytes"]


def test_a_write_that_fails_changes_nothing_and_is_logged_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = sync_client(ok(), record_to=tmp_path)

    def full(path: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "open", full)
    with client, caplog.at_level(logging.WARNING, logger="hubspot_commprefs"):
        for _ in range(3):
            assert client.get_statuses("alice@example.com").is_complete
    assert client.recorder is not None
    assert client.recorder.failed == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "No space left on device" in warnings[0]
    assert TOKEN not in warnings[0]


def test_record_to_must_be_a_directory_that_can_be_written(tmp_path: Path) -> None:
    file = tmp_path / "a-file"
    file.write_text("x")
    with pytest.raises(RecordingError, match=r"record_to: .*a-file' is not a directory"):
        CommPrefs(access_token=TOKEN, record_to=file)
    with pytest.raises(ValueError, match=r"record_to: cannot write a recording in .*under"):
        CommPrefs(access_token=TOKEN, record_to=file / "under")
    with pytest.raises(ValueError, match="record_to: the directory name is empty"):
        CommPrefs(access_token=TOKEN, record_to="  ")
    with pytest.raises(TypeError, match="record_to must be a path"):
        CommPrefs(access_token=TOKEN, record_to=3)  # type: ignore[arg-type]
    made = tmp_path / "new" / "dir"
    with CommPrefs(access_token=TOKEN, record_to=made) as client:  # created when missing
        assert (made / RECORDING_FILE).is_file()
        assert "new" in repr(client.recorder)
    assert TOKEN not in repr(client.recorder)


def _line(request: dict[str, Any] | None = None, response: dict[str, Any] | None = None) -> bytes:
    """A recording line with every field right, but for those given."""
    return json.dumps(
        {
            "recording": 1,
            "request": {"method": "GET", "path": "/x", "query": "", "with_token": True, **(request or {})},
            "response": {"status": 200, "headers": {}, "body": "", "base64": False, **(response or {})},
        }
    ).encode()


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b'{"recording": 1, "request": {', "not a complete JSON object"),
        (b"[1, 2]", "the line is not an object"),
        (b'{"recording": 2}', "recording format 2"),
        (b'{"recording": 1, "request": {}, "response": {}}', "response.status is missing"),
        (_line(response={"headers": {"a\nb": "c"}}), "is not a header a server can send"),
        (_line(response={"headers": {"a": "b\r\nc: d"}}), "is not a header a server can send"),
        (_line(response={"body": "%%%", "base64": True}), "not valid base64"),
        (_line(request={"with_token": "yes"}), "request.with_token has the wrong type (str)"),
        (_line(request={"path": "x"}), "request.path must start with /"),
        (_line(response={"status": 42}), "response.status 42 is not an HTTP status"),
        (_line(response={"body": "\ud800"}), "lone surrogate"),
    ],
)
def test_a_line_that_cannot_be_read_is_skipped_saying_why(tmp_path: Path, line: bytes, why: str) -> None:
    good = Recorder(tmp_path)
    good.record(
        method="GET", path="/x", query="", with_token=True, status=200, headers=[], body=b"{}", secret=None
    )
    with (tmp_path / RECORDING_FILE).open("ab") as file:
        file.write(line + b"\n")
    answers, skipped = read_recording(tmp_path)
    assert len(answers) == 1
    assert len(skipped) == 1
    assert skipped[0].startswith("line 2: ")
    assert why in skipped[0]


def test_reading_a_recording_that_is_not_there_names_the_problem(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"replay: .*nowhere' does not exist"):
        read_recording(tmp_path / "nowhere")
    (tmp_path / "file").write_text("x")
    with pytest.raises(RecordingError, match=r"replay: .*file' is not a directory"):
        read_recording(tmp_path / "file")
    with pytest.raises(RecordingError, match=r"holds no recording.jsonl"):
        read_recording(tmp_path)
