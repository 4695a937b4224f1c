"""Many lookups at once: ``_engine`` (the bulk engine: its decisions, its outcomes, its thread and
asyncio drivers), ``_api`` (driving it with a client: ``lookup_many`` and the call adapters),
``_limiter`` (the rolling-window rate limiter), ``_io`` (input, output, journal and resume), ``_dedup`` (duplicate
detection), ``_progress`` (the progress bar).

Bulk depends on the client (through ``hubspot_commprefs.client``), never the reverse: the clients'
``lookup_many`` import this package lazily, when first called.
"""

from hubspot_commprefs.bulk._api import lookup_many, lookup_many_async, sync_call
from hubspot_commprefs.bulk._engine import BulkLookup, Check, LookupOutcome, ThreadedBulkLookup
from hubspot_commprefs.bulk._io import (
    BulkInputError,
    DoneRows,
    InputSource,
    OrderedSink,
    RecordWriter,
    ResumeError,
    ResumeState,
    journal_path,
    load_resume,
    open_writer,
    output_format_for,
    retry_errors,
)
from hubspot_commprefs.bulk._limiter import Rate
from hubspot_commprefs.bulk._progress import ProgressBar

__all__ = [
    "BulkInputError",
    "BulkLookup",
    "Check",
    "DoneRows",
    "InputSource",
    "LookupOutcome",
    "OrderedSink",
    "ProgressBar",
    "Rate",
    "RecordWriter",
    "ResumeError",
    "ResumeState",
    "ThreadedBulkLookup",
    "journal_path",
    "load_resume",
    "lookup_many",
    "lookup_many_async",
    "open_writer",
    "output_format_for",
    "retry_errors",
    "sync_call",
]
