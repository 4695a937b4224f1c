"""Building a request: the query string as the generated endpoint gives it, the URL length httpx allows,
and the DEBUG log line of a request (``BaseClient._build`` checks the arguments and builds it)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from hubspot_commprefs._logging import logger, redact_headers, secret_of

if TYPE_CHECKING:
    from collections.abc import Mapping

    import httpx


MAX_URL_LENGTH = 65536
"""httpx refuses a longer URL (``httpx._urlparse.MAX_URL_LENGTH``)."""


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def query_string(params: Mapping[str, object]) -> str:
    """The query string of the generated endpoint's params (booleans as true/false, as httpx writes them)."""
    return urlencode([(k, _query_value(v)) for k, v in params.items()], quote_via=quote, safe="")


def log_request(request: httpx.Request) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "request: %s %s headers=%s",
            request.method,
            request.url,
            redact_headers(request.headers.items(), secret_of(request)),
        )
