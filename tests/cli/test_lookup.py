"""``hubspot-commprefs statuses`` and ``unsubscribe-all`` against the fake HubSpot server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import httpx
import hubspot_commprefs
import pytest
from hubspot_commprefs.cli import main
from hubspot_commprefs.testing import FakeHubSpot

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def server() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as running:
        yield running


def test_statuses_prints_a_table(env: FakeHubSpot, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["statuses", "alice@example.com"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("alice@example.com, the default business unit: 1 subscribed, 1 unsubscribed")
    header = out.splitlines()[2].split()
    assert header[:3] == ["ID", "SUBSCRIPTION", "STATUS"]
    assert "Newsletter" in out
    assert "SUBSCRIBED" in out


def test_statuses_json_is_hubspots_answer(env: FakeHubSpot, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["statuses", "alice@example.com", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["status"] == "COMPLETE"
    assert {item["subscriberIdString"] for item in body["results"]} == {"alice@example.com"}


def test_unsubscribe_all_says_portal_wide(env: FakeHubSpot, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["unsubscribe-all", "bob@example.com"]) == 0
    out = capsys.readouterr().out
    assert "UNSUBSCRIBED from all email, portal-wide" in out
    assert "PORTAL_WIDE" in out


def test_unsubscribe_all_not_opted_out_and_verbose_json(
    env: FakeHubSpot, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["unsubscribe-all", "alice@example.com"]) == 0
    assert "not unsubscribed from all email" in capsys.readouterr().out
    assert main(["unsubscribe-all", "alice@example.com", "--verbose", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["status"] == "COMPLETE"
    assert "verbose=true" in env.requests[-1].query


def test_business_unit_is_sent(env: FakeHubSpot, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--business-unit-id", "0", "statuses", "alice@example.com"])
    assert "businessUnitId=0" in env.requests[-1].query
    assert "business unit 0" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "token", "code", "message"),
    [
        (["statuses", ".."], "good", 2, "would change which URL"),
        (["statuses", "a" * 70_000 + "@x.com"], "good", 2, "subscriber id"),
        (["--business-unit-id", str(2**63), "statuses", "a@x.com"], "good", 2, "int64 range"),
        (["statuses", "a@x.com"], "", 2, "HUBSPOT_ACCESS_TOKEN"),
        (
            ["statuses", "a@x.com"],
            "wrong-token",
            1,
            "HubSpot refused the token (HTTP 401 INVALID_AUTHENTICATION): Authentication",
        ),
        (["unsubscribe-all", "a@x.com"], "no-scope", 1, "PermissionDeniedError: HTTP 403"),
    ],
)
def test_failures_exit_with_the_documented_codes(
    env: FakeHubSpot,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    argv: list[str],
    token: str,
    code: int,
    message: str,
) -> None:
    tokens = {
        "good": env.token,
        "no-scope": env.token_without_scope or "",
        "": "",
        "wrong-token": "wrong-token",
    }
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", tokens[token])
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err
    assert env.token not in err


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_token_variable_is_a_usage_error_in_the_commands_words(
    env: FakeHubSpot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", value)
    assert main(["statuses", "a@x.com"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "hubspot-commprefs: no HubSpot access token: set the HUBSPOT_ACCESS_TOKEN environment variable\n"
    )
    assert env.requests == []


def test_an_unreachable_server_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "any")
    with FakeHubSpot() as stopped:
        url = stopped.base_url
    assert main(["--base-url", url, "statuses", "a@x.com"]) == 1
    assert "APIConnectionError" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["statuses", "unsubscribe-all", "bulk"])
def test_each_command_documents_its_exit_codes(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out.lower()
    assert "exit codes" in out
    assert "130" in out


def test_help_imports_neither_bulk_nor_the_harness() -> None:
    heavy = ("hubspot_commprefs.bulk", "hubspot_commprefs.testing", "hubspot_commprefs.conformance", "yaml")
    code = (
        "import sys; from hubspot_commprefs.cli import build_parser; build_parser(); "
        f"print(sorted(m for m in sys.modules if m.startswith({heavy!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_an_unknown_wide_status_is_not_shown_as_a_no(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {
        "status": "COMPLETE",
        "startedAt": "2026-03-18T09:20:31.010Z",
        "completedAt": "2026-03-18T09:20:31.051Z",
        "results": [
            {
                "channel": "EMAIL",
                "status": "OPTED_OUT",
                "subscriberIdString": "a@x.com",
                "timestamp": "2025-12-24T21:07:44Z",
                "wideStatusType": "PORTAL_WIDE",
            }
        ],
    }
    answer_with(monkeypatch, body)
    assert main(["unsubscribe-all", "a@x.com"]) == 1
    captured = capsys.readouterr()
    assert "not unsubscribed" not in captured.out
    assert "CANNOT TELL" in captured.out
    assert "OPTED_OUT" in captured.out
    assert "OPTED_OUT" in captured.err


def test_an_unsubscribed_wide_status_is_shown_even_next_to_an_unknown_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    item = {"channel": "EMAIL", "subscriberIdString": "a@x.com", "timestamp": "2025-12-24T21:07:44Z"}
    body = {
        "status": "COMPLETE",
        "startedAt": "2026-03-18T09:20:31.010Z",
        "completedAt": "2026-03-18T09:20:31.051Z",
        "results": [
            {**item, "status": "OPTED_OUT", "wideStatusType": "PORTAL_WIDE"},
            {**item, "status": "UNSUBSCRIBED", "wideStatusType": "BUSINESS_UNIT_WIDE", "businessUnitId": 7},
        ],
    }
    answer_with(monkeypatch, body)
    assert main(["unsubscribe-all", "a@x.com"]) == 0
    captured = capsys.readouterr()
    assert "UNSUBSCRIBED from all email of business unit 7" in captured.out
    assert "CANNOT TELL" not in captured.out
    assert captured.err == ""


def test_an_answer_with_errors_is_never_a_definite_no(
    env: FakeHubSpot, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fake server has no business unit 1: a 200 whose body carries errors.
    assert main(["--business-unit-id", "1", "unsubscribe-all", "bob@example.com"]) == 1
    captured = capsys.readouterr()
    assert "not unsubscribed" not in captured.out
    assert "CANNOT TELL" in captured.out
    assert "Business unit 1 does not exist" in captured.err
    assert main(["--business-unit-id", "1", "statuses", "bob@example.com"]) == 1
    captured = capsys.readouterr()
    assert "CANNOT TELL (" in captured.out
    assert "cannot tell: HubSpot's answer is not a clean one" in captured.err


def test_the_readmes_business_unit_example_exits_0(
    env: FakeHubSpot, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--business-unit-id", "1021", "unsubscribe-all", "bob@example.com", "--verbose", "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "COMPLETE"


@pytest.mark.parametrize("subscriber", ["", " ", "\t "])
def test_a_blank_id_is_a_usage_error_and_not_sent(
    env: FakeHubSpot, capsys: pytest.CaptureFixture[str], subscriber: str
) -> None:
    before = len(env.requests)
    assert main(["statuses", subscriber]) == 2
    assert main(["unsubscribe-all", subscriber]) == 2
    assert len(env.requests) == before
    assert "empty subscriber id" in capsys.readouterr().err


def test_a_control_character_in_an_id_is_not_echoed_raw(
    env: FakeHubSpot, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(env.requests)
    assert main(["statuses", "a\x1b[31mb@example.com"]) == 2
    assert main(["unsubscribe-all", "a\x1b[31mb@example.com"]) == 2
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err
    assert "the subscriber id contains a control character" in captured.err
    assert len(env.requests) == before


@pytest.mark.parametrize(
    ("subscriber", "problem"),
    [
        ("bob@example.com ", None),
        (" bob@example.com", None),
        ("alice smith@example.com", "contains whitespace"),
    ],
)
def test_single_lookups_follow_the_same_id_rule_as_bulk(
    env: FakeHubSpot, capsys: pytest.CaptureFixture[str], subscriber: str, problem: str | None
) -> None:
    """``unsubscribe-all "bob@example.com "`` used to send the space and answer "not unsubscribed" for a
    contact who opted out; the CLI now strips it as bulk does, and refuses what bulk calls invalid."""
    from tests.bulk_helpers import rows_from_ids

    (row,) = rows_from_ids([subscriber])
    code = main(["unsubscribe-all", subscriber, "--json"])
    captured = capsys.readouterr()
    if problem is None:
        assert code == 0
        assert row.problem is None
        (status,) = json.loads(captured.out)["results"]
        assert status["subscriberIdString"] == "bob@example.com"
        assert status["status"] == "UNSUBSCRIBED"
        assert env.requests[-1].path.endswith("/bob%40example.com/unsubscribe-all")
    else:
        assert code == 2
        assert problem in captured.err
        assert row.problem == f"the subscriber id {problem}"
        assert row.problem in captured.err


def _run_with_stdout(stdout: int, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hubspot_commprefs.cli", *argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    "argv", [["statuses", "alice@example.com", "--json"], ["unsubscribe-all", "bob@example.com"]]
)
def test_a_closed_stdout_exits_1_without_a_traceback(env: FakeHubSpot, argv: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # no reader at all: the first write fails, as after `| head` exits
    try:
        result = _run_with_stdout(write, *argv)
    finally:
        os.close(write)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_stdout_exits_1_with_a_clear_message(env: FakeHubSpot) -> None:
    with open("/dev/full", "w") as full:
        result = _run_with_stdout(full.fileno(), "statuses", "alice@example.com")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot write the answer to standard output: No space left on device" in result.stderr


# HubSpot's order of keys (results first), a field the spec lacks, a null, date-times with and without
# milliseconds and "Z", non-ASCII text and a lone surrogate (valid JSON, not UTF-8).
SENT_AS_IS = b"""{"results": [{"subscriberIdString": "alice@example.com", "timestamp": "2025-12-24T21:07:44Z",
 "subscriptionId": 1, "subscriptionName": "Caf\\u00e9 \\ud800 news", "status": "SUBSCRIBED", "channel": "EMAIL",
 "source": "Self service", "legalBasis": null, "setStatusSuccessReason": "x", "newField": {"b": 1, "a": 2}}],
 "completedAt": "2026-03-18T09:20:31.051000Z", "startedAt": "2026-03-18T09:20:31Z", "status": "COMPLETE"}"""


def _answer_bytes(monkeypatch: pytest.MonkeyPatch, sent: bytes) -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=sent, headers={"Content-Type": "application/json"})
    )
    real = hubspot_commprefs.CommPrefs

    def on_mock(**options: Any) -> Any:
        return real(**options, http_client=httpx.Client(transport=transport))

    monkeypatch.setattr(hubspot_commprefs, "CommPrefs", on_mock)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "t")


@pytest.mark.parametrize("command", ["statuses", "unsubscribe-all"])
def test_json_prints_hubspots_bytes_as_received(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = SENT_AS_IS
    if command == "unsubscribe-all":
        sent = sent.replace(b'"subscriptionId": 1,', b'"wideStatusType": "PORTAL_WIDE",')
    _answer_bytes(monkeypatch, sent)
    assert main([command, "alice@example.com", "--json"]) == 0
    # Byte for byte: its spacing and line breaks, JSON escapes (\u00e9) as sent; one newline after it.
    assert capsys.readouterr().out == sent.decode() + "\n"


def test_json_writes_a_raw_lone_surrogate_as_jsons_escape(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = SENT_AS_IS.replace(b"\\ud800", "\ud800".encode("utf-8", "surrogatepass"))
    _answer_bytes(monkeypatch, raw)  # valid for json.loads, not UTF-8: written as JSON's own escape
    assert main(["statuses", "alice@example.com", "--json"]) == 0
    assert capsys.readouterr().out == SENT_AS_IS.decode() + "\n"


@pytest.mark.parametrize("command", ["statuses", "unsubscribe-all"])
def test_pretty_indents_hubspots_body_keeping_what_was_sent(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = SENT_AS_IS
    if command == "unsubscribe-all":
        sent = sent.replace(b'"subscriptionId": 1,', b'"wideStatusType": "PORTAL_WIDE",')
    _answer_bytes(monkeypatch, sent)
    main([command, "alice@example.com", "--pretty"])  # --pretty implies --json
    out = capsys.readouterr().out
    assert out.startswith('{\n  "results": [\n')
    # Keys in the order sent, strings unchanged (no "+00:00" for "Z"), null and unknown fields kept.
    assert json.loads(out, object_pairs_hook=list) == json.loads(sent, object_pairs_hook=list)
    assert '"timestamp": "2025-12-24T21:07:44Z"' in out
    assert "Café \\ud800 news" in out  # readable, and the lone surrogate as JSON's escape


def test_the_id_shown_is_the_id_looked_up(env, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["unsubscribe-all", "  bob@example.com\t"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("bob@example.com, the default business unit: ")


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hubspot_commprefs", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("hubspot-commprefs ")


@pytest.mark.parametrize(
    ("argv", "out"),
    [
        (["statuses", "alice@example.com"], "1 subscribed, 1 unsubscribed"),
        (["statuses", "alice@example.com", "--json"], '"channel":"WHATSAPP"'),
        (["unsubscribe-all", "bob@example.com"], "UNSUBSCRIBED from all email, portal-wide"),
        (["unsubscribe-all", "bob@example.com", "--pretty"], '"channel": "WHATSAPP"'),
    ],
)
def test_statuses_for_another_channel_are_shown_with_a_warning_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], out: str
) -> None:
    with FakeHubSpot(faults=["enum-value"]) as drifted:  # every item's channel is WHATSAPP
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", drifted.token)
        monkeypatch.setenv("HUBSPOT_BASE_URL", drifted.base_url)
        assert main(argv) == 0  # the exit code is unchanged: HubSpot answered
        assert "channel=EMAIL" in drifted.requests[-1].query
    captured = capsys.readouterr()
    assert out in captured.out
    assert captured.err == (
        "hubspot-commprefs: warning: HubSpot's answer holds statuses for channel WHATSAPP, not EMAIL, "
        "the channel asked about (shown as received)\n"
    )


def test_only_the_other_channels_are_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    item = {"subscriberIdString": "a@x.com", "timestamp": "2025-12-24T21:07:44Z", "status": "UNSUBSCRIBED"}
    body = {
        "status": "COMPLETE",
        "startedAt": "2026-03-18T09:20:31.010Z",
        "completedAt": "2026-03-18T09:20:31.051Z",
        "results": [
            {**item, "channel": "EMAIL", "wideStatusType": "PORTAL_WIDE"},
            {**item, "channel": "WHATSAPP", "wideStatusType": "PORTAL_WIDE"},
            {**item, "channel": "SMS", "wideStatusType": "BUSINESS_UNIT_WIDE", "businessUnitId": 7},
        ],
    }
    answer_with(monkeypatch, body)
    assert main(["unsubscribe-all", "a@x.com"]) == 0
    captured = capsys.readouterr()
    assert "UNSUBSCRIBED from all email, portal-wide" in captured.out
    assert "channels SMS, WHATSAPP, not EMAIL" in captured.err
    assert len(captured.err.splitlines()) == 1


def answer_with(monkeypatch: pytest.MonkeyPatch, body: dict[str, Any]) -> None:
    """The commands' client answers every request with a 200 carrying ``body``."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    real = hubspot_commprefs.CommPrefs

    def on_mock(**options: Any) -> Any:
        return real(**options, http_client=httpx.Client(transport=transport))

    monkeypatch.setattr(hubspot_commprefs, "CommPrefs", on_mock)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "t")
