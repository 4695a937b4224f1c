"""Named defaults of the client: every option a caller does not give comes from here."""

from __future__ import annotations

import httpx

from hubspot_commprefs._version import __version__

DEFAULT_BASE_URL = "https://api.hubapi.com"
"""HubSpot's API host; overridden by the ``base_url`` keyword or the ``HUBSPOT_BASE_URL`` variable."""

ENV_ACCESS_TOKEN = "HUBSPOT_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a token
ENV_BASE_URL = "HUBSPOT_BASE_URL"

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
"""10 s to read, write or wait for a pooled connection, 5 s to connect: one lookup is a small GET."""

MAX_TIMEOUT = 86400.0
"""The longest timeout accepted, in seconds (a day: anything longer is a mistake; ``None`` means no limit)."""

DEFAULT_MAX_RETRIES = 2
"""Retries after the first attempt (so at most three requests per call)."""

INITIAL_RETRY_DELAY = 0.5
"""Seconds before the first retry; the delay doubles with each retry."""

MAX_RETRY_DELAY = 8.0
"""The longest backoff the client computes itself."""

RETRY_JITTER = 0.5
"""Up to this many seconds of random jitter are added to each computed backoff."""

MAX_SERVER_DELAY = 60.0
"""The longest wait the client accepts from the server (``Retry-After`` or a rate-limit window); a longer
one is not waited for: the error is raised at once, carrying the server's delay."""

DEFAULT_CHANNEL = "EMAIL"
"""The only channel the API supports today; every call sends it unless told otherwise."""

USER_AGENT = f"hubspot-commprefs/{__version__}"
