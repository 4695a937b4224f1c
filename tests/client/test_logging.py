"""Logging: off by default, switched on by HUBSPOT_COMMPREFS_LOG, and never showing the token."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import warnings

import httpx
import pytest
from hubspot_commprefs import AsyncCommPrefs, CommPrefs, RateLimitError, _logging
from hubspot_commprefs._logging import (
    ENV_LOG,
    LOGGER_NAME,
    redact_headers,
    setup_logging,
    unknown_level_warning,
    warn_about_unknown_level,
)

from tests.client_fixtures import TOKEN, ok, patch_sleeps, sync_client


def test_debug_logs_show_requests_and_never_the_token(caplog, monkeypatch):
    patch_sleeps(monkeypatch)
    caplog.set_level(logging.DEBUG)
    client, _ = sync_client(httpx.Response(429, headers={"Retry-After": "0"}), ok())
    client.get_statuses("alice@example.com")
    client, _ = sync_client(httpx.Response(429, json={"policyName": "DAILY"}))
    try:
        client.get_statuses("alice@example.com")
    except RateLimitError:
        logging.getLogger(LOGGER_NAME).exception("failed")
    ours = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert any("request: GET" in r.getMessage() for r in ours)
    assert any("retrying after RateLimitError" in r.getMessage() for r in ours)
    assert any("[redacted]" in r.getMessage() for r in ours)
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.__dict__)


def test_redact_headers():
    redacted = redact_headers([("Authorization", "Bearer x"), ("accept", "a"), ("Cookie", "c")])
    assert redacted == {"Authorization": "[redacted]", "accept": "a", "Cookie": "[redacted]"}


def _run_with_env(level: str | None) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(
        f"""
        import httpx
        from hubspot_commprefs import CommPrefs
        body = {{"status": "COMPLETE", "results": [], "startedAt": "2026-03-01T00:00:00Z",
                 "completedAt": "2026-03-01T00:00:01Z"}}
        http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=body)))
        CommPrefs(access_token={TOKEN!r}, http_client=http).get_statuses("alice@example.com")
        """
    )
    env = {"PATH": ""}
    if level is not None:
        env["HUBSPOT_COMMPREFS_LOG"] = level
    return subprocess.run(  # noqa: PLW1510 - the callers assert on returncode
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )


def test_the_environment_variable_switches_logging_on():
    quiet = _run_with_env(None)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    info = _run_with_env("info")
    assert "GET https://api.hubapi.com/" in info.stderr
    assert "request:" not in info.stderr
    debug = _run_with_env("DEBUG")
    assert "request: GET" in debug.stderr
    assert "authorization': '[redacted]'" in debug.stderr
    for run in (quiet, info, debug):
        assert TOKEN not in run.stderr + run.stdout


def test_retries_print_nothing_when_logging_is_not_configured():
    # Python's last-resort handler prints WARNING records of unconfigured loggers to stderr: a retry must
    # not produce one (stamina's default instrumentation did, for every retry).
    code = textwrap.dedent(
        f"""
        import asyncio, time
        import httpx
        from hubspot_commprefs import AsyncCommPrefs, CommPrefs
        body = {{"status": "COMPLETE", "results": [], "startedAt": "2026-03-01T00:00:00Z",
                 "completedAt": "2026-03-01T00:00:01Z"}}
        answers = [503, 200, 503, 200]
        def handler(request):
            code = answers.pop(0)
            return httpx.Response(code, json=body)
        async def no_sleep(delay):
            pass
        time.sleep, asyncio.sleep = (lambda delay: None), no_sleep
        http = httpx.Client(transport=httpx.MockTransport(handler))
        CommPrefs(access_token={TOKEN!r}, http_client=http).get_statuses("alice@example.com")
        async def main():
            http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
            await AsyncCommPrefs(access_token={TOKEN!r}, http_client=http).get_statuses("alice@example.com")
        asyncio.run(main())
        assert answers == []
        """
    )
    env = {"PATH": "", **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}
    run = subprocess.run(  # noqa: PLW1510 - asserted below
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""


def test_retries_are_logged_through_our_logger_only(caplog, monkeypatch):
    patch_sleeps(monkeypatch)
    caplog.set_level(logging.DEBUG)
    client, _ = sync_client(httpx.Response(503), ok(), max_retries=3)
    client.get_statuses("alice@example.com")
    retries = [r for r in caplog.records if "retrying after" in r.getMessage()]
    assert [r.name for r in retries] == [LOGGER_NAME]
    assert "retry 1 of 3" in retries[0].getMessage()
    assert not [r for r in caplog.records if r.name.startswith("stamina")]


def test_an_unknown_level_warns_once_naming_the_accepted_ones(monkeypatch):
    monkeypatch.setattr(_logging, "_warned", set())
    monkeypatch.setenv(ENV_LOG, " verbose ")
    level, handlers = _logging.logger.level, list(_logging.logger.handlers)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # shown every time: only the client's own "once" can hold it back
        setup_logging()
        warn_about_unknown_level()
        warn_about_unknown_level()
    assert [w.category for w in caught] == [UserWarning]
    message = str(caught[0].message)
    assert "HUBSPOT_COMMPREFS_LOG='verbose' is not a level" in message
    assert "'debug' or 'info'" in message
    assert (_logging.logger.level, _logging.logger.handlers) == (level, handlers)  # ignored
    monkeypatch.setenv(ENV_LOG, "loud")
    with pytest.warns(UserWarning, match="'loud'"):
        warn_about_unknown_level()


def test_an_unknown_level_warns_at_the_line_that_makes_the_first_client(monkeypatch):
    monkeypatch.setattr(_logging, "_warned", set())
    monkeypatch.setenv(ENV_LOG, "verbose")
    with pytest.warns(UserWarning, match="'verbose' is not a level") as caught:
        CommPrefs(access_token=TOKEN)
    assert [w.filename for w in caught] == [__file__]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CommPrefs(access_token=TOKEN)  # said once
    monkeypatch.setenv(ENV_LOG, "chatty")
    with pytest.warns(UserWarning, match="'chatty' is not a level") as caught:
        AsyncCommPrefs(access_token=TOKEN)
    assert [w.filename for w in caught] == [__file__]


@pytest.mark.parametrize("value", [None, "", "  "])
def test_no_level_set_is_no_warning(monkeypatch, value):
    monkeypatch.setattr(_logging, "_warned", set())
    if value is None:
        monkeypatch.delenv(ENV_LOG, raising=False)
    else:
        monkeypatch.setenv(ENV_LOG, value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        setup_logging()
        warn_about_unknown_level()
    assert unknown_level_warning() is None


def test_an_unknown_level_warns_once_when_a_client_is_made_and_known_ones_do_not():
    verbose = _run_with_env("verbose")
    assert verbose.returncode == 0, verbose.stderr
    assert verbose.stderr.count("UserWarning: HUBSPOT_COMMPREFS_LOG='verbose' is not a level") == 1
    assert "GET https://api.hubapi.com/" not in verbose.stderr  # and logging stays off
    for level in ("info", "DEBUG"):
        assert "Warning" not in _run_with_env(level).stderr


def test_importing_the_package_never_warns_about_the_level():
    # A warning at import time could not be caught, nor worded by the command line (which is in the package).
    env = {"PATH": "", ENV_LOG: "verbose"}
    run = subprocess.run(
        [sys.executable, "-c", "import hubspot_commprefs.cli"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert (run.returncode, run.stderr) == (0, "")
