"""A pytest fixture that runs the fake HubSpot server for one test.

In your ``conftest.py``::

    from hubspot_commprefs.testing.pytest_plugin import fake_hubspot  # noqa: F401

    def test_my_sender(fake_hubspot):
        fake_hubspot.configure(faults=["server-error"])
        ...  # call fake_hubspot.base_url with fake_hubspot.token
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hubspot_commprefs.testing._server import FakeHubSpot

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["fake_hubspot"]


@pytest.fixture
def fake_hubspot() -> Iterator[FakeHubSpot]:
    """A running :class:`FakeHubSpot` on 127.0.0.1 and a free port, stopped after the test."""
    with FakeHubSpot() as server:
        yield server
