"""The pytest plugin of hubspot-commprefs (the ``pytest11`` entry point): ``fake_hubspot`` (a fake server for
one test), ``fake_hubspot_session`` (one, shared, for the session) and ``hubspot_target`` (that one, or your
portal with ``--hubspot-live``); docs/harness.md shows them in use. Nothing of the ``harness`` extra is
imported until a fixture is used, so the plugin never breaks a project that installed the client alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from hubspot_commprefs.client import DEFAULT_BASE_URL, ENV_ACCESS_TOKEN, ENV_BASE_URL, CommPrefs

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hubspot_commprefs.testing import FakeHubSpot

__all__ = ["HubSpotTarget", "fake_hubspot", "fake_hubspot_session", "hubspot_target"]

LIVE_OPTION = "--hubspot-live"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hubspot-commprefs")
    group.addoption(
        LIVE_OPTION,
        action="store_true",
        default=False,
        help=f"point the hubspot_target fixture at your HubSpot portal (token from {ENV_ACCESS_TOKEN}, host from "
        f"{ENV_BASE_URL} or {DEFAULT_BASE_URL}) instead of the bundled fake server",
    )


@dataclass(frozen=True)
class HubSpotTarget:
    """Where requests go: ``base_url`` and ``token`` (never shown in the repr), and whether it is ``live``."""

    base_url: str
    token: str = field(repr=False)
    live: bool

    def client(self, **options: object) -> CommPrefs:
        """A ``CommPrefs`` for this target (close it, or use it in a ``with`` block)."""
        return CommPrefs(access_token=self.token, base_url=self.base_url, **options)  # type: ignore[arg-type]


@pytest.fixture
def fake_hubspot() -> Iterator[FakeHubSpot]:
    """A running :class:`FakeHubSpot` on 127.0.0.1 and a free port, stopped after the test."""
    from hubspot_commprefs.testing import FakeHubSpot

    with FakeHubSpot() as server:
        yield server


@pytest.fixture(scope="session")
def fake_hubspot_session() -> Iterator[FakeHubSpot]:
    """One :class:`FakeHubSpot` for the whole session (do not change its faults: other tests share it)."""
    from hubspot_commprefs.testing import FakeHubSpot

    with FakeHubSpot() as server:
        yield server


@pytest.fixture
def hubspot_target(request: pytest.FixtureRequest) -> HubSpotTarget:
    """The session's fake server, or your portal with ``--hubspot-live``."""
    if request.config.getoption(LIVE_OPTION):
        token = os.environ.get(ENV_ACCESS_TOKEN)
        if not token:
            pytest.fail(f"{LIVE_OPTION} needs your private app's token in {ENV_ACCESS_TOKEN}", pytrace=False)
        return HubSpotTarget(os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL, token, live=True)
    server: FakeHubSpot = request.getfixturevalue("fake_hubspot_session")
    return HubSpotTarget(server.base_url, server.token, live=False)
