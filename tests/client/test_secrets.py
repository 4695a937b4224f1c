"""The token never shows, even when a server or proxy echoes it back: in exception messages, str and repr,
the excerpts of bodies kept on exceptions, the header values in debug logs, and everything the command
line prints or writes (tables, ``--json``, every bulk column, recordings), whether the server echoes it raw
or with JSON's escapes, compared after decoding every JSON string."""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hubspot_commprefs import (
    APIConnectionError,
    AuthenticationError,
    CommPrefs,
    CommPrefsError,
    IncompleteResultError,
    InternalServerError,
    UnexpectedResponseError,
)
from hubspot_commprefs._logging import LOGGER_NAME, scrub, scrub_value
from hubspot_commprefs.bulk import journal_path
from hubspot_commprefs.cli import main

from tests.client_fixtures import (
    FULL_ERROR,
    TOKEN,
    LocalServer,
    action_body,
    ok,
    patch_sleeps,
    status_item,
    sync_client,
    wide_item,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ECHO = f"Authorization: Bearer {TOKEN}"


def _shown(error: BaseException) -> str:
    """Everything a user is likely to print of an exception."""
    parts = [str(error), repr(error), str(getattr(error, "message", ""))]
    parts += [str(getattr(error, name, "")) for name in ("text", "category", "correlation_id", "result")]
    parts.append(repr(getattr(error, "missing_scopes", "")))
    return "\n".join(parts)


def _error_of(*answers: object, **options: object) -> CommPrefsError:
    client, _ = sync_client(*answers, max_retries=0, **options)
    with pytest.raises(CommPrefsError) as caught:
        client.get_statuses("alice@example.com")
    return caught.value


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(401, text=f"<html><pre>{ECHO}</pre></html>"),
        httpx.Response(401, text="x" * 160 + f"Bearer {TOKEN}"),  # the excerpt's cut would fall inside it
        httpx.Response(
            401, json={"message": f"bad token {TOKEN}", "category": TOKEN, "correlationId": TOKEN}
        ),
        httpx.Response(403, json={"message": "m", "errors": [{"context": {"requiredScopes": [TOKEN]}}]}),
        httpx.Response(500, json={}, headers={"X-HubSpot-Correlation-Id": TOKEN}),
    ],
)
def test_an_echoed_token_never_shows_in_status_errors(response):
    error = _error_of(response)
    assert TOKEN not in _shown(error)
    assert "test-token" not in _shown(error)  # not even a piece of it


def test_a_token_echoed_with_json_escaped_slashes_never_shows():
    token = "pat/na1/0000/1111/secret"
    echoed = json.dumps({"token": token}).replace("/", "\\/")
    assert token not in echoed
    transport = httpx.MockTransport(lambda r: httpx.Response(502, text=f"<pre>{echoed}</pre>"))
    client = CommPrefs(access_token=token, max_retries=0, http_client=httpx.Client(transport=transport))
    with pytest.raises(InternalServerError) as caught:
        client.get_statuses("alice@example.com")
    assert "secret" not in str(caught.value)


def test_the_raw_body_and_headers_stay_available():
    error = _error_of(httpx.Response(401, text=ECHO))
    assert isinstance(error, AuthenticationError)
    assert error.body == ECHO
    assert "[redacted]" in str(error)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text=f"<html>{ECHO}</html>"),
        httpx.Response(200, text="x" * 160 + f"Bearer {TOKEN}"),
        httpx.Response(200, text=f"<p>{ECHO}</p>", headers={"Content-Type": f"text/html; {TOKEN}"}),
        ok(action_body([status_item(timestamp=f"{TOKEN}{TOKEN}")])),
        ok(action_body([status_item(timestamp=f"2026-03-12T14:02:11Z{TOKEN}")])),
        httpx.Response(302, text=ECHO, headers={"Location": "https://elsewhere.test/"}),
    ],
)
def test_an_echoed_token_never_shows_in_unexpected_response_errors(response):
    error = _error_of(response)
    assert isinstance(error, UnexpectedResponseError)
    assert TOKEN not in _shown(error)
    assert "test-token" not in _shown(error)
    assert TOKEN.encode() in error.content or TOKEN not in response.text


def test_an_echoed_token_never_shows_in_incomplete_result_errors():
    errors = [{"category": "X", "context": {}, "errors": [], "links": {}, "message": ECHO, "status": "error"}]
    client, _ = sync_client(ok(action_body([], status=f"PENDING {TOKEN}", errors=errors)))
    result = client.get_unsubscribe_all_status("alice@example.com")
    with pytest.raises(IncompleteResultError) as caught:
        result.raise_if_incomplete()
    assert TOKEN not in str(caught.value) + repr(caught.value) + repr(caught.value.result)
    assert "[redacted]" in str(caught.value)
    statuses = sync_client(ok(action_body([], status=f"PENDING {TOKEN}")))[0].get_statuses("a@example.com")
    assert TOKEN not in repr(statuses)
    with pytest.raises(IncompleteResultError) as caught:
        client.is_unsubscribed_from_all("alice@example.com")
    assert TOKEN not in str(caught.value)


def test_an_echoed_token_never_shows_in_connection_errors():
    error = _error_of(httpx.RemoteProtocolError(f"garbage from the server: {ECHO}"))
    assert isinstance(error, APIConnectionError)
    assert TOKEN not in _shown(error)


def test_echoed_header_values_are_scrubbed_from_debug_logs(caplog, monkeypatch):
    patch_sleeps(monkeypatch)
    caplog.set_level(logging.DEBUG)
    headers = {"X-Echo-Auth": f"Bearer {TOKEN}", "WWW-Authenticate": f'Bearer error="{TOKEN}"'}
    client, _ = sync_client(
        httpx.Response(503, text=ECHO, headers=headers), ok(None, **headers), max_retries=1
    )
    client.get_statuses("alice@example.com")
    assert "x-echo-auth" in caplog.text.lower()
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.__dict__)
    assert any(r.name == LOGGER_NAME and "[redacted]" in r.getMessage() for r in caplog.records)


def test_short_tokens_are_not_scrubbed_so_text_stays_readable():
    assert scrub("a bearer of abc news", "abc") == "a bearer of abc news"
    assert scrub(f"x{TOKEN}y{TOKEN}", TOKEN) == "x[redacted]y[redacted]"
    client = CommPrefs(access_token="abc", max_retries=0, http_client=httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(500, json={"message": "abc news"}))
    ))  # fmt: skip
    with pytest.raises(InternalServerError, match="abc news"):
        client.get_statuses("alice@example.com")


# '=' and '/' are what JSON encoders escape: Gson writes '=' as \u003d by default, others '/' as \/.
ECHOED = "pat-na1-echo/0123=4567+89ab"
ESCAPES = {
    "raw": ECHOED,
    "gson": ECHOED.replace("=", "\\u003d").replace("/", "\\/"),
    "every-character": "".join(f"\\u{ord(ch):04x}" for ch in ECHOED),
}


def test_scrub_reads_json_string_literals_as_json_decodes_them():
    for form in ESCAPES.values():
        text = '{"a": "x' + form + 'y", "' + form + '": ["' + form + '"], "b": "\\u00e9\\n"}'
        scrubbed = scrub(text, ECHOED)
        assert json.loads(scrubbed) == {"a": "x[redacted]y", "[redacted]": ["[redacted]"], "b": "\u00e9\n"}
        assert scrubbed.endswith('"b": "\\u00e9\\n"}')  # what does not hold the token stays byte for byte
    unrelated = '{"a": "\\u003d", "b": "\\x41 is not JSON"}'
    assert scrub(unrelated, ECHOED) is unrelated
    assert scrub('<p>"\\x41" "' + ESCAPES["gson"] + '"</p>', ECHOED) == '<p>"\\x41" "[redacted]"</p>'


def test_scrub_value_copies_only_what_held_the_token():
    clean = {"a": [1, "x", {"b": None}]}
    assert scrub_value(clean, ECHOED) is clean
    echoed = {"a": [1, ECHOED], ECHOED: {"c": f"<{ECHOED}>"}}
    assert scrub_value(echoed, ECHOED) == {"a": [1, "[redacted]"], "[redacted]": {"c": "<[redacted]>"}}
    assert echoed["a"] == [1, ECHOED]  # the value itself is never changed


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string of a decoded JSON value, keys included, and of any JSON text a string holds."""
    if isinstance(value, str):
        yield value
        if depth < 4 and value[:1] in ("{", "["):
            try:
                decoded = json.loads(value)
            except ValueError:
                return
            yield from _strings(decoded, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, depth)
            yield from _strings(item, depth)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, depth)


def _assert_never_echoed(text: str) -> None:
    """Neither in ``text`` as written, in any escaped form, nor in any string of it decoded as JSON (the
    whole text, each of its lines, each CSV cell)."""
    assert not any(form in text for form in ESCAPES.values())
    pieces: list[Any] = [text, *text.splitlines()]
    pieces += [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    for piece in pieces:
        try:
            decoded = json.loads(piece)
        except ValueError:
            decoded = piece
        assert not any(ECHOED in string for string in _strings(decoded))


class EchoServer(LocalServer):
    """127.0.0.1, a free port: every answer is a 200 that puts the token into every string field it can
    (``subscriptionName``, ``source``, ``legalBasisExplanation``, an unknown ``legalBasis``, ``links``, fields
    the spec lacks, as keys too), written as ``ESCAPES[escape]``. ``wide_status`` and ``errors`` make the
    other answers the commands print: an unknown wide status, an incomplete operation."""

    def __init__(self, escape: str, *, wide_status: str = "UNSUBSCRIBED", errors: bool = False) -> None:
        token = ECHOED
        extra = {"echo": token, token: [token]}
        statuses = action_body(
            [
                status_item(
                    subscriptionName=token,
                    source=token,
                    legalBasis=token,
                    legalBasisExplanation=token,
                    **extra,
                )
            ],
            links={token: token},
            **extra,
        )
        if errors:
            statuses["errors"] = [{**FULL_ERROR, "message": token, "context": {token: [token]}}]
        wide = action_body([wide_item(status=wide_status, **extra)], links={token: token}, **extra)
        bodies = {
            name: json.dumps(body).replace(token, ESCAPES[escape]).encode()
            for name, body in (("statuses", statuses), ("wide", wide))
        }

        super().__init__()
        self._bodies = bodies

    def body_for(self, raw_path: str) -> bytes:
        return self._bodies["wide" if raw_path.endswith("/unsubscribe-all") else "statuses"]


def _echoing(monkeypatch: pytest.MonkeyPatch, server: LocalServer) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", ECHOED)
    monkeypatch.setenv("HUBSPOT_BASE_URL", server.url)


def _recording(directory: Path) -> str:
    """The recording's text and each recorded body (a JSON string inside each line)."""
    text = (directory / "recording.jsonl").read_text(encoding="utf-8")
    bodies = [json.loads(line)["response"]["body"] for line in text.splitlines()]
    assert bodies
    return "\n".join([text, *bodies])


@pytest.mark.parametrize("escape", ESCAPES)
@pytest.mark.parametrize(
    "argv",
    [
        ["statuses", "alice@example.com"],
        ["statuses", "alice@example.com", "--json"],
        ["unsubscribe-all", "alice@example.com"],
        ["unsubscribe-all", "alice@example.com", "--json"],
    ],
    ids=" ".join,
)
def test_the_lookups_never_print_or_record_an_echoed_token(
    argv: list[str],
    escape: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with EchoServer(escape) as server:
        _echoing(monkeypatch, server)
        code = main([*argv, "--record", str(tmp_path / "rec")])
    out, err = capsys.readouterr()
    assert code == 0, err
    shows_server_text = argv != ["unsubscribe-all", "alice@example.com"]  # that table shows enums only
    assert ("[redacted]" in out) is shows_server_text
    assert err.count("holds the access token (echoed back): it is shown as [redacted]") == shows_server_text
    for text in (out, err, _recording(tmp_path / "rec")):
        _assert_never_echoed(text)
    if "--json" in argv:
        assert json.loads(out)["links"] == {"[redacted]": "[redacted]"}  # the body's shape is kept


@pytest.mark.parametrize(
    ("argv", "server_options"),
    [
        (["statuses", "alice@example.com"], {"errors": True}),
        (["statuses", "alice@example.com", "--json"], {"errors": True}),
        (["unsubscribe-all", "alice@example.com"], {"wide_status": ECHOED}),
        (["unsubscribe-all", "alice@example.com", "--json"], {"wide_status": ECHOED}),
    ],
)
def test_what_the_lookups_say_about_an_answer_never_echoes_the_token(
    argv: list[str],
    server_options: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with EchoServer("gson", **server_options) as server:
        _echoing(monkeypatch, server)
        code = main(argv)
    out, err = capsys.readouterr()
    assert code == 1  # an incomplete answer, a wide status unknown to the client
    assert "[redacted]" in err
    _assert_never_echoed(out + err)


def test_a_lookup_without_the_token_in_its_answer_says_nothing_about_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalServer() as server:
        _echoing(monkeypatch, server)
        assert main(["statuses", "alice@example.com", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "Newsletter" in out
    assert "access token" not in err


@pytest.mark.parametrize(
    "case", list(itertools.product(["raw", "gson"], ["csv", "jsonl"], ["UNSUBSCRIBED", ECHOED])), ids=str
)
def test_bulk_never_writes_an_echoed_token(
    case: tuple[str, str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    escape, output_format, wide_status = case
    ids = tmp_path / "ids.txt"
    ids.write_text("".join(f"user{i}@example.com\n" for i in range(6)))
    output = tmp_path / f"out.{output_format}"
    with EchoServer(escape, wide_status=wide_status) as server:
        _echoing(monkeypatch, server)
        code = main(
            ["bulk", str(ids), "-o", str(output), "--check", "both", "--rate", "1000/1s", "--no-progress",
             "--concurrency", "3", "--record", str(tmp_path / "rec")]
        )  # fmt: skip
    _, err = capsys.readouterr()
    written = output.read_text(encoding="utf-8")
    assert code == (0 if wide_status == "UNSUBSCRIBED" else 1), err  # an unknown wide status: error rows
    assert written.count("[redacted]") >= 6
    assert "the answers of 6 rows hold the access token (echoed back): written as [redacted]" in err
    assert not journal_path(output).exists()
    for text in (written, err, _recording(tmp_path / "rec")):
        _assert_never_echoed(text)


def test_bulk_to_standard_output_never_writes_an_echoed_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("alice@example.com\n")
    with EchoServer("every-character") as server:
        _echoing(monkeypatch, server)
        assert main(["bulk", str(ids), "--format", "jsonl", "--rate", "1000/1s", "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["statuses"][0]["name"] == "[redacted]"
    assert "the answers of 1 row hold the access token" in err
    _assert_never_echoed(out + err)
