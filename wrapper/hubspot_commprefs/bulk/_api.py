"""The Python face of bulk lookups, which ``CommPrefs.lookup_many`` and ``AsyncCommPrefs.lookup_many``
call: each lookup is one request through the client's public methods with its retries off, so that the
engine decides when a request is sent again and none escapes its limiter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hubspot_commprefs.bulk._engine import (
    DEFAULT_CONCURRENCY,
    BulkLookup,
    Check,
    LookupOutcome,
    Operation,
    ThreadedBulkLookup,
)
from hubspot_commprefs.bulk._io import iter_rows_from_ids
from hubspot_commprefs.bulk._limiter import DEFAULT_RATE, Rate
from hubspot_commprefs.client._options import check_int64

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable, Iterator

    from hubspot_commprefs.client import AsyncCommPrefs, CommPrefs


def sync_call(
    client: CommPrefs | AsyncCommPrefs, *, business_unit_id: int | None = None
) -> Callable[[Operation, str], Any]:
    """One request per call, no retries, the typed result or error (to await, from an ``AsyncCommPrefs``):
    the ``call`` of ``ThreadedBulkLookup`` and of ``BulkLookup``."""
    once = client.with_options(max_retries=0)
    methods: dict[str, Callable[..., Any]] = {
        "statuses": once.get_statuses,
        "unsubscribe-all": once.get_unsubscribe_all_status,
    }

    def call(operation: Operation, subscriber: str) -> Any:
        return methods[operation](subscriber, business_unit_id=business_unit_id)

    return call


async_call = sync_call  # an AsyncCommPrefs's methods return what BulkLookup awaits


def lookup_many_async(
    client: AsyncCommPrefs,
    subscriber_ids: Iterable[str],
    *,
    business_unit_id: int | None = None,
    rate: Rate | str = DEFAULT_RATE,
    concurrency: int = DEFAULT_CONCURRENCY,
    check: Check = "both",
) -> AsyncIterator[LookupOutcome]:
    # A plain function, so that bad options and ids are refused at the call, not at the first ``async for``.
    engine = BulkLookup(
        sync_call(client, business_unit_id=business_unit_id), rate=rate, concurrency=concurrency, check=check
    )
    check_int64("business_unit_id", business_unit_id)
    return engine.outcomes(iter_rows_from_ids(subscriber_ids))


def lookup_many(
    client: CommPrefs,
    subscriber_ids: Iterable[str],
    *,
    business_unit_id: int | None = None,
    rate: Rate | str = DEFAULT_RATE,
    concurrency: int = DEFAULT_CONCURRENCY,
    check: Check = "both",
) -> Iterator[LookupOutcome]:
    # The options and ids are checked here, at the call; nothing starts (no thread) until one iterates.
    engine = ThreadedBulkLookup(
        sync_call(client, business_unit_id=business_unit_id), rate=rate, concurrency=concurrency, check=check
    )
    check_int64("business_unit_id", business_unit_id)
    return engine.outcomes(iter_rows_from_ids(subscriber_ids))
