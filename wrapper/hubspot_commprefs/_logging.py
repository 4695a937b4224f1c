"""Logging (``logging.getLogger("hubspot_commprefs")``, switched on by ``HUBSPOT_COMMPREFS_LOG=debug|info``),
and the one home of the token redaction rule: whatever the package prints, writes or logs that came from a
server goes through ``scrub`` (a text), ``scrub_value`` (a decoded JSON value) or ``redact_headers``. A server
may echo the token anywhere (a header, an error body, any string of a 200), raw or with JSON's escapes (``=``
as ``\\u003d``, as Gson writes it), so ``scrub`` also reads each JSON string literal as JSON decodes it.
"""

from __future__ import annotations

import itertools
import json
import logging
import operator
import os
import re
import warnings
from typing import TYPE_CHECKING, Any

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
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
"""A JSON string literal, escapes included (in a JSON text, every ``"`` outside one opens one)."""
_BATCH = 4096
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_warned: set[str] = set()

logger = logging.getLogger(LOGGER_NAME)


def setup_logging() -> None:
    """Apply ``HUBSPOT_COMMPREFS_LOG``: set the level and add one stderr handler (once). An unknown value
    is reported by ``unknown_level_warning`` when a client is made, not at import time."""
    level = _LEVELS.get(os.environ.get(ENV_LOG, "").strip().lower())
    if level is None:
        return
    logger.setLevel(level)
    if not any(getattr(h, "_hubspot_commprefs", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        handler._hubspot_commprefs = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


def unknown_level_warning() -> str | None:
    """What to say about an unknown ``HUBSPOT_COMMPREFS_LOG`` (``verbose``), once per value; else None."""
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
    """``unknown_level_warning`` as a ``UserWarning``, shown ``stacklevel`` frames above the caller."""
    message = unknown_level_warning()
    if message is not None:
        warnings.warn(message, UserWarning, stacklevel=stacklevel + 2)


def secret_from(token: str | None) -> str | None:
    """``token`` as it is scrubbed (stripped), or None when there is none or it is too short to scrub."""
    token = (token or "").strip()
    return token if len(token) >= MIN_SECRET_LENGTH else None


def secret_of(request: httpx.Request | None) -> str | None:
    """The bearer token ``request`` carries, if it is long enough to be scrubbed safely."""
    if request is None:
        return None
    value = request.headers.get("authorization", "")
    if value[: len(_BEARER)].lower() != _BEARER:
        return None
    return secret_from(value[len(_BEARER) :])


def _decoded(literals: list[str]) -> list[str | None]:
    """Each JSON string literal decoded (None for one JSON cannot read), in one ``json.loads`` when it can."""
    try:
        values: list[str | None] = json.loads("[" + ",".join(literals) + "]", strict=False)
    except ValueError:  # an escape JSON does not know (``\\x41``), in a text that is not JSON: one at a time
        values = []
        for literal in literals:
            try:
                values.append(json.loads(literal, strict=False))
            except ValueError:
                values.append(None)
    return values


def _scrub_literals(text: str, secret: str) -> str:
    """``text`` with each JSON string literal whose decoded value holds ``secret`` written again without it
    (only literals with an escape are decoded, a bounded batch at a time)."""
    parts: list[str] = []
    done = 0
    escaped = (m for m in _JSON_STRING.finditer(text) if text.find("\\", m.start(), m.end()) >= 0)
    while batch := list(itertools.islice(escaped, _BATCH)):
        for match, value in zip(batch, _decoded([m.group() for m in batch]), strict=True):
            if value is not None and secret in value:
                parts += (text[done : match.start()], json.dumps(value.replace(secret, REDACTED)))
                done = match.end()
    return "".join((*parts, text[done:])) if parts else text


def scrub(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` replaced by ``[redacted]``: as is, and in each JSON string literal that holds it
    once decoded (written again in ASCII); the rest byte for byte, the same object when nothing was replaced.
    Scrub whole texts before cutting excerpts out of them."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return text
    if secret in text:
        text = text.replace(secret, REDACTED)
    return _scrub_literals(text, secret) if "\\" in text else text


def scrub_value(value: Any, secret: str | None) -> Any:
    """A decoded JSON value with ``scrub`` applied to every string, keys included (a copy only if changed)."""
    if isinstance(value, str):
        return scrub(value, secret)
    if isinstance(value, list):
        items = [scrub_value(item, secret) for item in value]
        return value if all(map(operator.is_, items, value)) else items
    if isinstance(value, dict):
        keys = [scrub_value(key, secret) for key in value]
        items = [scrub_value(item, secret) for item in value.values()]
        same = all(map(operator.is_, keys, value)) and all(map(operator.is_, items, value.values()))
        return value if same else dict(zip(keys, items, strict=True))
    return value


def redact_headers(headers: Iterable[tuple[str, str]], secret: str | None = None) -> dict[str, str]:
    """The headers, credential-bearing ones ``[redacted]``, ``secret`` scrubbed from the others."""
    return {
        name: REDACTED if name.lower() in SENSITIVE_HEADERS else scrub(value, secret)
        for name, value in headers
    }


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate (valid JSON, not UTF-8) written as JSON's escape (``\\udXXX``)."""
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
