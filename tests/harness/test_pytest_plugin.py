"""The registered pytest plugin: its fixtures work in a project's tests with no import, and
``--hubspot-live`` points ``hubspot_target`` at a portal with the token from the environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

pytest_plugins = ["pytester"]
TIMEOUT = 120  # seconds: then the pytest run is killed, with the fake server it runs

USER_TESTS = """
import httpx
from hubspot_commprefs import API_VERSION

def test_fake_hubspot_needs_no_import(fake_hubspot):
    answer = httpx.get(
        fake_hubspot.base_url + f"/communication-preferences/{API_VERSION}/statuses/bob%40example.com/unsubscribe-all",
        params={"channel": "EMAIL"},
        headers={"Authorization": f"Bearer {fake_hubspot.token}"},
    )
    assert answer.status_code == 200

def test_the_session_server_is_shared(fake_hubspot_session, hubspot_target):
    assert hubspot_target.base_url == fake_hubspot_session.base_url
    assert not hubspot_target.live

def test_the_target_gives_a_client(hubspot_target):
    with hubspot_target.client() as client:
        assert client.is_unsubscribed_from_all("bob@example.com") in (True, False)
"""

LIVE_TEST = """
def test_live(hubspot_target):
    assert hubspot_target.live
    assert hubspot_target.base_url == "http://127.0.0.1:9"
    assert "secret-token" not in repr(hubspot_target)
"""


def test_the_fixtures_come_with_the_package(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=TIMEOUT)
    result.assert_outcomes(passed=3)


def test_hubspot_live_uses_the_environments_token_and_host(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "secret-token")
    monkeypatch.setenv("HUBSPOT_BASE_URL", "http://127.0.0.1:9")
    pytester.makepyfile(LIVE_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--hubspot-live", timeout=TIMEOUT)
    result.assert_outcomes(passed=1)


def test_hubspot_live_without_a_token_fails_saying_so(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    pytester.makepyfile(LIVE_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--hubspot-live", timeout=TIMEOUT)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*--hubspot-live needs your private app's token in HUBSPOT_ACCESS_TOKEN*"])


def test_the_option_is_in_pytests_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help", timeout=TIMEOUT)
    result.stdout.fnmatch_lines(["*--hubspot-live*"])
