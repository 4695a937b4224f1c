"""The global options: ``--base-url`` is the flag only (the lookup commands fall back to the environment
themselves, ``conformance`` must not), and a base URL that is empty or has no valid port is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hubspot_commprefs.cli import build_parser, main
from hubspot_commprefs.testing import FakeHubSpot

if TYPE_CHECKING:
    from collections.abc import Iterator


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
