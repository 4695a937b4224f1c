"""The client's options: the named defaults, and the checkers that turn a bad option into a ``TypeError`` or
``ValueError`` naming it (in the constructor, in ``with_options`` and per call)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from hubspot_commprefs._errors import MissingTokenError
from hubspot_commprefs._version import __version__
from hubspot_commprefs.schemas import INT64_MAX, INT64_MIN

DEFAULT_BASE_URL = "https://api.hubapi.com"
"""HubSpot's API host; overridden by the ``base_url`` keyword or the ``HUBSPOT_BASE_URL`` variable."""

ENV_ACCESS_TOKEN = "HUBSPOT_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a token
ENV_BASE_URL = "HUBSPOT_BASE_URL"

DEFAULT_TIMEOUT_SECONDS = 10.0
"""The longest one attempt takes by default (the largest part of ``DEFAULT_TIMEOUT``; the CLI's default)."""

DEFAULT_TIMEOUT = httpx.Timeout(DEFAULT_TIMEOUT_SECONDS, connect=5.0)
"""10 s to read, write or wait for a pooled connection, 5 s to connect: one lookup is a small GET."""

MAX_TIMEOUT = 86400.0
"""The longest timeout accepted, in seconds (a day: anything longer is a mistake; ``None`` means no limit)."""

DEFAULT_MAX_RETRIES = 2
"""Retries after the first attempt (so at most three requests per call)."""

MAX_SERVER_DELAY = 60.0
"""The longest wait the client accepts from the server; for a longer one the error is raised at once."""

DEFAULT_CHANNEL = "EMAIL"
"""The only channel the API supports today; every call sends it unless told otherwise."""

USER_AGENT = f"hubspot-commprefs/{__version__}"

TimeoutTypes = httpx.Timeout | float | None
NOT_GIVEN: Any = object()
"""The default of an option whose ``None`` means something (``timeout=None``: no limit)."""

_USERINFO = re.compile(r"[^:/?#]*://[^/?#]*@")
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_RESERVED_HEADERS = frozenset({"authorization", "proxy-authorization"})


def resolve_token(access_token: str | None) -> str:
    """The token to send: ``access_token``, else ``$HUBSPOT_ACCESS_TOKEN``. ``MissingTokenError`` (a
    ``ValueError``) when there is none, or it is empty or blank; ``TypeError`` for one that is not a str.
    No message ever shows the token."""
    if access_token is None:
        token = os.environ.get(ENV_ACCESS_TOKEN)
        if token is None:
            raise MissingTokenError(
                f"no HubSpot access token: pass access_token=... or set the {ENV_ACCESS_TOKEN} environment "
                "variable"
            )
        if not token.strip():
            raise MissingTokenError(
                f"no HubSpot access token: {ENV_ACCESS_TOKEN} is set but empty; set it to the token, or pass "
                "access_token=..."
            )
    elif not isinstance(access_token, str):
        raise TypeError(f"access_token must be a str, not {type(access_token).__name__}")
    elif not access_token.strip():
        raise MissingTokenError("no HubSpot access token: access_token is empty (or only whitespace)")
    else:
        token = access_token
    if not token.isascii() or not token.isprintable() or " " in token:
        # Never echo the token itself.
        raise ValueError("the access token holds spaces, control or non-ASCII characters")
    return token


def port_problem(url: str) -> str | None:
    """Why the port of ``url`` is not a port (out of range, not a number), or None. httpx accepts such a
    URL and fails only when it sends, so the client and the command line both check it up front."""
    try:
        _ = urlsplit(url.strip()).port  # raises ValueError for a port out of range or not a number
    except ValueError as error:
        return str(error)
    return None


def resolve_base_url(base_url: object) -> str:
    from_env = os.environ.get(ENV_BASE_URL) if base_url is None else None
    if from_env is not None and not from_env.strip():
        # An unset shell variable expanded into it, say: falling back to HubSpot's host would send the
        # token to production from what was meant to be a test set-up.
        raise ValueError(
            f"{ENV_BASE_URL} is set but empty: unset it to use HubSpot's host ({DEFAULT_BASE_URL}), "
            "or give a URL"
        )
    url = base_url if base_url is not None else (from_env or DEFAULT_BASE_URL)
    if not isinstance(url, str):
        raise TypeError(f"base_url must be a str, not {type(url).__name__}")
    if _USERINFO.match(url):
        # Never echo it: the part before "@" may be a password.
        raise ValueError("base_url must not hold a user name or password (user:password@host)")
    shown = repr(url) if "@" not in url else "(not shown: it holds '@')"
    if "?" in url or "#" in url:
        raise ValueError(f"base_url {shown} must not have a query or a fragment ('?' or '#')")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"base_url {shown} is not a valid URL: {type(exc).__name__}") from None
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ValueError(f"base_url {shown} must be an http(s) URL with a host")
    port = port_problem(url)
    if port is not None:
        raise ValueError(f"base_url {shown} has an invalid port ({port})")
    return str(parsed).rstrip("/")


def resolve_timeout(timeout: object) -> httpx.Timeout:
    """A positive number of seconds (at most ``MAX_TIMEOUT``), None for no limit, or an ``httpx.Timeout``
    whose every part is one of those."""
    if isinstance(timeout, httpx.Timeout):
        for part, value in timeout.as_dict().items():
            check_seconds(f"timeout's {part}", value)
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    return httpx.Timeout(check_seconds("timeout", timeout))


def check_seconds(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(
            f"{name} must be a number of seconds, None (no limit) or an httpx.Timeout, "
            f"not {type(value).__name__}"
        )
    if not 0 < value <= MAX_TIMEOUT:  # also refuses NaN
        raise ValueError(
            f"{name} must be more than 0 and at most {MAX_TIMEOUT:g} seconds (None: no limit), not {value!r}"
        )
    return float(value)


def check_count(name: str, value: object, minimum: int) -> int:
    """``value`` as a plain int of at least ``minimum``; ``TypeError`` or ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be {'at least 1' if minimum else '0 or more'}, not {value}")
    return int.__index__(value)


def with_headers(headers: Mapping[str, str], extra: object, option: str) -> httpx.Headers:
    """``headers`` with those of the option named ``option`` set over them (names ignoring case), each checked;
    never echo a value (it may be a credential)."""
    merged = httpx.Headers(headers)
    if extra is None:
        return merged
    if not isinstance(extra, Mapping):
        raise TypeError(f"{option} must be a mapping, not {type(extra).__name__}")
    for name, value in extra.items():
        if not isinstance(name, str):
            raise TypeError(f"{option}: a header name must be a str, not {type(name).__name__}")
        if not HEADER_NAME.fullmatch(name):
            raise ValueError(f"{option}: {name!r} is not a valid header name")
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(
                f"{option} must not set {name!r}: the client sends the access token itself "
                "(pass access_token=...)"
            )
        if not isinstance(value, str):
            raise TypeError(f"{option}[{name!r}] must be a str, not {type(value).__name__}")
        if not _HEADER_VALUE.fullmatch(value):
            raise ValueError(
                f"{option}[{name!r}] holds a character a header cannot carry "
                "(only printable ASCII, spaces and tabs; no CR or LF)"
            )
        merged[name] = value
    return merged


def check_int64(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, not {type(value).__name__}")
    # A plain int: an int subclass (an IntEnum, say) may write itself differently with str().
    number = int.__index__(value)
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(f"{name} {number} is out of the int64 range")
    return number
