"""What the command-line tests share: a fake server per module, fast enough for bulk (a module may
define its own ``server``), and ``env``, which points the command at it through the environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hubspot_commprefs.testing import FakeHubSpot, RateLimit

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def server() -> Iterator[FakeHubSpot]:
    with FakeHubSpot(rate_limit=RateLimit(max_requests=1_000_000, interval_ms=1000)) as running:
        yield running


@pytest.fixture
def env(server: FakeHubSpot, monkeypatch: pytest.MonkeyPatch) -> FakeHubSpot:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", server.token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", server.base_url)
    server.state.requests.clear()
    return server
