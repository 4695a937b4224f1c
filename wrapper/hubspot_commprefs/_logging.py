"""Logging: ``logging.getLogger("hubspot_commprefs")``, switched on by ``HUBSPOT_COMMPREFS_LOG=debug|info``.

Nothing here ever formats the access token: headers are logged only through ``redact_headers``, which
replaces the values of credential-bearing headers and scrubs the token from every other value (a server or
proxy may echo it, in ``WWW-Authenticate`` or a debugging header). ``scrub`` does the same for any text
built from what the server sent: exception messages, body excerpts.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    import httpx

ENV_LOG = "HUBSPOT_COMMPREFS_LOG"
LOGGER_NAME = "hubspot_commprefs"
REDACTED = "[redacted]"
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
MIN_SECRET_LENGTH = 8
"""Shorter "tokens" are not scrubbed: replacing every occurrence of a few characters would mangle text."""
_BEARER = "bearer "
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_warned: set[str] = set()

logger = logging.getLogger(LOGGER_NAME)


def setup_logging() -> None:
    """Apply ``HUBSPOT_COMMPREFS_LOG``: set the level and add one stderr handler (once). An unknown value
    (``verbose``, ``warning``) is not silently ignored: it warns, once per value, naming the accepted ones."""
    value = os.environ.get(ENV_LOG, "").strip()
    level = _LEVELS.get(value.lower())
    if level is None:
        if value and value not in _warned:
            _warned.add(value)
            accepted = " or ".join(repr(name) for name in _LEVELS)
            warnings.warn(
                f"{ENV_LOG}={value!r} is not a level hubspot_commprefs knows: set it to {accepted} "
                "(or leave it unset for no logging); it is ignored",
                UserWarning,
                stacklevel=2,
            )
        return
    logger.setLevel(level)
    if not any(getattr(h, "_hubspot_commprefs", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        handler._hubspot_commprefs = True  # type: ignore[attr-defined]  # noqa: SLF001 - our own marker
        logger.addHandler(handler)


def secret_of(request: httpx.Request | None) -> str | None:
    """The bearer token ``request`` carries, if it is long enough to be scrubbed safely."""
    if request is None:
        return None
    value = request.headers.get("authorization", "")
    if value[: len(_BEARER)].lower() != _BEARER:
        return None
    token = value[len(_BEARER) :].strip()
    return token if len(token) >= MIN_SECRET_LENGTH else None


def scrub(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` (also as JSON writes it, ``/`` as ``\\/``) replaced by
    ``[redacted]``. Scrub whole texts before cutting excerpts out of them, never the other way round."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return text
    if secret in text:
        text = text.replace(secret, REDACTED)
    if "/" in secret:
        escaped = secret.replace("/", "\\/")
        if escaped in text:
            text = text.replace(escaped, REDACTED)
    return text


def redact_headers(headers: Iterable[tuple[str, str]], secret: str | None = None) -> dict[str, str]:
    """The headers, with the values of credential-bearing ones replaced by ``[redacted]`` and ``secret``
    scrubbed from all the others."""
    return {
        name: REDACTED if name.lower() in SENSITIVE_HEADERS else scrub(value, secret)
        for name, value in headers
    }
