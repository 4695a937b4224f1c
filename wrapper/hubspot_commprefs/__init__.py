"""hubspot-commprefs: a typed client for HubSpot's Communication Preferences API, and its test harness.

    from hubspot_commprefs import CommPrefs
    with CommPrefs() as client:  # the token comes from HUBSPOT_ACCESS_TOKEN
        client.is_unsubscribed_from_all("alice@example.com")

``API_VERSION`` is the ``info.version`` of the spec the generated client was made from (``__version__`` is
the package's own). The generated models and enums, ``LookupOutcome``, ``Rate``, ``RecordingError`` and
``API_VERSION`` load on first access. Classes show under this package's name (``hubspot_commprefs.NotFoundError``),
and ``dir()`` lists ``__all__`` and the public subpackages imported so far.
"""

from __future__ import annotations

import importlib
import types
from typing import TYPE_CHECKING, Any

from hubspot_commprefs._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CommPrefsError,
    DuplicateKeyError,
    IncompleteResultError,
    InternalServerError,
    InvalidSubscriberIdError,
    MissingTokenError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    UnexpectedResponseError,
)
from hubspot_commprefs._version import __version__
from hubspot_commprefs.client import (
    DEFAULT_BASE_URL,
    DEFAULT_CHANNEL,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AsyncCommPrefs,
    CommPrefs,
    RateLimitInfo,
    ReportedError,
    SubscriptionStatuses,
    UnsubscribeAllStatus,
)
from hubspot_commprefs.schemas import api_version

if TYPE_CHECKING:
    from hubspot_commprefs_client.models import (
        ActionResponseStatus,
        Channel,
        LegalBasis,
        PublicStatus,
        PublicWideStatus,
        SetStatusSuccessReason,
        StandardError,
        SubscriptionStatus,
        WideStatusType,
    )

    from hubspot_commprefs.bulk import LookupOutcome, Rate
    from hubspot_commprefs.client import RecordingError

    API_VERSION: str

_GENERATED_MODELS = "hubspot_commprefs_client.models"
_LAZY = {
    "ActionResponseStatus": _GENERATED_MODELS,
    "Channel": _GENERATED_MODELS,
    "LegalBasis": _GENERATED_MODELS,
    "PublicStatus": _GENERATED_MODELS,
    "PublicWideStatus": _GENERATED_MODELS,
    "SetStatusSuccessReason": _GENERATED_MODELS,
    "StandardError": _GENERATED_MODELS,
    "SubscriptionStatus": _GENERATED_MODELS,
    "WideStatusType": _GENERATED_MODELS,
    "LookupOutcome": "hubspot_commprefs.bulk._engine",
    "Rate": "hubspot_commprefs.bulk._limiter",
    "RecordingError": "hubspot_commprefs.client._recording",
}

__all__ = [
    "API_VERSION",
    "DEFAULT_BASE_URL",
    "DEFAULT_CHANNEL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "ActionResponseStatus",
    "AsyncCommPrefs",
    "AuthenticationError",
    "BadRequestError",
    "Channel",
    "CommPrefs",
    "CommPrefsError",
    "DuplicateKeyError",
    "IncompleteResultError",
    "InternalServerError",
    "InvalidSubscriberIdError",
    "LegalBasis",
    "LookupOutcome",
    "MissingTokenError",
    "NotFoundError",
    "PermissionDeniedError",
    "PublicStatus",
    "PublicWideStatus",
    "Rate",
    "RateLimitError",
    "RateLimitInfo",
    "RecordingError",
    "ReportedError",
    "ResponseTooLargeError",
    "SetStatusSuccessReason",
    "StandardError",
    "SubscriptionStatus",
    "SubscriptionStatuses",
    "UnexpectedResponseError",
    "UnsubscribeAllStatus",
    "WideStatusType",
    "__version__",
]


for _name in __all__:
    _value = globals().get(_name)
    if isinstance(_value, type) and _value.__module__.startswith(f"{__name__}."):
        _value.__module__ = __name__  # the lazy ones (LookupOutcome...) do this in their own module
del _name, _value


def __getattr__(name: str) -> Any:
    if name == "API_VERSION":
        value: Any = api_version()
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


# Sub-packages that are layers of this package (always loaded, never listed).
_LAYERS = frozenset({"bulk", "client", "openapi", "schemas"})


def __dir__() -> list[str]:
    subpackages = {
        name
        for name, value in globals().items()
        if isinstance(value, types.ModuleType)
        and value.__name__ == f"{__name__}.{name}"
        and name[0] != "_"
        and name not in _LAYERS
    }
    return sorted({*__all__, *subpackages})
