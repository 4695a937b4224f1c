"""A client library for accessing HubSpot Communication Preferences"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
