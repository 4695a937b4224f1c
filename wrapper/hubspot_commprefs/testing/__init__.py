"""A fake HubSpot Communication Preferences server for tests, driven by the spec (needs the ``harness`` extra):
``with FakeHubSpot(faults=["enum-value"]) as server: ...`` then use ``server.base_url`` and ``server.token``.
The package's pytest plugin gives the ``fake_hubspot``, ``fake_hubspot_session`` and ``hubspot_target`` fixtures.
"""

from hubspot_commprefs._extras import require_harness as _require_harness

_require_harness("hubspot_commprefs.testing (the fake HubSpot server)")

from hubspot_commprefs._faults import DRIFT_FIELDS, FAULT_HELP, Fault
from hubspot_commprefs._tokens import DEFAULT_TOKEN, DEFAULT_TOKEN_WITHOUT_SCOPE
from hubspot_commprefs.testing._app import RateLimit, RecordedRequest
from hubspot_commprefs.testing._bodies import SCOPES
from hubspot_commprefs.testing._data import (
    BusinessUnit,
    Contact,
    Dataset,
    DatasetError,
    OptOut,
    SubscriptionStatus,
    SubscriptionType,
    dataset_from_dict,
    default_dataset,
    load_dataset,
)
from hubspot_commprefs.testing._replay import (
    Replay,
    ReplayDriftError,
    ReplayError,
    ReplayWarning,
    load_replay,
)
from hubspot_commprefs.testing._server import FakeHubSpot, FakeServerError, one_of_each_kind

__all__ = [
    "DEFAULT_TOKEN",
    "DEFAULT_TOKEN_WITHOUT_SCOPE",
    "DRIFT_FIELDS",
    "FAULT_HELP",
    "SCOPES",
    "BusinessUnit",
    "Contact",
    "Dataset",
    "DatasetError",
    "FakeHubSpot",
    "FakeServerError",
    "Fault",
    "OptOut",
    "RateLimit",
    "RecordedRequest",
    "Replay",
    "ReplayDriftError",
    "ReplayError",
    "ReplayWarning",
    "SubscriptionStatus",
    "SubscriptionType",
    "dataset_from_dict",
    "default_dataset",
    "load_dataset",
    "load_replay",
    "one_of_each_kind",
]
