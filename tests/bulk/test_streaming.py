"""Bulk lookups hold neither their input nor their outcomes: ids are read as they are needed, duplicates are
found in a few bytes per id, and the in-order buffers stay bounded by the concurrency."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest
from hubspot_commprefs.bulk import _api as _bulk_api
from hubspot_commprefs.bulk import _io as _bulk_io
from hubspot_commprefs.bulk._dedup import SeenIds
from hubspot_commprefs.bulk._engine import MIN_READ_AHEAD, BulkLookup
from hubspot_commprefs.bulk._io import InputSource, ResumeState, iter_rows_from_ids

from tests.bulk.test_engine import FAST, Portal
from tests.bulk_helpers import parse_input, table_bytes

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class Counted:
    """An iterable of ids that counts how many were taken."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.taken = 0

    def __iter__(self) -> Iterator[str]:
        for number in range(self.count):
            self.taken += 1
            yield f"user{number}@x.com"


# --- duplicate detection -------------------------------------------------------------------------------


def test_seen_ids_names_the_first_row_without_case() -> None:
    seen = SeenIds()
    assert seen.first_row("a@x.com", 1) is None
    assert seen.first_row("b@x.com", 2) is None
    assert seen.first_row("A@X.COM", 3) == 1
    assert seen.first_row("ß@x.com", 4) is None
    assert seen.first_row("SS@x.com", 5) == 4  # casefold, as the rows compared before
    assert seen.first_row("\ud800@x.com", 6) is None  # a lone surrogate is an id like another here
    assert seen.first_row("\ud800@x.com", 7) == 6
    assert seen.count == 4


def test_seen_ids_grows_keeps_every_first_row_and_stays_under_80_bytes_per_id() -> None:
    seen = SeenIds()
    count = 200_000
    worst = 0.0
    for number in range(1, count + 1):
        assert seen.first_row(f"user{number}@example.com", number) is None
        if number >= 1000:
            worst = max(worst, table_bytes(seen) / number)
    # while it doubles, the old table (70 % full) and the new one live together: at most 17 + 34 B per id
    assert worst <= 80 * 2 / 3
    assert all(seen.first_row(f"USER{n}@example.com", 0) == n for n in range(1, count + 1, 997))
    assert seen.count == count


def test_seen_ids_keeps_row_numbers_past_32_bits() -> None:
    seen = SeenIds()
    assert seen.first_row("a@x.com", 2**32 - 1) is None
    assert seen.first_row("b@x.com", 2**40) is None
    assert seen.first_row("A@x.com", 1) == 2**32 - 1
    assert seen.first_row("B@x.com", 1) == 2**40


def test_the_digest_is_keyed_per_table() -> None:
    """Nobody can craft two ids that collide: the key is drawn afresh, not Python's hash seed."""
    assert SeenIds().digest("a@x.com") != SeenIds().digest("a@x.com")
    table = SeenIds()
    assert table.digest("a@x.com") == table.digest("A@X.com") != 0


def test_rows_from_ids_marks_duplicates_as_before() -> None:
    rows = list(iter_rows_from_ids(["a@x.com", "B@x.com", "A@X.COM", 3, "b@x.com", "bad"]))
    assert [(row.number, row.problem, row.duplicate_of) for row in rows] == [
        (1, None, None),
        (2, None, None),
        (3, "duplicate of row 1", 1),
        (4, "the subscriber id must be a str, not int", None),
        (5, "duplicate of row 2", 2),
        (6, "not an email address (HubSpot identifies subscribers by email)", None),
    ]


def test_done_rows_is_a_range_and_the_journal() -> None:
    done = ResumeState(3, {5: {}, 7: {}, 2: {}})
    assert [n for n in range(9) if n in done] == [1, 2, 3, 5, 7]
    assert len(done) == 5
    assert "1" not in done


# --- the input is read as it is needed -----------------------------------------------------------------


async def test_the_engine_reads_no_further_than_its_read_ahead() -> None:
    portal = Portal()
    ids = Counted(100_000)
    async with portal.async_client() as client:
        engine = BulkLookup(_bulk_api.async_call(client), rate=FAST, concurrency=4)
        outcomes = engine.outcomes(iter_rows_from_ids(ids))
        seen = []
        async for outcome in outcomes:
            seen.append(outcome.row)
            if len(seen) == 1:
                first_taken = ids.taken
            assert ids.taken <= outcome.row + engine.read_ahead + engine.concurrency
            if len(seen) == 2000:
                break
        await outcomes.aclose()
    assert seen == list(range(1, 2001))
    assert first_taken <= engine.read_ahead + engine.concurrency
    assert ids.taken < 2000 + engine.read_ahead + engine.concurrency


async def test_a_slow_row_holds_the_read_ahead_not_the_whole_input() -> None:
    """One row that does not finish: the others go on (and are handed on) until the read-ahead is full,
    then wait for it; what is yielded stays in input order."""
    release = asyncio.Event()

    async def call(operation: Any, subscriber: str) -> Any:
        if subscriber == "user1@x.com":  # row 2 (the first request goes alone, before the others)
            await release.wait()
        raise _bulk_io.InvalidSubscriberIdError("no", subscriber_id=subscriber)  # a row without a request

    ids = Counted(10_000)
    finished: list[int] = []
    engine = BulkLookup(
        call, rate=FAST, concurrency=3, check="statuses", on_finish=lambda o: finished.append(o.row)
    )
    outcomes = engine.outcomes(iter_rows_from_ids(ids))
    yielded: list[int] = []

    async def consume() -> None:
        async for outcome in outcomes:
            yielded.append(outcome.row)  # noqa: PERF401 - seen while the run goes, not at its end

    task = asyncio.create_task(consume())
    deadline = time.monotonic() + 10
    while len(finished) < MIN_READ_AHEAD - 2 and time.monotonic() < deadline:  # noqa: ASYNC110 - polled
        await asyncio.sleep(0.01)
    for _ in range(300):
        await asyncio.sleep(0)
    # every row of the window but the slow one, and nothing past it
    assert MIN_READ_AHEAD - 2 <= len(finished) <= MIN_READ_AHEAD
    assert 2 not in finished
    assert ids.taken <= MIN_READ_AHEAD + 2
    assert yielded == [1]
    release.set()
    await task
    assert sorted(finished) == list(range(1, 10_001))
    assert yielded == list(range(1, 10_001))


async def test_async_lookup_many_takes_a_generator_lazily() -> None:
    portal = Portal()
    ids = Counted(50_000)
    async with portal.async_client() as client:
        outcomes = client.lookup_many(iter(ids), rate=FAST, check="statuses", concurrency=2)
        assert ids.taken == 0  # nothing read before the first ``async for``
        rows = []
        async for outcome in outcomes:
            rows.append(outcome.row)
            if len(rows) == 1:
                assert ids.taken <= MIN_READ_AHEAD + 2
            if len(rows) == 500:
                break
        await outcomes.aclose()  # type: ignore[attr-defined]
    assert rows == list(range(1, 501))
    assert ids.taken <= 500 + MIN_READ_AHEAD + 2


def test_lookup_many_takes_a_generator_lazily_and_holds_a_bounded_number_of_rows() -> None:
    portal = Portal()
    ids = Counted(50_000)
    with portal.sync_client() as client:
        outcomes = client.lookup_many(iter(ids), rate=FAST, check="statuses", concurrency=3)
        assert ids.taken == 0
        first = next(outcomes)
        assert first.row == 1
        # Rows in the engine are at most the read-ahead past the oldest one not yielded.
        assert ids.taken <= 1 + MIN_READ_AHEAD
        for _ in range(1000):
            next(outcomes)
        assert ids.taken <= 1001 + MIN_READ_AHEAD
        outcomes.close()  # type: ignore[attr-defined]


def test_lookup_many_still_refuses_a_str_at_the_call() -> None:
    portal = Portal()
    with portal.sync_client() as client, pytest.raises(TypeError, match="not one string"):
        client.lookup_many("a@x.com")


def test_an_error_raised_by_the_generator_comes_out_of_lookup_many_after_the_rows_before_it() -> None:
    def ids() -> Iterator[str]:
        yield "a@x.com"
        yield "b@x.com"
        raise RuntimeError("the source broke")

    portal = Portal()
    with portal.sync_client() as client:
        got: list[str] = []
        outcomes = client.lookup_many(ids(), rate=FAST, check="statuses", concurrency=1)
        with pytest.raises(RuntimeError, match="the source broke"):
            got.extend(outcome.subscriber for outcome in outcomes)
    assert got in (["a@x.com"], ["a@x.com", "b@x.com"])


def test_input_source_reads_the_file_in_passes_and_counts_it(tmp_path: Path) -> None:
    source = tmp_path / "ids.csv"
    source.write_text('name,email\nAl,a@x.com\n\nBo,"b@x.com"\nCy,A@x.com\n')
    with InputSource(str(source)) as reader:
        assert reader.count() == 3
        rows = list(reader.rows())
        assert rows == parse_input(source.read_text(), suffix=".csv")
        assert [row.duplicate_of for row in reader.rows()] == [None, None, 1]


def test_standard_input_is_copied_to_a_file_without_a_name_and_read_in_passes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import io
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a@x.com\nb@x.com\n"), encoding="utf-8"))
    with InputSource("-") as reader:
        assert reader.path is None
        assert list(tmp_path.iterdir()) == []  # on disk, but with no name to leave behind on any exit
        assert reader.count() == 2
        assert [row.subscriber for row in reader.rows()] == ["a@x.com", "b@x.com"]
        assert [row.subscriber for row in reader.rows()] == ["a@x.com", "b@x.com"]  # read again
        spool = reader._spool
        assert spool is not None
    assert spool.closed
