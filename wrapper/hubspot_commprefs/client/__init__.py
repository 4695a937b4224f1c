"""The client: ``CommPrefs`` and ``AsyncCommPrefs``, and what other sub-packages (bulk, cli, conformance,
testing) may use of it; they import from here, never from its private modules (one per concept, see
docs/architecture.md). The recording names load with their first use.
"""

from typing import TYPE_CHECKING, Any

from hubspot_commprefs.client._client import AsyncCommPrefs, CommPrefs
from hubspot_commprefs.client._http import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BadEncodingError,
    BodyTooLargeError,
    DeadlinePassedError,
    UnsupportedEncodingError,
    bounded_http_client,
    deadline,
    read_chunks,
)
from hubspot_commprefs.client._ids import MAX_ID_LENGTH, normalise_subscriber_id
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
    resolve_base_url,
)
from hubspot_commprefs.client._results import (
    UNSUBSCRIBED,
    RateLimitInfo,
    ReportedError,
    SubscriptionStatuses,
    UnsubscribeAllStatus,
)
from hubspot_commprefs.client._retry import RetryPolicy

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
    if name in _RECORDING:
        from hubspot_commprefs.client import _recording

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
    "deadline",
    "normalise_subscriber_id",
    "port_problem",
    "prepare_recording_dir",
    "read_chunks",
    "read_recording",
    "resolve_base_url",
]
