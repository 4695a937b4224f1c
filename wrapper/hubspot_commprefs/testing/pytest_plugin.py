"""Where the fixtures used to be imported from; they now come from the registered plugin
(``hubspot_commprefs.pytest_plugin``), with no import. Kept so that existing ``conftest.py`` imports work."""

from hubspot_commprefs.pytest_plugin import fake_hubspot, fake_hubspot_session, hubspot_target

__all__ = ["fake_hubspot", "fake_hubspot_session", "hubspot_target"]
