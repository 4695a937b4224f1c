"""Building a request, I/O-free and shared by both clients and the bulk engine: the URL of an operation
for a subscriber (its arguments checked, the path from the generated endpoint, the query written as httpx
writes it, its length within httpx's limit), and the DEBUG log line of a request. ``BaseClient._build``
adds the headers and the timeout of the call and makes the ``httpx.Request``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from hubspot_commprefs._errors import InvalidSubscriberIdError
from hubspot_commprefs._logging import logger, redact_headers, secret_of
from hubspot_commprefs.client._options import check_int64
from hubspot_commprefs.client._subscriber_id import normalise_subscriber_id

if TYPE_CHECKING:
    from collections.abc import Mapping

    import httpx

    from hubspot_commprefs.client._operations import Operation, Operations


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


def request_url(
    base_url: str,
    ops: Operations,
    operation: Operation[Any],
    subscriber_id: str,
    *,
    channel: object,
    business_unit_id: object,
    **extra: Any,
) -> tuple[str, str]:
    """The URL and the path of ``operation`` for ``subscriber_id``; raises ``TypeError``, ``ValueError`` or
    ``InvalidSubscriberIdError`` (naming the id as given) for arguments that cannot be sent."""
    verbose = extra.get("verbose", False)
    if not isinstance(verbose, bool):  # the generated code would send any value as the query's text
        raise TypeError(f"verbose must be a bool, not {type(verbose).__name__}")
    given = subscriber_id
    subscriber_id = normalise_subscriber_id(subscriber_id)
    if not isinstance(channel, str):
        raise TypeError(f"channel must be a str, not {type(channel).__name__}")
    kwargs = operation.get_kwargs(
        subscriber_id,
        channel=ops.channel(channel),
        business_unit_id=check_int64("business_unit_id", business_unit_id),
        **extra,
    )
    path: str = kwargs["url"]
    # The query is written into the URL here: httpx's params= would parse the URL a second time.
    url = f"{base_url}{path}?{query_string(kwargs['params'])}" if kwargs["params"] else base_url + path
    if len(url) > MAX_URL_LENGTH:
        raise InvalidSubscriberIdError(
            f"subscriber id of {len(subscriber_id)} characters is too long: the request URL would be "
            f"{len(url)} characters, over httpx's limit of {MAX_URL_LENGTH}",
            subscriber_id=given,
        )
    return url, path
