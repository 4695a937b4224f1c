"""``BaseClient``: the options and request building the sync and async clients share; only sending (and
sleeping between retries) differs between ``CommPrefs`` and ``AsyncCommPrefs``."""

from __future__ import annotations

import copy as _copy
from typing import TYPE_CHECKING, Any, Self

import httpx

from hubspot_commprefs._errors import (
    InvalidSubscriberIdError,
)
from hubspot_commprefs._logging import setup_logging, warn_about_unknown_level
from hubspot_commprefs.client._operations import Operation, Operations, load_operations
from hubspot_commprefs.client._options import (
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    USER_AGENT,
    TimeoutTypes,
    check_headers,
    check_max_response_bytes,
    check_max_retries,
    resolve_base_url,
    resolve_timeout,
    resolve_token,
)
from hubspot_commprefs.client._paths import check_request_path
from hubspot_commprefs.client._requests import request_url
from hubspot_commprefs.client._responses import closed_error
from hubspot_commprefs.client._transport import (
    ACCEPT_ENCODING,
    DEFAULT_MAX_RESPONSE_BYTES,
    attempt_seconds,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

    from hubspot_commprefs.client._recording import Recorder


setup_logging()


class BaseClient:
    """Options and request building shared by the sync and async clients."""

    max_retries: int
    base_url: str
    _owns_http: bool

    def __init__(
        self,
        *,
        access_token: str | None,
        base_url: str | None,
        timeout: TimeoutTypes,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        own_client: bool,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        record_to: str | os.PathLike[str] | None = None,
    ) -> None:
        warn_about_unknown_level(stacklevel=2)  # at the line that made the client (CommPrefs(...))
        token = resolve_token(access_token)
        self.base_url = resolve_base_url(base_url)
        self.max_retries = check_max_retries(max_retries)
        self.max_response_bytes = check_max_response_bytes(max_response_bytes)
        if timeout is NOT_GIVEN:
            self.timeout: TimeoutTypes | Any = DEFAULT_TIMEOUT if own_client else httpx.USE_CLIENT_DEFAULT
        else:
            self.timeout = resolve_timeout(timeout)
        # httpx.Headers hides the Authorization value in its repr, and replaces names ignoring case.
        headers = httpx.Headers(
            {"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        )
        for name, value in check_headers(default_headers).items():
            headers[name] = value
        headers["Authorization"] = f"Bearer {token}"
        self._headers = headers
        self.recorder: Recorder | None = None
        if record_to is not None:
            from hubspot_commprefs.client._recording import Recorder  # noqa: PLC0415 - only when recording

            self.recorder = Recorder(record_to)

    @property
    def _ops(self) -> Operations:
        """The generated endpoints and models, loaded with the first request rather than with the client:
        a client is ready to use as soon as it is made (the generated package and attrs cost about 15 ms)."""
        return load_operations()

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        operation: Operation[Any],
        subscriber_id: str,
        channel: object,
        business_unit_id: object,
        *,
        timeout: TimeoutTypes | Any = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Request:
        """Check the arguments and build the request; raises TypeError/ValueError before any I/O (and
        CommPrefsError when this client cannot send: closed, or, async, used in another event loop).
        ``timeout`` and ``extra_headers`` are this call's own, checked as the constructor checks its
        ``timeout`` and ``default_headers``; the timeout travels in the request (``attempt_seconds``)."""
        call_timeout = self.timeout if timeout is NOT_GIVEN else resolve_timeout(timeout)
        headers = self._headers
        if extra_headers is not None:
            headers = httpx.Headers(headers)
            for name, value in check_headers(extra_headers, "extra_headers").items():
                headers[name] = value
        self._check_usable(http)
        given = subscriber_id
        url, path = request_url(
            self.base_url,
            self._ops,
            operation,
            subscriber_id,
            channel=channel,
            business_unit_id=business_unit_id,
            **extra,
        )
        try:
            request = http.build_request("GET", url, headers=headers, timeout=call_timeout)
        except httpx.InvalidURL as exc:
            raise InvalidSubscriberIdError(
                f"subscriber id makes an invalid request URL: {exc}", subscriber_id=given
            ) from None
        check_request_path(request.url.raw_path, path)
        return request

    def _check_usable(self, http: httpx.Client | httpx.AsyncClient) -> None:
        if http.is_closed:
            raise closed_error(self)

    def attempt_seconds(
        self, http: httpx.Client | httpx.AsyncClient, request: httpx.Request | None = None
    ) -> float | None:
        """How long one attempt may take in all (``_transport.attempt_seconds``), None for no limit: from
        the timeout ``request`` carries (httpx writes the one it applies into every request it builds,
        a per-call ``timeout`` included), else from this client's."""
        parts = request.extensions.get("timeout") if request is not None else None
        if isinstance(parts, dict):
            return attempt_seconds(httpx.Timeout(**parts))
        timeout = self.timeout if isinstance(self.timeout, httpx.Timeout) else http.timeout
        return attempt_seconds(timeout)

    def with_options(
        self,
        *,
        access_token: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = NOT_GIVEN,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_response_bytes: int | None = None,
    ) -> Self:
        """A copy of this client with some options changed (an option not given, or None, is kept; ``timeout``
        may be None for no limit), checked as the constructor checks them. ``default_headers`` are merged
        over this client's. The copy shares this client's HTTP client and so its connection pool; it does
        not own it: closing the copy closes nothing, and once this client (or the owner of the HTTP client
        passed in) closes it, the copy is closed too."""
        copy = _copy.copy(self)
        copy._owns_http = False  # noqa: SLF001 - a copy of this very class
        if base_url is not None:
            copy.base_url = resolve_base_url(base_url)
        if timeout is not NOT_GIVEN:
            copy.timeout = resolve_timeout(timeout)
        if max_retries is not None:
            copy.max_retries = check_max_retries(max_retries)
        if max_response_bytes is not None:
            copy.max_response_bytes = check_max_response_bytes(max_response_bytes)
        headers = httpx.Headers(self._headers)
        for name, value in check_headers(default_headers).items():
            headers[name] = value
        if access_token is not None:
            headers["Authorization"] = f"Bearer {resolve_token(access_token)}"
        copy._headers = headers  # noqa: SLF001 - a copy of this very class
        return copy

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"
