"""hubspot-commprefs: a typed client for HubSpot's Communication Preferences API, and its test harness."""

from hubspot_commprefs._version import __version__

__all__ = ["__version__"]
