"""Usage errors that say what to do: a command's option before the command names where it goes, and a
misspelt option shows the command's own usage with the closest option (``cli/_arguments.py``)."""

from __future__ import annotations

import pytest
from hubspot_commprefs.cli import build_parser, main

POSITIONALS = {
    "statuses": ["a@x.com"],
    "unsubscribe-all": ["a@x.com"],
    "bulk": ["in.csv"],
    "conformance": [],
    "spec-diff": ["other.yaml"],
    "mock-server": [],
}


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def test_record_before_the_command_says_where_it_goes(capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(["--record", "DIR", "statuses", "alice@example.com"], capsys)
    assert err.startswith("usage: hubspot-commprefs statuses ")  # the command's usage, with its options
    assert err.endswith(
        "hubspot-commprefs statuses: error: --record is an option of statuses, not a global one: put it "
        "after the command, as in hubspot-commprefs statuses alice@example.com --record DIR\n"
    )
    assert "invalid choice" not in err


def _command_options() -> list[tuple[str, str, int]]:
    parser = build_parser()
    return [
        (name, option, 0 if action.nargs == 0 else 1)
        for name, command in parser.commands().items()
        for action in command._actions
        for option in action.option_strings
        if parser.option(option) is None  # not a global option, nor -h
    ]


COMMAND_OPTIONS = _command_options()


def test_every_command_is_covered() -> None:
    assert {name for name, _, _ in COMMAND_OPTIONS} == set(POSITIONALS)
    assert ("conformance", "--progress", 0) in COMMAND_OPTIONS


@pytest.mark.parametrize(("command", "option", "values"), COMMAND_OPTIONS, ids=str)
def test_every_command_option_before_the_command_is_refused_with_where_it_goes(
    command: str, option: str, values: int, capsys: pytest.CaptureFixture[str]
) -> None:
    given = [option, *["X"] * values]
    err = _refused([*given, command, *POSITIONALS[command]], capsys)
    moved = " ".join(["hubspot-commprefs", command, *POSITIONALS[command], *given])
    assert (
        f"{option} is an option of {command}, not a global one: put it after the command, as in {moved}\n"
        in err
    )
    assert f"usage: hubspot-commprefs {command} " in err


def test_an_option_written_with_its_value_is_moved_whole(capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(["--report-dir=out dir", "conformance"], capsys)
    assert "as in hubspot-commprefs conformance '--report-dir=out dir'\n" in err


def test_a_command_option_without_a_command_names_the_commands_that_take_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _refused(["--record", "DIR"], capsys)
    assert err.startswith("usage: hubspot-commprefs [-h]")
    assert (
        "--record is an option of statuses, unsubscribe-all, bulk, conformance, not a global one: put it "
        "after the command's name\n"
    ) in err


@pytest.mark.parametrize(
    ("argv", "usage", "message"),
    [
        (
            ["statuses", "alice@example.com", "--jsn"],
            "usage: hubspot-commprefs statuses [-h] [--json] [--pretty]",
            "hubspot-commprefs statuses: error: unrecognized arguments: --jsn (did you mean --json?)\n",
        ),
        (
            ["conformance", "--max-exampels", "3"],
            "usage: hubspot-commprefs conformance [-h] [--subscriber ID] [--max-examples N]",
            "error: unrecognized arguments: --max-exampels 3 (did you mean --max-examples?)\n",
        ),
        (
            ["--tiemout", "3", "statuses", "a@x.com"],
            "usage: hubspot-commprefs [-h]",
            "hubspot-commprefs: error: unrecognized arguments: --tiemout (did you mean --timeout?)\n",
        ),
        (
            ["unsubscribe-all", "a@x.com", "--zzz"],
            "usage: hubspot-commprefs unsubscribe-all [-h]",
            "hubspot-commprefs unsubscribe-all: error: unrecognized arguments: --zzz\n",  # nothing close
        ),
    ],
)
def test_a_misspelt_option_shows_the_commands_usage_and_the_closest_option(
    argv: list[str], usage: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refused(argv, capsys)
    assert err.startswith(usage)
    assert err.endswith(message)


def test_global_options_and_their_abbreviations_still_work_in_either_place() -> None:
    parser = build_parser()
    for argv in (
        ["--time", "3", "--base-url=http://127.0.0.1:8/", "statuses", "a@x.com", "--json"],
        ["statuses", "a@x.com", "--json", "--timeout", "3", "--base-url", "http://127.0.0.1:8/"],
    ):
        args = parser.parse_command_line(argv)
        assert (args.command, args.timeout, args.base_url, args.json) == (
            "statuses",
            3.0,
            "http://127.0.0.1:8/",
            True,
        )
