"""The bulk engine over the real client on an in-process transport: order, retries, stops, bad ids.

The behaviour tests take the ``driver`` fixture and run twice: once driven by asyncio (``BulkLookup``),
once by threads (``ThreadedBulkLookup``, what ``lookup_many`` and the ``bulk`` command run): the decisions
are the shared engine's, and both drivers must come to the same outcomes."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httpx
import pytest
from hubspot_commprefs import (
    APIConnectionError,
    AsyncCommPrefs,
    AuthenticationError,
    CommPrefs,
    InvalidSubscriberIdError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from hubspot_commprefs.bulk._api import async_call, lookup_many, sync_call
from hubspot_commprefs.bulk._engine import BulkLookup, LookupOutcome, Operation, ThreadedBulkLookup
from hubspot_commprefs.bulk._limiter import AsyncLimiter, Limiter, Rate
from hubspot_commprefs.client._options import MAX_SERVER_DELAY

from tests.bulk_helpers import rows_from_ids
from tests.client_fixtures import action_body, status_item, wide_item

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from hubspot_commprefs.bulk._io import InputRow

    Answer = Callable[[Operation, str], Any]  # a blocking single lookup (the asyncio driver awaits it)

TOKEN = "pat-na1-bulk-test-token"
FAST = Rate(10_000, 1.0)
PATH = re.compile(r"/statuses/(?P<id>[^/]+)(?P<wide>/unsubscribe-all)?$")


class Portal:
    """An in-process HubSpot: answers per subscriber, with scripted failures before the answer."""

    def __init__(self, *, unsubscribed: set[str] | None = None) -> None:
        self.unsubscribed = unsubscribed or set()
        self.failures: dict[str, list[httpx.Response]] = {}
        self.requests: list[tuple[str, str]] = []
        self.remaining: int | None = None
        self.headers: dict[str, str] = {}

    def fail_first(self, subscriber: str, *responses: httpx.Response) -> None:
        self.failures.setdefault(subscriber, []).extend(responses)

    def handle(self, request: httpx.Request) -> httpx.Response:
        match = PATH.search(request.url.raw_path.decode().split("?")[0])
        assert match is not None
        subscriber = unquote(match["id"])
        kind = "unsubscribe-all" if match["wide"] else "statuses"
        self.requests.append((kind, subscriber))
        queued = self.failures.get(subscriber)
        if queued:
            return queued.pop(0)
        headers = dict(self.headers)
        if self.remaining is not None:
            headers |= {
                "X-HubSpot-RateLimit-Remaining": str(self.remaining),
                "X-HubSpot-RateLimit-Max": "10000",
            }
        if kind == "statuses":
            body = action_body([status_item(subscriberIdString=subscriber)])
        else:
            wide = [wide_item(subscriberIdString=subscriber)] if subscriber in self.unsubscribed else []
            body = action_body(wide)
        return httpx.Response(200, json=body, headers=headers)

    def async_client(self) -> AsyncCommPrefs:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))
        return AsyncCommPrefs(access_token=TOKEN, base_url="https://api.example.test", http_client=http)

    def sync_client(self) -> CommPrefs:
        http = httpx.Client(transport=httpx.MockTransport(self.handle))
        return CommPrefs(access_token=TOKEN, base_url="https://api.example.test", http_client=http)


def error(status: int, **body: Any) -> httpx.Response:
    headers = {"Retry-After": "0"} if status == 429 else {}
    return httpx.Response(status, content=json.dumps({"message": "no", **body}).encode(), headers=headers)


class _InstantWait(threading.Event):
    """What ``ThreadedBulkLookup`` waits a backoff out on (its run's end), recording each backoff and
    returning at once as if the time had passed: the asyncio driver's ``_sleep`` for the threaded one."""

    def __init__(self, waits: list[float]) -> None:
        super().__init__()
        self.waits = waits

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is None:
            return super().wait()
        self.waits.append(timeout)
        return self.is_set()


class Driver:
    """One bulk run, driven by asyncio's ``BulkLookup`` or by ``ThreadedBulkLookup`` from the same Portal
    (or the same blocking single lookup) and the same options, so that one test holds both to one
    behaviour. Backoffs are recorded in ``waits`` and not waited for."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.engine: Any = None
        self.yielded: list[LookupOutcome] = []  # what the run yielded, also when it raised
        self.waits: list[float] = []
        self._seconds = 0.0

    def limiter(self, rate: Rate) -> AsyncLimiter | Limiter:
        return AsyncLimiter(rate) if self.name == "asyncio" else Limiter(rate)

    def waited(self) -> float:
        """How long the run took."""
        return self._seconds

    def run(
        self, source: Portal | Answer, ids: list[Any], *, in_order: bool = False, **options: Any
    ) -> list[LookupOutcome]:
        """Every outcome the engine yields for ``ids`` (at ``FAST`` unless told), in the order it yields
        them (input order with ``in_order``); raises what stopped the run, ``yielded`` holding the rest."""
        options.setdefault("rate", FAST)
        rows = rows_from_ids(ids)
        started = time.monotonic()
        try:
            if self.name == "asyncio":
                asyncio.run(self._run_async(source, rows, in_order=in_order, options=options))
            else:
                self._run_threads(source, rows, in_order=in_order, options=options)
        finally:
            self._seconds = time.monotonic() - started
        return self.yielded

    async def _run_async(
        self, source: Portal | Answer, rows: list[InputRow], *, in_order: bool, options: dict[str, Any]
    ) -> None:
        async def no_sleep(seconds: float) -> None:
            self.waits.append(seconds)

        async with contextlib.AsyncExitStack() as stack:
            if isinstance(source, Portal):
                call = async_call(await stack.enter_async_context(source.async_client()))
            else:
                answer = source

                async def call(operation: Operation, subscriber: str) -> Any:
                    return answer(operation, subscriber)

            self.engine = engine = BulkLookup(call, **options)
            engine._sleep = no_sleep
            outcomes = engine.outcomes(rows)
            try:
                async for outcome in outcomes:
                    self.yielded.append(outcome)
            finally:
                await outcomes.aclose()

    def _run_threads(
        self, source: Portal | Answer, rows: list[InputRow], *, in_order: bool, options: dict[str, Any]
    ) -> None:
        with contextlib.ExitStack() as stack:
            call = (
                sync_call(stack.enter_context(source.sync_client())) if isinstance(source, Portal) else source
            )
            self.engine = engine = ThreadedBulkLookup(call, **options)
            engine._stopping = _InstantWait(self.waits)
            outcomes = engine.outcomes(rows)
            try:
                for outcome in outcomes:
                    self.yielded.append(outcome)
            finally:
                outcomes.close()

    def lookup_many(self, portal: Portal, ids: list[Any], **options: Any) -> list[LookupOutcome]:
        """``AsyncCommPrefs.lookup_many`` (asyncio) or ``CommPrefs.lookup_many`` (threads), at ``FAST``."""
        options.setdefault("rate", FAST)
        if self.name == "threads":
            with portal.sync_client() as client:
                for outcome in client.lookup_many(ids, **options):
                    self.yielded.append(outcome)
            return self.yielded

        async def collect() -> None:
            async with portal.async_client() as client:
                async for outcome in client.lookup_many(ids, **options):
                    self.yielded.append(outcome)

        asyncio.run(collect())
        return self.yielded

    def call_once(self, portal: Portal, operation: Operation, subscriber: str) -> Any:
        """One request through the driver's single lookup (``async_call`` or ``sync_call``)."""
        if self.name == "threads":
            with portal.sync_client() as client:
                return sync_call(client)(operation, subscriber)

        async def once() -> Any:
            async with portal.async_client() as client:
                return await async_call(client)(operation, subscriber)

        return asyncio.run(once())


@pytest.fixture(params=["asyncio", "threads"])
def driver(request: pytest.FixtureRequest) -> Driver:
    return Driver(request.param)


def test_one_outcome_per_id_in_input_order_with_both_answers(driver: Driver) -> None:
    portal = Portal(unsubscribed={"b@x.com"})
    ids = [f"{name}@x.com" for name in "abcdefghij"]
    outcomes = driver.lookup_many(portal, ids, concurrency=4)
    assert [o.subscriber for o in outcomes] == ids
    assert [o.row for o in outcomes] == list(range(1, 11))
    assert [o.unsubscribed_from_all for o in outcomes] == [False, True] + [False] * 8
    assert all(o.ok and len(o.statuses) == 1 for o in outcomes)
    assert len(portal.requests) == 20
    record = outcomes[1].to_record()
    assert record["wide_status_type"] == "PORTAL_WIDE"
    assert record["statuses"] == [{"subscriptionId": 1, "name": "Newsletter", "status": "SUBSCRIBED"}]


def test_the_engine_yields_every_row_once_whatever_the_concurrency(driver: Driver) -> None:
    portal = Portal(unsubscribed={"user7@x.com"})
    ids = [f"user{n}@x.com" for n in range(40)]
    outcomes = driver.run(portal, ids, concurrency=5)
    assert sorted(o.row for o in outcomes) == list(range(1, 41))
    assert {o.subscriber for o in outcomes} == set(ids)
    assert [o.subscriber for o in outcomes if o.unsubscribed_from_all] == ["user7@x.com"]
    assert all(o.ok and o.requests == 2 for o in outcomes)
    assert driver.engine.stats.requests == len(portal.requests) == 80


def test_invalid_and_duplicate_ids_are_reported_on_their_rows_without_a_request(driver: Driver) -> None:
    portal = Portal()
    outcomes = driver.lookup_many(portal, ["a@x.com", "nope", "", "A@X.COM", "b@x.com"])
    assert [o.outcome for o in outcomes] == ["ok", "invalid", "invalid", "duplicate", "ok"]
    assert outcomes[3].duplicate_of == 1
    assert outcomes[3].error_message == "duplicate of row 1"
    assert {subscriber for _, subscriber in portal.requests} == {"a@x.com", "b@x.com"}


def test_429s_are_retried_through_the_limiter_and_the_row_succeeds(driver: Driver) -> None:
    portal = Portal()
    portal.fail_first("a@x.com", error(429, policyName="TEN_SECONDLY_ROLLING"), error(429))
    outcomes = driver.run(portal, ["a@x.com", "b@x.com"], check="unsubscribe-all")
    assert [o.ok for o in outcomes] == [True, True]
    assert driver.engine.stats.rate_limited == 2
    assert driver.engine.stats.requests == 4
    assert portal.requests.count(("unsubscribe-all", "a@x.com")) == 3
    assert driver.waits == []  # a 429 waits in the limiter (here Retry-After: 0), never in a backoff


def test_a_503_is_retried_with_backoff_and_a_404_is_the_rows_error(driver: Driver) -> None:
    portal = Portal()
    portal.fail_first("a@x.com", error(503))
    portal.fail_first("b@x.com", error(404, category="OBJECT_NOT_FOUND"))
    outcomes = driver.run(portal, ["a@x.com", "b@x.com"], in_order=True, check="statuses")
    assert outcomes[0].ok
    assert outcomes[0].requests == 2
    assert outcomes[1].outcome == "error"
    assert isinstance(outcomes[1].error, NotFoundError)
    assert outcomes[1].error_message.startswith("NotFoundError: HTTP 404")
    assert len(driver.waits) == 1
    assert 0.5 <= driver.waits[0] <= 1.0
    assert outcomes[1].requests == 1


def test_a_row_given_up_counts_every_request_it_made(driver: Driver) -> None:
    portal = Portal()
    portal.fail_first("a@x.com", *[error(503)] * 4)  # the first request and its three retries
    portal.fail_first("b@x.com", error(503), error(404, category="OBJECT_NOT_FOUND"))
    outcomes = driver.run(portal, ["a@x.com", "b@x.com"], in_order=True, check="both", concurrency=1)
    assert [o.outcome for o in outcomes] == ["error", "error"]
    assert outcomes[0].requests == 4  # given up at its first lookup: four requests, not 0
    assert outcomes[1].requests == 2


def test_a_refused_token_stops_the_run_after_yielding_what_finished(driver: Driver) -> None:
    portal = Portal()
    portal.fail_first("c@x.com", error(401, category="INVALID_AUTHENTICATION"))
    ids = ["a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com"]
    with pytest.raises(AuthenticationError):
        driver.run(portal, ids, concurrency=1, check="statuses")
    assert [o.subscriber for o in driver.yielded] == ["a@x.com", "b@x.com"]
    assert ("statuses", "d@x.com") not in portal.requests


def test_a_daily_limit_stops_the_run(driver: Driver) -> None:
    portal = Portal()
    portal.fail_first("a@x.com", error(429, policyName="DAILY"))
    with pytest.raises(RateLimitError, match="HTTP 429") as info:
        driver.run(portal, ["a@x.com"], check="statuses")
    assert info.value.policy_name == "DAILY"
    assert driver.yielded == []
    assert portal.requests == [("statuses", "a@x.com")]


def test_an_incomplete_answer_keeps_its_data_and_cannot_tell(driver: Driver) -> None:
    portal = Portal()
    portal.fail_first("a@x.com", httpx.Response(200, json=action_body([], status="PENDING")))
    outcomes = driver.lookup_many(portal, ["a@x.com"], check="unsubscribe-all")
    assert outcomes[0].outcome == "cannot-tell"
    kept = outcomes[0].unsubscribe_all
    assert kept is not None
    assert kept.body["status"] == "PENDING"
    assert "PENDING" in outcomes[0].error_message


def test_a_low_remaining_header_slows_the_limiter(driver: Driver) -> None:
    portal = Portal()
    portal.remaining = 0  # HubSpot says someone else used the whole window
    limiter = driver.limiter(Rate(10_000, 1.0))
    driver.run(portal, ["a@x.com"], limiter=limiter, check="statuses")
    # No interval header: HubSpot's count is taken against the configured window.
    assert limiter.hubspot is None
    assert limiter.configured.busy(time.monotonic()) == 10_000
    assert limiter.configured.wait_time(time.monotonic()) > 0.5


def test_the_sync_api_yields_in_order_and_can_stop_early() -> None:
    portal = Portal(unsubscribed={"c@x.com"})
    ids = [f"{name}@x.com" for name in "abcdefgh"]
    with portal.sync_client() as client:
        outcomes = list(client.lookup_many(ids, rate=FAST, concurrency=3))
        assert [o.subscriber for o in outcomes] == ids
        assert [o.unsubscribed_from_all for o in outcomes][:3] == [False, False, True]
        first_two = []
        for outcome in client.lookup_many(ids, rate=FAST, concurrency=2):
            first_two.append(outcome.row)
            if len(first_two) == 2:
                break
        assert first_two == [1, 2]


def test_the_sync_api_raises_the_stop_error_in_the_callers_thread() -> None:
    portal = Portal()
    portal.fail_first("a@x.com", error(403, category="MISSING_SCOPES"))
    with portal.sync_client() as client, pytest.raises(PermissionDeniedError, match="HTTP 403") as caught:
        list(client.lookup_many(["a@x.com"], rate=FAST))
    assert caught.value.category == "MISSING_SCOPES"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda client: client.lookup_many("a@x.com"), "iterable"),
        (lambda client: client.lookup_many(["a@x.com"], concurrency=0), "concurrency"),
        (lambda client: client.lookup_many(["a@x.com"], rate="fast"), "rate"),
        (lambda client: lookup_many(client, ["a@x.com"], check="all"), "check"),
    ],
)
def test_bad_options_fail_before_any_request(call: Callable[[CommPrefs], Any], message: str) -> None:
    portal = Portal()
    with portal.sync_client() as client, pytest.raises((TypeError, ValueError), match=message):
        call(client)
    assert portal.requests == []


class _Complete:
    cannot_tell = None
    rate_limit = None


def _answer(operation: Any, subscriber: str) -> _Complete:
    return _Complete()


def test_a_failing_on_finish_stops_the_run_with_its_error_instead_of_losing_rows(driver: Driver) -> None:
    # Disk full while recording a finished row: the row is not on disk, so the run must not go on as if
    # it were (nor end quietly with no outcome and no error).
    def on_finish(outcome: Any) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        driver.run(_answer, ["a@b.c", "b@b.c", "c@d.e"], check="statuses", on_finish=on_finish)
    assert driver.yielded == []  # no row was recorded: none is yielded as if it were


def test_rows_recorded_before_a_failing_on_finish_are_yielded_and_the_rest_not_attempted(
    driver: Driver,
) -> None:
    recorded: list[int] = []

    def on_finish(outcome: Any) -> None:
        if outcome.row == 3:
            raise OSError(28, "No space left on device")
        recorded.append(outcome.row)

    with pytest.raises(OSError, match="No space left"):
        driver.run(
            _answer, [f"{n}@x.com" for n in "abcde"], check="statuses", concurrency=1, on_finish=on_finish
        )
    assert recorded == [o.row for o in driver.yielded] == [1, 2]
    assert driver.engine.stats.requests == 3


def test_only_the_clients_refusal_of_an_id_is_an_invalid_row(driver: Driver) -> None:
    """``InvalidSubscriberIdError`` (the client refused the id) is ``invalid``; any other exception, such as
    a ValueError met while reading an answer, is an ``error`` row that ``--retry-errors`` looks up again,
    and the run goes on."""

    def call(operation: Any, subscriber: str) -> _Complete:
        if subscriber == "long@x.com":
            raise InvalidSubscriberIdError("subscriber id is too long to send", subscriber_id=subscriber)
        if subscriber == "odd@x.com":
            raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")
        if subscriber == "bad@x.com":
            raise TypeError("unsupported operand")
        return _Complete()

    ids = ["a@x.com", "long@x.com", "odd@x.com", "bad@x.com", "b@x.com"]
    outcomes = driver.run(call, ids, in_order=True, check="statuses", concurrency=1)
    assert [o.outcome for o in outcomes] == ["ok", "invalid", "error", "error", "ok"]
    assert outcomes[1].error_message == "subscriber id is too long to send"
    assert outcomes[2].error_message == (
        "ValueError: Exceeds the limit (4300 digits) for integer string conversion"
    )
    assert outcomes[3].error_message == "TypeError: unsupported operand"


def test_an_id_too_long_for_a_url_is_refused_before_any_request(driver: Driver) -> None:
    portal = Portal()
    huge = "a" * 70_000 + "@x.com"  # over httpx's URL length limit
    with pytest.raises(InvalidSubscriberIdError, match="longer than 1000 characters"):
        driver.call_once(portal, "statuses", huge)
    outcomes = driver.lookup_many(portal, ["a@x.com", huge, "b@x.com"])
    assert [o.outcome for o in outcomes] == ["ok", "invalid", "ok"]
    assert "longer than 1000 characters" in outcomes[1].error_message
    assert {subscriber for _, subscriber in portal.requests} == {"a@x.com", "b@x.com"}


def test_items_that_are_not_strings_are_invalid_rows_not_a_crash(driver: Driver) -> None:
    portal = Portal()
    ids: list[Any] = ["a@b.c", 5, None, b"c@d.e"]
    outcomes = driver.lookup_many(portal, ids)
    assert [o.outcome for o in outcomes] == ["ok", "invalid", "invalid", "invalid"]
    assert [o.subscriber for o in outcomes] == ["a@b.c", "5", "", "b'c@d.e'"]
    assert outcomes[1].error_message == "the subscriber id must be a str, not int"
    assert outcomes[2].error_message == "the subscriber id must be a str, not NoneType"
    assert {subscriber for _, subscriber in portal.requests} == {"a@b.c"}


@pytest.mark.parametrize("retry_after", ["3600", "1e9"])
def test_a_retry_after_beyond_the_cap_stops_the_run_and_keeps_the_rows_before(
    driver: Driver, retry_after: str
) -> None:
    # The client never waits longer than MAX_SERVER_DELAY for HubSpot: neither does the bulk engine. The
    # run stops with the 429 (resumable), rather than hanging for an hour or forever.
    portal = Portal()
    portal.fail_first(
        "b@x.com", httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": retry_after})
    )
    limiter = driver.limiter(FAST)
    with pytest.raises(RateLimitError) as stopped:
        driver.run(
            portal, ["a@x.com", "b@x.com", "c@x.com"], limiter=limiter, concurrency=1, check="statuses"
        )
    assert stopped.value.retry_after == pytest.approx(float(retry_after))
    assert [o.subscriber for o in driver.yielded] == ["a@x.com"]
    assert driver.waited() < 1.0  # never waited for the 429 (nor for MAX_SERVER_DELAY)
    assert ("statuses", "c@x.com") not in portal.requests


def test_a_retry_after_beyond_the_cap_stops_lookup_many_with_the_429() -> None:
    portal = Portal()
    portal.fail_first("b@x.com", httpx.Response(429, json={"message": "no"}, headers={"Retry-After": "3600"}))
    finished: list[str] = []

    def drain(client: CommPrefs) -> None:
        for outcome in client.lookup_many(["a@x.com", "b@x.com", "c@x.com"], rate=FAST, concurrency=1):
            finished.append(outcome.subscriber)  # noqa: PERF401 - the error cuts the loop short

    with portal.sync_client() as client, pytest.raises(RateLimitError):
        drain(client)
    assert finished == ["a@x.com"]


def test_an_absurd_announced_interval_does_not_hold_the_run(driver: Driver) -> None:
    portal = Portal()
    portal.headers = {
        "X-HubSpot-RateLimit-Max": "2",
        "X-HubSpot-RateLimit-Interval-Milliseconds": "99999999999999",
        "X-HubSpot-RateLimit-Remaining": "1",
    }
    # A short window of our own: what Remaining: 1 marks busy frees within 50 ms (the threaded driver
    # waits for real).
    limiter = driver.limiter(Rate(10_000, 0.05))
    outcomes = driver.run(portal, [f"{n}@x.com" for n in "abcde"], limiter=limiter, check="statuses")
    assert len(outcomes) == 5
    assert all(o.ok for o in outcomes)
    assert limiter.hubspot is None
    assert driver.waited() < MAX_SERVER_DELAY


BAD_OPTIONS = [
    ({"concurrency": "5"}, TypeError, "concurrency must be an int, not str"),
    ({"concurrency": True}, TypeError, "concurrency must be an int, not bool"),
    ({"concurrency": 0}, ValueError, "concurrency must be at least 1"),
    ({"rate": None}, TypeError, "rate must be a Rate or a str"),
    ({"rate": 100}, TypeError, "rate must be a Rate or a str"),
    ({"rate": "fast"}, ValueError, "cannot read the rate"),
    ({"business_unit_id": "1"}, TypeError, "business_unit_id must be an int or None, not str"),
    ({"business_unit_id": 2**63}, ValueError, "business_unit_id .* out of the int64 range"),
    ({"check": None}, ValueError, "check must be one of"),
]


@pytest.mark.parametrize(("options", "kind", "message"), BAD_OPTIONS)
def test_bad_options_are_refused_when_lookup_many_is_called(
    options: dict[str, Any], kind: type[Exception], message: str
) -> None:
    portal = Portal()
    with portal.sync_client() as client, pytest.raises(kind, match=message):
        client.lookup_many(["a@x.com"], **options)  # not iterated: refused at the call
    assert portal.requests == []


@pytest.mark.parametrize(("options", "kind", "message"), BAD_OPTIONS)
async def test_bad_options_are_refused_when_async_lookup_many_is_called(
    options: dict[str, Any], kind: type[Exception], message: str
) -> None:
    portal = Portal()
    async with portal.async_client() as client:
        with pytest.raises(kind, match=message):
            client.lookup_many(["a@x.com"], **options)  # not iterated: refused at the call
    assert portal.requests == []


@pytest.mark.parametrize("check", ["both", "unsubscribe-all"])
def test_an_unknown_wide_status_is_a_cannot_tell_row_naming_it_not_a_no(driver: Driver, check: str) -> None:
    # "OPTED_OUT" is not a value the spec lists: whether the contact may be emailed cannot be told, so the
    # row must not say unsubscribed_from_all=False.
    portal = Portal()
    opted_out = wide_item(subscriberIdString="a@x.com", status="OPTED_OUT")
    portal.fail_first("a@x.com", httpx.Response(200, json=action_body([opted_out])))
    outcomes = driver.lookup_many(portal, ["a@x.com", "b@x.com"], check=check)
    assert [o.outcome for o in outcomes] == ["cannot-tell", "ok"]
    assert "OPTED_OUT" in outcomes[0].error_message
    assert outcomes[0].unsubscribed_from_all is None
    kept = outcomes[0].unsubscribe_all  # the answer is kept
    assert kept is not None
    assert [w.status.value for w in kept.wide_statuses] == ["OPTED_OUT"]
    record = outcomes[0].to_record()
    assert record["outcome"] == "cannot-tell"
    assert record["unsubscribed_from_all"] is None
    assert "OPTED_OUT" in record["error"]
    assert outcomes[1].unsubscribed_from_all is False


CANNOT_TELL_ANSWERS = {
    # Each a 200 whose wide answer holds no UNSUBSCRIBED: read naively, a "no" (may email).
    "pending": action_body([], status="PENDING"),
    "numErrors": action_body([], numErrors=1),
    "errors listed": action_body([], errors=[{"message": "Business unit 1 does not exist"}]),
    "unknown wide status": action_body([wide_item(subscriberIdString="a@x.com", status="OPTED_OUT")]),
    # An UNSUBSCRIBED inside an operation that is not clean is no answer either (as for a single call).
    "pending with a yes": action_body([wide_item(subscriberIdString="a@x.com")], status="PENDING"),
}


@pytest.mark.parametrize("body", CANNOT_TELL_ANSWERS.values(), ids=CANNOT_TELL_ANSWERS)
def test_an_answer_that_cannot_tell_never_says_false_and_is_named_apart(
    driver: Driver, body: dict[str, Any]
) -> None:
    portal = Portal()
    portal.fail_first("a@x.com", httpx.Response(200, json=body))
    outcomes = driver.lookup_many(portal, ["a@x.com", "b@x.com"], check="both")
    assert [o.outcome for o in outcomes] == ["cannot-tell", "ok"]
    assert outcomes[0].unsubscribed_from_all is None
    assert not outcomes[0].ok
    kept = outcomes[0].unsubscribe_all
    assert kept is not None
    assert kept.cannot_tell is not None  # the one rule, on the result type
    assert outcomes[0].error_message == f"IncompleteResultError: {kept.cannot_tell}"
    record = outcomes[0].to_record()
    assert (record["outcome"], record["unsubscribed_from_all"]) == ("cannot-tell", None)
    driver.yielded = []
    portal.fail_first("a@x.com", httpx.Response(200, json=body))
    outcomes = driver.run(portal, ["a@x.com", "b@x.com"], check="both")  # the engine itself
    assert sorted(o.outcome for o in outcomes) == ["cannot-tell", "ok"]


def test_an_unsubscribed_wide_status_answers_even_next_to_an_unknown_one(driver: Driver) -> None:
    # The result type's rule (``UnsubscribeAllStatus.verdict``), as for a single call: a yes stands.
    portal = Portal()
    both = [
        wide_item(subscriberIdString="a@x.com", status="OPTED_OUT"),
        wide_item(subscriberIdString="a@x.com", wideStatusType="BUSINESS_UNIT_WIDE", businessUnitId=7),
    ]
    portal.fail_first("a@x.com", httpx.Response(200, json=action_body(both)))
    outcomes = driver.lookup_many(portal, ["a@x.com"], check="unsubscribe-all")
    assert [o.outcome for o in outcomes] == ["ok"]
    assert outcomes[0].unsubscribed_from_all is True
    assert outcomes[0].to_record()["unsubscribed_from_all"] is True


def test_bulk_lookups_send_through_the_clients_checked_path() -> None:
    # A caller's httpx client that follows redirects: the bulk path, like a single call, must not follow a
    # 302 to another host and take that host's body as HubSpot's answer.
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        if request.url.host == "elsewhere.test":
            return httpx.Response(200, json=action_body([]))
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/x"})

    http = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True)
    with CommPrefs(access_token="t" * 12, base_url="https://api.example.test", http_client=http) as client:
        outcomes = list(client.lookup_many(["a@example.com"], check="statuses", rate="1000/s"))
    assert [o.outcome for o in outcomes] == ["error"]
    assert "302" in str(outcomes[0].error)
    assert seen == ["api.example.test"]


def test_a_server_that_looks_down_stops_the_run_instead_of_failing_every_row(driver: Driver) -> None:
    calls: list[str] = []

    def down(operation: str, subscriber: str) -> Any:
        calls.append(subscriber)
        raise APIConnectionError(f"no answer for {operation}")

    ids = [f"user{i}@x.com" for i in range(100)]
    with pytest.raises(APIConnectionError, match="10 requests in a row got no answer"):
        driver.run(down, ids, concurrency=2, check="unsubscribe-all")
    assert driver.engine.unreachable_limit == 10
    # the rows given up before the run stopped (4 requests each) are error rows, yielded
    assert {type(o.error) for o in driver.yielded} <= {APIConnectionError}
    assert len(driver.yielded) <= 2
    assert len(calls) < 10 + 2  # one more per other worker at most, never a run through every row
    assert len({*calls}) <= 4  # each row is tried 4 times before it is an error


class _FlakyPortal(Portal):
    """3 requests without an answer (connection refused), then one answered, again and again."""

    def __init__(self) -> None:
        super().__init__()
        self._seen = itertools.count()
        self._lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            refused = next(self._seen) % 4 != 3
        if refused:
            raise httpx.ConnectError("refused", request=request)
        return super().handle(request)


def test_an_answer_resets_the_count_of_requests_without_one(driver: Driver) -> None:
    portal = _FlakyPortal()
    outcomes = driver.run(portal, [f"u{i}@x.com" for i in range(30)], concurrency=1, check="unsubscribe-all")
    assert len(outcomes) == 30  # 90 requests without an answer in all, never 10 in a row
    assert all(o.ok for o in outcomes)
    assert len(driver.waits) == 90  # each one backed off before the row was tried again


def test_an_answer_with_no_subscription_types_is_zero_not_not_asked(driver: Driver) -> None:
    portal = Portal()
    portal.fail_first("a@x.com", httpx.Response(200, json=action_body([])))
    (outcome,) = driver.lookup_many(portal, ["a@x.com"], check="statuses")
    record = outcome.to_record()
    assert outcome.ok
    assert (record["subscribed"], record["unsubscribed"], record["statuses"]) == (0, 0, [])


async def test_once_the_asyncio_run_stops_no_row_sends_another_request() -> None:
    """The asyncio twin of test_threads' test: a row between its two requests when another row's 401
    stops the run sends no second one (both drivers leave it unfinished, for ``--resume``)."""
    portal = Portal()
    portal.fail_first("stop@x.com", error(401, category="INVALID_AUTHENTICATION"))
    async with portal.async_client() as client:
        answer = async_call(client)
        engine: BulkLookup

        async def call(operation: Operation, subscriber: str) -> Any:
            if subscriber == "held@x.com":
                while engine._stop_error is None:  # noqa: ASYNC110 - answered only once the run has stopped
                    await asyncio.sleep(0.001)
            return await answer(operation, subscriber)

        engine = BulkLookup(call, rate=FAST, concurrency=4, check="both")
        yielded: list[LookupOutcome] = []
        with pytest.raises(AuthenticationError):
            await _drain_into(
                engine.outcomes(rows_from_ids(["a@x.com", "held@x.com", "stop@x.com"])), yielded
            )
    # its first request was in flight when the run stopped: abandoned there (asyncio cancels it)
    assert ("statuses", "held@x.com") not in portal.requests
    assert "held@x.com" not in [o.subscriber for o in yielded]


async def _drain_into(outcomes: AsyncIterator[LookupOutcome], into: list[LookupOutcome]) -> None:
    async for outcome in outcomes:
        into.append(outcome)  # noqa: PERF401 - one at a time: what came before an error is kept


async def test_an_asyncio_row_stuck_on_a_slow_answer_does_not_hold_the_others_at_a_pace_of_one() -> None:
    release = asyncio.Event()
    finished: list[str] = []

    async def call(operation: Operation, subscriber: str) -> Any:
        if subscriber == "b@x.com":  # the second row: the first goes alone, as the probe
            await asyncio.wait_for(release.wait(), 10)
        return _Complete()

    def on_finish(outcome: LookupOutcome) -> None:
        finished.append(outcome.subscriber)
        if len(finished) == 20:
            release.set()

    ids = ["a@x.com", "b@x.com", *[f"user{n}@x.com" for n in range(38)]]
    engine = BulkLookup(call, rate=FAST, concurrency=3, check="statuses", on_finish=on_finish)
    outcomes: list[LookupOutcome] = []
    await _drain_into(engine.outcomes(rows_from_ids(ids)), outcomes)
    assert len(outcomes) == 40
    assert finished.index("b@x.com") >= 19  # the others went on while it waited


def test_a_stop_also_stops_the_requests_waiting_for_the_rate_limit(driver: Driver) -> None:
    """A 401 while other rows wait for their slot (a rate of 2 a minute): none of them is sent, and the
    run ends at once, not when their slots come."""
    portal = Portal()
    portal.fail_first("stop@x.com", error(401, category="INVALID_AUTHENTICATION"))
    ids = ["a@x.com", "stop@x.com", *[f"user{n}@x.com" for n in range(10)]]
    started = time.monotonic()
    with pytest.raises(AuthenticationError):
        driver.run(portal, ids, rate=Rate(2, 60.0), concurrency=6, check="statuses")
    assert time.monotonic() - started < 10  # not the minute of the next slot
    assert [subscriber for _, subscriber in portal.requests] == ["a@x.com", "stop@x.com"]
