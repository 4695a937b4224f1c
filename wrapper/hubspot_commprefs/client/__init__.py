"""The client: ``CommPrefs`` and ``AsyncCommPrefs``, and what other sub-packages may use of it.

Layers, lowest first: ``_options`` (named defaults and the option checkers), ``_paths`` and
``_subscriber_id`` (what a subscriber id may be), ``_transport`` (bounded reading of an answer),
``_rate_limit`` (HubSpot's rate-limit headers), ``_results`` (the typed results), ``_operations`` (each
operation's generated endpoint, result type and default parameters), ``_requests`` (building a request),
``_responses`` (an answer to a result or a typed error), ``_sending`` (one attempt's I/O), ``_retry``
(the one retry rule, and its loop as a generator), ``_recording`` (record for replay), ``_base`` (what
both clients share), and the two thin clients ``_sync`` and ``_async``. Token redaction and the logger
are ``hubspot_commprefs._logging``, shared with the other sub-packages.

Other sub-packages (bulk, cli, conformance, testing) import from here, never from those private modules.
The client imports ``hubspot_commprefs.bulk`` only lazily, in ``lookup_many`` (bulk depends on the
client, not the reverse).
"""

from typing import TYPE_CHECKING, Any

from hubspot_commprefs.client._async import AsyncCommPrefs
from hubspot_commprefs.client._options import (
    DEFAULT_BASE_URL,
    DEFAULT_CHANNEL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_TIMEOUT_SECONDS,
    ENV_ACCESS_TOKEN,
    ENV_BASE_URL,
    MAX_SERVER_DELAY,
    MAX_TIMEOUT,
    port_problem,
)
from hubspot_commprefs.client._paths import check_subscriber_id
from hubspot_commprefs.client._rate_limit import RateLimitInfo
from hubspot_commprefs.client._results import (
    UNSUBSCRIBED,
    ReportedError,
    SubscriptionStatuses,
    UnsubscribeAllStatus,
)
from hubspot_commprefs.client._retry import RetryPolicy, is_daily_limit
from hubspot_commprefs.client._subscriber_id import MAX_ID_LENGTH, id_problem, normalise_subscriber_id
from hubspot_commprefs.client._sync import CommPrefs
from hubspot_commprefs.client._transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BadEncodingError,
    BodyTooLargeError,
    DeadlinePassedError,
    UnsupportedEncodingError,
    bounded_http_client,
    deadline,
    read_body,
    read_chunks,
)

if TYPE_CHECKING:
    from hubspot_commprefs.client._recording import (
        RecordedAnswer,
        Recorder,
        RecordingError,
        prepare_recording_dir,
        read_recording,
    )

_RECORDING = frozenset(
    {"RecordedAnswer", "Recorder", "RecordingError", "prepare_recording_dir", "read_recording"}
)


def __getattr__(name: str) -> Any:
    """The recording names load with their first use (only a client with ``record_to`` needs them)."""
    if name in _RECORDING:
        from hubspot_commprefs.client import _recording  # noqa: PLC0415 - see the docstring

        value = getattr(_recording, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CHANNEL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TIMEOUT_SECONDS",
    "ENV_ACCESS_TOKEN",
    "ENV_BASE_URL",
    "MAX_ID_LENGTH",
    "MAX_SERVER_DELAY",
    "MAX_TIMEOUT",
    "UNSUBSCRIBED",
    "AsyncCommPrefs",
    "BadEncodingError",
    "BodyTooLargeError",
    "CommPrefs",
    "DeadlinePassedError",
    "RateLimitInfo",
    "RecordedAnswer",
    "Recorder",
    "RecordingError",
    "ReportedError",
    "RetryPolicy",
    "SubscriptionStatuses",
    "UnsubscribeAllStatus",
    "UnsupportedEncodingError",
    "bounded_http_client",
    "check_subscriber_id",
    "deadline",
    "id_problem",
    "is_daily_limit",
    "normalise_subscriber_id",
    "port_problem",
    "prepare_recording_dir",
    "read_body",
    "read_chunks",
    "read_recording",
]
