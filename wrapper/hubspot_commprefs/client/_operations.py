"""The two operations, taken from the generated client when first needed.

Importing the generated package (attrs classes for every model) costs more than the rest of this package
together, so ``import hubspot_commprefs`` does not do it: the first client constructed does. Request
paths and parameters come from the generated endpoints' ``_get_kwargs`` and bodies are parsed with the
generated models, so a client regenerated for another API version works with no change here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    get_kwargs: Any
    """The generated endpoint's ``_get_kwargs``: (subscriber id, channel=..., ...) -> request kwargs."""
    model: Any
    """The generated model of the 200 body."""


@dataclass(frozen=True, slots=True)
class Operations:
    get_statuses: Operation
    get_unsubscribe_all_status: Operation
    channel: Any
    """The generated ``Channel`` enum."""


@functools.cache
def load_operations() -> Operations:
    from hubspot_commprefs_client.api.subscription_statuses import (  # noqa: PLC0415 - see the docstring
        get_statuses,
        get_unsubscribe_all_status,
    )
    from hubspot_commprefs_client.models import (  # noqa: PLC0415
        ActionResponseWithResultsPublicStatus,
        ActionResponseWithResultsPublicWideStatus,
        Channel,
    )

    return Operations(
        get_statuses=Operation(
            "get_statuses",
            get_statuses._get_kwargs,  # noqa: SLF001 - the generator is pinned
            ActionResponseWithResultsPublicStatus,
        ),
        get_unsubscribe_all_status=Operation(
            "get_unsubscribe_all_status",
            get_unsubscribe_all_status._get_kwargs,  # noqa: SLF001 - the generator is pinned
            ActionResponseWithResultsPublicWideStatus,
        ),
        channel=Channel,
    )
