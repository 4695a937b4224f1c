"""The package's fixtures under this module's name too, for a ``conftest.py`` that imports them from here;
the registered plugin (``hubspot_commprefs.pytest_plugin``) provides them with no import."""

from hubspot_commprefs.pytest_plugin import fake_hubspot, fake_hubspot_session, hubspot_target

__all__ = ["fake_hubspot", "fake_hubspot_session", "hubspot_target"]
