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
    """Apply ``HUBSPOT_COMMPREFS_LOG``: set the level and add one stderr handler (once). Called when the
    client is imported; an unknown value is left for ``unknown_level_warning`` to report, when a client is
    made (or by the command line, in its own words), rather than as a warning at import time that no caller
    could catch or word."""
    level = _LEVELS.get(os.environ.get(ENV_LOG, "").strip().lower())
    if level is None:
        return
    logger.setLevel(level)
    if not any(getattr(h, "_hubspot_commprefs", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        handler._hubspot_commprefs = True  # type: ignore[attr-defined]  # noqa: SLF001 - our own marker
        logger.addHandler(handler)


def unknown_level_warning() -> str | None:
    """What to say about an unknown ``HUBSPOT_COMMPREFS_LOG`` (``verbose``, ``warning``), naming the accepted
    values: said once per value, so None after the first time, and when the value is known or unset."""
    value = os.environ.get(ENV_LOG, "").strip()
    if not value or value.lower() in _LEVELS or value in _warned:
        return None
    _warned.add(value)
    accepted = " or ".join(repr(name) for name in _LEVELS)
    return (
        f"{ENV_LOG}={value!r} is not a level hubspot_commprefs knows: set it to {accepted} "
        "(or leave it unset for no logging); it is ignored"
    )


def warn_about_unknown_level(stacklevel: int = 1) -> None:
    """``unknown_level_warning`` as a ``UserWarning`` (not silently ignored), shown ``stacklevel`` frames
    above the caller: a client's constructor points it at the line that made the client."""
    message = unknown_level_warning()
    if message is not None:
        warnings.warn(message, UserWarning, stacklevel=stacklevel + 2)


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
