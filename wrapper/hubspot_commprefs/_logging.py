"""Logging: ``logging.getLogger("hubspot_commprefs")``, switched on by ``HUBSPOT_COMMPREFS_LOG=debug|info``.

Nothing here ever formats the access token: request headers are logged only through ``redact_headers``,
which replaces the ``Authorization`` value.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

ENV_LOG = "HUBSPOT_COMMPREFS_LOG"
LOGGER_NAME = "hubspot_commprefs"
REDACTED = "[redacted]"
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}

logger = logging.getLogger(LOGGER_NAME)


def setup_logging() -> None:
    """Apply ``HUBSPOT_COMMPREFS_LOG``: set the level and add one stderr handler (once)."""
    level = _LEVELS.get(os.environ.get(ENV_LOG, "").strip().lower())
    if level is None:
        return
    logger.setLevel(level)
    if not any(getattr(h, "_hubspot_commprefs", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        handler._hubspot_commprefs = True  # type: ignore[attr-defined]  # noqa: SLF001 - our own marker
        logger.addHandler(handler)


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers, with the values of credential-bearing ones replaced by ``[redacted]``."""
    return {name: REDACTED if name.lower() in SENSITIVE_HEADERS else value for name, value in headers}
