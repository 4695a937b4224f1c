"""Many lookups at once: ``_engine`` (decisions, outcomes, thread and asyncio drivers), ``_api``
(``lookup_many``), ``_limiter`` (the rate limiter), ``_io`` (input, output, journal, resume), ``_dedup``
(duplicates), ``_progress`` (the bar and the words of the counts). Bulk depends on the client, never the
reverse: the clients' ``lookup_many`` import it lazily.
"""

from hubspot_commprefs.bulk._api import lookup_many, lookup_many_async, sync_call
from hubspot_commprefs.bulk._engine import BulkLookup, Check, LookupOutcome, ThreadedBulkLookup
from hubspot_commprefs.bulk._io import (
    COLUMNS,
    BulkInputError,
    InputRow,
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
from hubspot_commprefs.bulk._progress import FAILED, NOT_CHECKED, ProgressBar, counted, kind

__all__ = [
    "COLUMNS",
    "FAILED",
    "NOT_CHECKED",
    "BulkInputError",
    "BulkLookup",
    "Check",
    "InputRow",
    "InputSource",
    "LookupOutcome",
    "OrderedSink",
    "ProgressBar",
    "Rate",
    "RecordWriter",
    "ResumeError",
    "ResumeState",
    "ThreadedBulkLookup",
    "counted",
    "journal_path",
    "kind",
    "load_resume",
    "lookup_many",
    "lookup_many_async",
    "open_writer",
    "output_format_for",
    "retry_errors",
    "sync_call",
]
