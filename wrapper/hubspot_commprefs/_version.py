"""The package's version. Which version of HubSpot's API a release speaks is in CHANGELOG.md, and at run time
in ``hubspot_commprefs.API_VERSION`` (read from the spec the generated client was made from)."""

__version__ = "0.3.0"
