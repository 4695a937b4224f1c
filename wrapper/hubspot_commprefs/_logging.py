"""Logging: ``logging.getLogger("hubspot_commprefs")``, switched on by ``HUBSPOT_COMMPREFS_LOG=debug|info``.

The one home of the token redaction rule: whatever the package prints, writes or logs that came from a
server goes through ``scrub`` (a text), ``scrub_value`` (a decoded JSON value) or ``redact_headers``, which
replace the token by ``[redacted]``. A server or proxy may echo the token anywhere: in a header
(``WWW-Authenticate``, a debugging one), in an error body, in any string of a 200 answer
(``subscriptionName``, ``source``, a field the spec lacks), raw or written with JSON's escapes (``=`` as
``\\u003d``, as Gson writes it by default; ``/`` as ``\\/``). ``scrub`` therefore also reads each JSON string
literal of a text as JSON decodes it, so that the token comes back from no ``json.loads`` of what was
written either. Headers are logged only through ``redact_headers``, which also replaces the values of the
credential-bearing ones.
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
        handler._hubspot_commprefs = True  # type: ignore[attr-defined]
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


def secret_from(token: str | None) -> str | None:
    """``token`` as it is scrubbed (without surrounding whitespace), or None when there is none or it is too
    short to be scrubbed safely."""
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
    """``text`` with each JSON string literal whose decoded value holds ``secret`` written again without it.
    Only literals with an escape are decoded (the others hold it as is, or not at all), a bounded batch at
    a time."""
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
    """``text`` with every occurrence of ``secret`` replaced by ``[redacted]``: as is, and in every JSON string
    literal that holds it once decoded (``"pat\\u002dna1..."``), which is then written again (in ASCII, so a
    lone surrogate stays an escape) with the token replaced; the rest of the text is left byte for byte.
    The same object when nothing was replaced. Scrub whole texts before cutting excerpts out of them, never
    the other way round."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return text
    if secret in text:
        text = text.replace(secret, REDACTED)
    return _scrub_literals(text, secret) if "\\" in text else text


def scrub_value(value: Any, secret: str | None) -> Any:
    """A decoded JSON value with ``scrub`` applied to every string in it, keys included: the same object when
    nothing was replaced, else a copy (``value`` itself is never changed)."""
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
    """The headers, with the values of credential-bearing ones replaced by ``[redacted]`` and ``secret``
    scrubbed from all the others."""
    return {
        name: REDACTED if name.lower() in SENSITIVE_HEADERS else scrub(value, secret)
        for name, value in headers
    }


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as JSON's escape (``\\udXXX``), so that it can be written
    as UTF-8 and reads back equal (valid JSON may hold one; UTF-8 cannot carry it)."""
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
