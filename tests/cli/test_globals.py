"""The global options: ``--base-url`` is the flag only (the lookup commands fall back to the environment
themselves, ``conformance`` must not), and a base URL that is empty or has no valid port is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hubspot_commprefs.cli import build_parser, main
from hubspot_commprefs.testing import FakeHubSpot

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as running:
        yield running


def test_the_global_base_url_is_only_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_BASE_URL", "http://127.0.0.1:9/")
    assert build_parser().parse_args(["conformance"]).base_url is None
    assert build_parser().parse_args(["statuses", "a@x.com"]).base_url is None
    given = build_parser().parse_args(["--base-url", "http://127.0.0.1:8/", "conformance"])
    assert given.base_url == "http://127.0.0.1:8/"


def test_lookups_still_use_the_environments_base_url(
    server: FakeHubSpot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", server.token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", server.base_url)
    before = len(server.requests)
    assert main(["statuses", "alice@example.com"]) == 0
    assert len(server.requests) == before + 1
    assert "alice@example.com" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("http://127.0.0.1:99999", "invalid port"),
        ("http://127.0.0.1:80x", "invalid port"),
    ],
)
def test_a_base_url_flag_that_cannot_be_one_is_a_usage_error(
    url: str, message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "t")
    with pytest.raises(SystemExit) as exit_info:
        main(["--base-url", url, "statuses", "alice@example.com"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_base_url_variable_with_a_bad_port_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "t")
    monkeypatch.setenv("HUBSPOT_BASE_URL", "http://127.0.0.1:99999")
    assert main(["statuses", "alice@example.com"]) == 2
    assert main(["bulk", "-", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("HUBSPOT_BASE_URL: the base URL http://127.0.0.1:99999 has an invalid port") == 2


@pytest.mark.parametrize("command", [["statuses", "a@x.com"], ["bulk", "-", "--no-progress"]])
def test_no_token_says_set_the_variable_not_pass_an_argument(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert "set the HUBSPOT_ACCESS_TOKEN environment variable" in err
    assert "access_token=" not in err


COMMANDS_WITH_GLOBALS = (
    ["statuses", "alice@example.com"],
    ["unsubscribe-all", "alice@example.com"],
    ["bulk", "in.csv"],
    ["conformance"],
)
GLOBALS = ["--base-url", "http://127.0.0.1:8/", "--business-unit-id", "1021", "--timeout", "2.5"]


@pytest.mark.parametrize("command", COMMANDS_WITH_GLOBALS, ids=lambda c: c[0])
def test_global_options_mean_the_same_before_or_after_the_command(command: list[str]) -> None:
    before = build_parser().parse_args([*GLOBALS, *command])
    after = build_parser().parse_args([*command, *GLOBALS])
    for args in (before, after):
        assert (args.base_url, args.business_unit_id, args.timeout) == ("http://127.0.0.1:8/", 1021, 2.5)
    given_neither = build_parser().parse_args(command)
    assert (given_neither.base_url, given_neither.business_unit_id, given_neither.timeout) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize("command", COMMANDS_WITH_GLOBALS, ids=lambda c: c[0])
def test_a_global_option_after_the_command_wins_over_one_before(command: list[str]) -> None:
    args = build_parser().parse_args(
        ["--business-unit-id", "1", "--timeout", "9", *command, "--business-unit-id", "2"]
    )
    assert args.business_unit_id == 2
    assert args.timeout == 9.0  # given only before: kept


@pytest.mark.parametrize("command", COMMANDS_WITH_GLOBALS, ids=lambda c: c[0])
def test_each_commands_help_lists_the_global_options(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command[0], "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "global options (before or after the command)" in out
    for flag in ("--base-url URL", "--business-unit-id ID", "--timeout SECONDS"):
        assert flag in out


def test_a_bad_global_option_after_the_command_is_refused_as_before_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (["statuses", "a@x.com", "--timeout", "0"], ["--timeout", "0", "statuses", "a@x.com"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert "argument --timeout: must be more than 0" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["mock-server"], ["spec-diff", "other.yaml"]])
def test_a_global_option_before_a_command_that_has_no_use_for_it_is_refused(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--base-url", "http://127.0.0.1:8/", *command])
    assert exit_info.value.code == 2
    assert f"--base-url does not apply to {command[0]}" in capsys.readouterr().err


def test_lookups_take_the_options_after_the_command(
    server: FakeHubSpot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", server.token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", "http://127.0.0.1:9/")  # the flag after the command must win
    argv = ["statuses", "alice@example.com", "--business-unit-id", "0", "--base-url", server.base_url]
    assert main(argv) == 0
    assert "businessUnitId=0" in server.requests[-1].query
    assert "business unit 0" in capsys.readouterr().out


def test_bulk_takes_the_base_url_after_the_command(
    server: FakeHubSpot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", server.token)
    monkeypatch.delenv("HUBSPOT_BASE_URL", raising=False)
    ids = tmp_path / "in.txt"
    ids.write_text("alice@example.com\n", encoding="utf-8")
    before = len(server.requests)
    argv = ["bulk", str(ids), "--base-url", server.base_url, "--no-progress", "--check", "statuses"]
    assert main(argv) == 0
    assert len(server.requests) == before + 1
    assert ",alice@example.com,ok," in capsys.readouterr().out


def test_conformance_takes_the_timeout_from_either_place(monkeypatch: pytest.MonkeyPatch) -> None:
    import hubspot_commprefs.cli.commands.conformance as command

    seen: list[float] = []

    def capture(options, progress=None):
        seen.append(options.timeout)
        raise ValueError("stop here")

    monkeypatch.setattr(command, "run_conformance", capture)
    for argv in (["conformance", "--timeout", "3"], ["--timeout", "3", "conformance"], ["conformance"]):
        assert main([*argv, "--no-progress"]) == 2
    assert seen == [3.0, 3.0, 10.0]
