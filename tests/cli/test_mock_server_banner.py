"""``mock-server``'s banner shows how to use the server: the line to paste, a contact of each kind with
what the lookups show for it (from the data it serves), and a first command; never the user's token."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

from hubspot_commprefs.cli import main
from hubspot_commprefs.cli.commands.mock_server import first_steps
from hubspot_commprefs.testing import (
    DEFAULT_TOKEN,
    FakeHubSpot,
    dataset_from_dict,
    default_dataset,
    one_of_each_kind,
)

from tests.processes import started
from tests.spec_helpers import ROOT

if TYPE_CHECKING:
    import pytest


def test_the_banner_tells_how_to_reach_the_server_and_what_each_contact_shows(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HUBSPOT_BASE_URL", raising=False)
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    with FakeHubSpot() as server:
        lines = first_steps(server.base_url, server.state.dataset, own_token=False)
        assert lines == [
            "",
            "Point the command line at it (in another terminal):",
            f"  export HUBSPOT_BASE_URL={server.base_url} HUBSPOT_ACCESS_TOKEN={DEFAULT_TOKEN}",
            "Contacts, one of each kind (23 in the data):",
            "  alice@example.com   Newsletter SUBSCRIBED, Product updates UNSUBSCRIBED; not opted out of all email",
            "  bob@example.com     opted out of all email, portal-wide: every subscription UNSUBSCRIBED",
            (
                "  carol@example.com   opted out of all email of business unit 1021 (Acme Europe): ask with "
                "--business-unit-id 1021"
            ),
            "  nobody@example.com  not in the data: every subscription NOT_SPECIFIED",
            "Try: hubspot-commprefs unsubscribe-all bob@example.com",
        ]
        # Pasted as printed, the lines work, and the contacts show what the banner says.
        for assignment in shlex.split(lines[2])[1:]:
            name, _, value = assignment.partition("=")
            monkeypatch.setenv(name, value)
        assert main(shlex.split(lines[-1].removeprefix("Try: "))[1:]) == 0
        assert "bob@example.com, the default business unit: UNSUBSCRIBED from all email, portal-wide" in (
            capsys.readouterr().out
        )
        assert main(["--business-unit-id", "1021", "unsubscribe-all", "carol@example.com"]) == 0
        assert "UNSUBSCRIBED from all email of business unit 1021" in capsys.readouterr().out
        assert main(["statuses", "alice@example.com"]) == 0
        out = capsys.readouterr().out
        assert "Newsletter       SUBSCRIBED" in out
        assert "Product updates  UNSUBSCRIBED" in out
        assert main(["statuses", "nobody@example.com"]) == 0
        assert "0 subscribed, 0 unsubscribed" in capsys.readouterr().out


def test_the_contacts_come_from_the_data_served() -> None:
    statuses = [
        {"subscriptionId": n, "status": "SUBSCRIBED", "source": "x", "timestamp": "2025-01-01T00:00:00Z"}
        for n in range(5)
    ]
    dataset = dataset_from_dict(
        {
            "subscriptionTypes": [{"id": n, "name": f"Offers {n}"} for n in range(5)],
            "contacts": [
                {"email": "zed@corp.example", "statuses": statuses},
                {"email": "nil@corp.example"},  # the same kind as zed: not shown
            ],
        }
    )
    lines = first_steps("http://[::1]:8089", dataset, own_token=False)
    assert one_of_each_kind(dataset) == ["zed@corp.example", "nobody@example.com"]
    assert lines[2] == f"  export HUBSPOT_BASE_URL='http://[::1]:8089' HUBSPOT_ACCESS_TOKEN={DEFAULT_TOKEN}"
    assert lines[3:] == [
        "Contacts, one of each kind (2 in the data):",
        (
            "  zed@corp.example    Offers 0 SUBSCRIBED, Offers 1 SUBSCRIBED, Offers 2 SUBSCRIBED and 2 more; "
            "not opted out of all email"
        ),
        "  nobody@example.com  not in the data: every subscription NOT_SPECIFIED",
        "Try: hubspot-commprefs unsubscribe-all zed@corp.example",
    ]
    assert first_steps("http://127.0.0.1:1", dataset, own_token=False, contacts=False)[1:] == [
        "Point the command line at it (in another terminal):",
        f"  export HUBSPOT_BASE_URL=http://127.0.0.1:1 HUBSPOT_ACCESS_TOKEN={DEFAULT_TOKEN}",
    ]


def test_the_banner_never_prints_the_users_own_token() -> None:
    secret = "pat-na1-first-minutes-secret"
    env = {**os.environ, "HUBSPOT_ACCESS_TOKEN": secret}
    with started(
        [sys.executable, "-m", "hubspot_commprefs.cli", "mock-server", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        assert process.stdout is not None
        banner = []
        for line in process.stdout:
            banner.append(line)
            if line.startswith("Try: "):
                break
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    text = "".join(banner) + out + err
    assert secret not in text
    export = next(line for line in banner if line.lstrip().startswith("export "))
    assert export.endswith(
        "  # and HUBSPOT_ACCESS_TOKEN: yours, as set where this server runs (never printed)\n"
    )
    assert DEFAULT_TOKEN + " " not in export


def test_the_docs_show_the_banner_as_printed() -> None:
    lines = first_steps("http://127.0.0.1:8089", default_dataset(), own_token=False)
    assert "\n".join(lines[1:]) + "\n" in (ROOT / "docs" / "harness.md").read_text(encoding="utf-8")
