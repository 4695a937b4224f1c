"""The two operations, taken from the generated client when first needed.

Importing the generated package (attrs classes for every model) costs more than the rest of this package
together, so ``import hubspot_commprefs`` does not do it: the first client constructed does. Request
paths and parameters come from the generated endpoints' ``_get_kwargs`` and bodies are parsed with the
generated models, so a client regenerated for another API version works with no change here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from hubspot_commprefs.client._results import SubscriptionStatuses, UnsubscribeAllStatus

if TYPE_CHECKING:
    from collections.abc import Mapping

    from hubspot_commprefs.client._results import _ActionResult

ResultT = TypeVar("ResultT", bound="_ActionResult[Any]")

OperationName = Literal["statuses", "unsubscribe-all"]
"""An operation's short name, as the bulk engine and the command line call it."""


@dataclass(frozen=True, slots=True)
class Operation(Generic[ResultT]):
    """One operation: the generated endpoint, the model and result type of its 200 body, and the
    parameters a call sends when not told otherwise. The one place an operation is mapped to its result."""

    name: str
    short_name: OperationName
    get_kwargs: Any
    """The generated endpoint's ``_get_kwargs``: (subscriber id, channel=..., ...) -> request kwargs."""
    model: Any
    """The generated model of the 200 body."""
    result_type: type[ResultT]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    """Parameters sent unless a call gives its own (``verbose=False`` for unsubscribe-all)."""


@dataclass(frozen=True, slots=True)
class Operations:
    get_statuses: Operation[SubscriptionStatuses]
    get_unsubscribe_all_status: Operation[UnsubscribeAllStatus]
    channel: Any
    """The generated ``Channel`` enum."""

    def by_short_name(self, name: OperationName) -> Operation[Any]:
        """The operation of a short name (``statuses`` or ``unsubscribe-all``)."""
        return self.get_statuses if name == "statuses" else self.get_unsubscribe_all_status


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
            "statuses",
            get_statuses._get_kwargs,  # noqa: SLF001 - the generator is pinned
            ActionResponseWithResultsPublicStatus,
            SubscriptionStatuses,
        ),
        get_unsubscribe_all_status=Operation(
            "get_unsubscribe_all_status",
            "unsubscribe-all",
            get_unsubscribe_all_status._get_kwargs,  # noqa: SLF001 - the generator is pinned
            ActionResponseWithResultsPublicWideStatus,
            UnsubscribeAllStatus,
            {"verbose": False},
        ),
        channel=Channel,
    )
