"""The bulk engine over the real client on an in-process transport: order, retries, stops, bad ids."""

from __future__ import annotations

import json
import re
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
from hubspot_commprefs.bulk._api import async_call, lookup_many
from hubspot_commprefs.bulk._engine import BulkLookup, in_input_order
from hubspot_commprefs.bulk._io import rows_from_ids
from hubspot_commprefs.bulk._limiter import Rate, RollingWindowLimiter
from hubspot_commprefs.client._options import MAX_SERVER_DELAY

from tests.bulk_helpers import FakeClock
from tests.client_fixtures import action_body, status_item, wide_item

if TYPE_CHECKING:
    from collections.abc import Callable

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


async def collect(portal: Portal, ids: list[str], **options: Any) -> list[Any]:
    async with portal.async_client() as client:
        return [outcome async for outcome in client.lookup_many(ids, rate=FAST, **options)]


async def test_one_outcome_per_id_in_input_order_with_both_answers() -> None:
    portal = Portal(unsubscribed={"b@x.com"})
    ids = [f"{name}@x.com" for name in "abcdefghij"]
    outcomes = await collect(portal, ids, concurrency=4)
    assert [o.subscriber for o in outcomes] == ids
    assert [o.row for o in outcomes] == list(range(1, 11))
    assert [o.unsubscribed_from_all for o in outcomes] == [False, True] + [False] * 8
    assert all(o.ok and len(o.statuses) == 1 for o in outcomes)
    assert len(portal.requests) == 20
    record = outcomes[1].to_record()
    assert record["wide_status_type"] == "PORTAL_WIDE"
    assert record["statuses"] == [{"subscriptionId": 1, "name": "Newsletter", "status": "SUBSCRIBED"}]


async def test_invalid_and_duplicate_ids_are_reported_on_their_rows_without_a_request() -> None:
    portal = Portal()
    outcomes = await collect(portal, ["a@x.com", "nope", "", "A@X.COM", "b@x.com"])
    assert [o.outcome for o in outcomes] == ["ok", "invalid", "invalid", "duplicate", "ok"]
    assert outcomes[3].duplicate_of == 1
    assert outcomes[3].error_message == "duplicate of row 1"
    assert {subscriber for _, subscriber in portal.requests} == {"a@x.com", "b@x.com"}


async def test_429s_are_retried_through_the_limiter_and_the_row_succeeds() -> None:
    portal = Portal()
    portal.fail_first("a@x.com", error(429, policyName="TEN_SECONDLY_ROLLING"), error(429))
    async with portal.async_client() as client:
        engine = BulkLookup(async_call(client), rate=FAST, check="unsubscribe-all")
        outcomes = [o async for o in engine.outcomes(rows_from_ids(["a@x.com", "b@x.com"]))]
    assert all(o.ok for o in outcomes)
    assert engine.stats.rate_limited == 2
    assert engine.limiter.rate_limited_count == 2
    assert engine.stats.requests == 4
    assert portal.requests.count(("unsubscribe-all", "a@x.com")) == 3


async def test_a_503_is_retried_with_backoff_and_a_404_is_the_rows_error() -> None:
    portal = Portal()
    portal.fail_first("a@x.com", error(503))
    portal.fail_first("b@x.com", error(404, category="OBJECT_NOT_FOUND"))
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    async with portal.async_client() as client:
        engine = BulkLookup(async_call(client), rate=FAST, check="statuses", sleep=no_sleep)
        outcomes = [o async for o in in_input_order(engine.outcomes(rows_from_ids(["a@x.com", "b@x.com"])))]
    assert outcomes[0].ok
    assert outcomes[1].outcome == "error"
    assert isinstance(outcomes[1].error, NotFoundError)
    assert outcomes[1].error_message.startswith("NotFoundError: HTTP 404")
    assert len(waits) == 1
    assert 0.5 <= waits[0] <= 1.0


async def test_a_refused_token_stops_the_run_after_yielding_what_finished() -> None:
    portal = Portal()
    portal.fail_first("c@x.com", error(401, category="INVALID_AUTHENTICATION"))
    ids = ["a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com"]
    async with portal.async_client() as client:
        engine = BulkLookup(async_call(client), rate=FAST, concurrency=1, check="statuses")
        finished: list[str] = []

        async def drain() -> None:
            async for outcome in engine.outcomes(rows_from_ids(ids)):
                finished.append(outcome.subscriber)  # noqa: PERF401 - the error cuts the loop short

        with pytest.raises(AuthenticationError):
            await drain()
    assert finished == ["a@x.com", "b@x.com"]
    assert ("statuses", "d@x.com") not in portal.requests


async def test_a_daily_limit_stops_the_run() -> None:
    portal = Portal()
    portal.fail_first("a@x.com", error(429, policyName="DAILY"))
    async with portal.async_client() as client:
        engine = BulkLookup(async_call(client), rate=FAST, check="statuses")
        with pytest.raises(RateLimitError, match="HTTP 429") as info:
            [o async for o in engine.outcomes(rows_from_ids(["a@x.com"]))]
    assert info.value.policy_name == "DAILY"


async def test_an_incomplete_answer_keeps_its_data_and_is_an_error() -> None:
    portal = Portal()
    portal.fail_first("a@x.com", httpx.Response(200, json=action_body([], status="PENDING")))
    outcomes = await collect(portal, ["a@x.com"], check="unsubscribe-all")
    assert outcomes[0].outcome == "error"
    kept = outcomes[0].unsubscribe_all
    assert kept is not None
    assert kept.body["status"] == "PENDING"
    assert "PENDING" in outcomes[0].error_message


async def test_a_low_remaining_header_slows_the_limiter() -> None:
    portal = Portal()
    portal.remaining = 0  # HubSpot says someone else used the whole window
    limiter = RollingWindowLimiter(Rate(10_000, 1.0))
    async with portal.async_client() as client:
        engine = BulkLookup(async_call(client), limiter=limiter, check="statuses")
        [o async for o in engine.outcomes(rows_from_ids(["a@x.com"]))]
    # No interval header: HubSpot's count is taken against the configured window.
    assert limiter.hubspot is None
    assert limiter.configured.busy(limiter.clock.now()) == 10_000
    assert limiter.wait_time() > 0.5


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
    is_complete = True
    rate_limit = None


async def _answer(operation: Any, subscriber: str) -> _Complete:
    return _Complete()


async def test_a_failing_on_finish_stops_the_run_with_its_error_instead_of_losing_rows() -> None:
    # Disk full while recording a finished row: the row is not on disk, so the run must not go on as if
    # it were (nor end quietly with no outcome and no error).
    def on_finish(outcome: Any) -> None:
        raise OSError(28, "No space left on device")

    engine = BulkLookup(_answer, rate=FAST, check="statuses", on_finish=on_finish)
    with pytest.raises(OSError, match="No space left"):
        [o async for o in engine.outcomes(rows_from_ids(["a@b.c", "b@b.c", "c@d.e"]))]


async def test_rows_recorded_before_a_failing_on_finish_are_yielded_and_the_rest_not_attempted() -> None:
    recorded: list[int] = []

    def on_finish(outcome: Any) -> None:
        if outcome.row == 3:
            raise OSError(28, "No space left on device")
        recorded.append(outcome.row)

    engine = BulkLookup(_answer, rate=FAST, check="statuses", concurrency=1, on_finish=on_finish)
    yielded: list[int] = []

    async def drain() -> None:
        async for outcome in engine.outcomes(rows_from_ids([f"{n}@x.com" for n in "abcde"])):
            yielded.append(outcome.row)  # noqa: PERF401 - the error cuts the loop short

    with pytest.raises(OSError, match="No space left"):
        await drain()
    assert recorded == yielded == [1, 2]
    assert engine.stats.requests == 3


async def test_only_the_clients_refusal_of_an_id_is_an_invalid_row() -> None:
    """``InvalidSubscriberIdError`` (the client refused the id) is ``invalid``; any other exception, such as
    a ValueError met while reading an answer, is an ``error`` row that ``--retry-errors`` looks up again,
    and the run goes on."""

    async def call(operation: Any, subscriber: str) -> _Complete:
        if subscriber == "long@x.com":
            raise InvalidSubscriberIdError("subscriber id is too long to send", subscriber_id=subscriber)
        if subscriber == "odd@x.com":
            raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")
        if subscriber == "bad@x.com":
            raise TypeError("unsupported operand")
        return _Complete()

    engine = BulkLookup(call, rate=FAST, check="statuses", concurrency=1)
    rows = rows_from_ids(["a@x.com", "long@x.com", "odd@x.com", "bad@x.com", "b@x.com"])
    outcomes = [o async for o in in_input_order(engine.outcomes(rows))]
    assert [o.outcome for o in outcomes] == ["ok", "invalid", "error", "error", "ok"]
    assert outcomes[1].error_message == "subscriber id is too long to send"
    assert outcomes[2].error_message == (
        "ValueError: Exceeds the limit (4300 digits) for integer string conversion"
    )
    assert outcomes[3].error_message == "TypeError: unsupported operand"


async def test_an_id_too_long_for_a_url_is_refused_before_any_request() -> None:
    portal = Portal()
    huge = "a" * 70_000 + "@x.com"  # over httpx's URL length limit
    async with portal.async_client() as client:
        with pytest.raises(InvalidSubscriberIdError, match="longer than 1000 characters"):
            await async_call(client)("statuses", huge)
        outcomes = [o async for o in client.lookup_many(["a@x.com", huge, "b@x.com"], rate=FAST)]
    assert [o.outcome for o in outcomes] == ["ok", "invalid", "ok"]
    assert "longer than 1000 characters" in outcomes[1].error_message
    assert {subscriber for _, subscriber in portal.requests} == {"a@x.com", "b@x.com"}


def test_items_that_are_not_strings_are_invalid_rows_not_a_crash() -> None:
    portal = Portal()
    ids: list[Any] = ["a@b.c", 5, None, b"c@d.e"]
    with portal.sync_client() as client:
        outcomes = list(client.lookup_many(ids, rate=FAST))
    assert [o.outcome for o in outcomes] == ["ok", "invalid", "invalid", "invalid"]
    assert [o.subscriber for o in outcomes] == ["a@b.c", "5", "", "b'c@d.e'"]
    assert outcomes[1].error_message == "the subscriber id must be a str, not int"
    assert outcomes[2].error_message == "the subscriber id must be a str, not NoneType"
    assert {subscriber for _, subscriber in portal.requests} == {"a@b.c"}


@pytest.mark.parametrize("retry_after", ["3600", "1e9"])
async def test_a_retry_after_beyond_the_cap_stops_the_run_and_keeps_the_rows_before(retry_after: str) -> None:
    # The client never waits longer than MAX_SERVER_DELAY for HubSpot: neither does the bulk engine. The
    # run stops with the 429 (resumable), rather than hanging for an hour or forever.
    portal = Portal()
    portal.fail_first(
        "b@x.com", httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": retry_after})
    )
    clock = FakeClock()
    limiter = RollingWindowLimiter(FAST, clock=clock)
    finished: list[str] = []
    async with portal.async_client() as client:
        engine = BulkLookup(async_call(client), limiter=limiter, concurrency=1, check="statuses")

        async def drain() -> None:
            async for outcome in engine.outcomes(rows_from_ids(["a@x.com", "b@x.com", "c@x.com"])):
                finished.append(outcome.subscriber)  # noqa: PERF401 - the error cuts the loop short

        with pytest.raises(RateLimitError) as stopped:
            await drain()
    assert stopped.value.retry_after == pytest.approx(float(retry_after))
    assert finished == ["a@x.com"]
    assert clock.now() < MAX_SERVER_DELAY
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


async def test_an_absurd_announced_interval_does_not_hold_the_run() -> None:
    portal = Portal()
    portal.headers = {
        "X-HubSpot-RateLimit-Max": "2",
        "X-HubSpot-RateLimit-Interval-Milliseconds": "99999999999999",
        "X-HubSpot-RateLimit-Remaining": "1",
    }
    clock = FakeClock()
    limiter = RollingWindowLimiter(FAST, clock=clock)
    async with portal.async_client() as client:
        engine = BulkLookup(async_call(client), limiter=limiter, check="statuses")
        outcomes = [o async for o in engine.outcomes(rows_from_ids([f"{n}@x.com" for n in "abcde"]))]
    assert all(o.ok for o in outcomes)
    assert limiter.hubspot is None
    assert clock.now() < MAX_SERVER_DELAY


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
async def test_an_unknown_wide_status_is_an_error_row_naming_it_not_a_no(check: str) -> None:
    # "OPTED_OUT" is not a value the spec lists: whether the contact may be emailed cannot be told, so the
    # row must not say unsubscribed_from_all=False.
    portal = Portal()
    opted_out = wide_item(subscriberIdString="a@x.com", status="OPTED_OUT")
    portal.fail_first("a@x.com", httpx.Response(200, json=action_body([opted_out])))
    outcomes = await collect(portal, ["a@x.com", "b@x.com"], check=check)
    assert [o.outcome for o in outcomes] == ["error", "ok"]
    assert "OPTED_OUT" in outcomes[0].error_message
    assert outcomes[0].unsubscribed_from_all is None
    kept = outcomes[0].unsubscribe_all  # the answer is kept
    assert kept is not None
    assert [w.status.value for w in kept.wide_statuses] == ["OPTED_OUT"]
    record = outcomes[0].to_record()
    assert record["outcome"] == "error"
    assert record["unsubscribed_from_all"] is None
    assert "OPTED_OUT" in record["error"]
    assert outcomes[1].unsubscribed_from_all is False


async def test_an_unsubscribed_wide_status_answers_even_next_to_an_unknown_one() -> None:
    # The result type's rule (``UnsubscribeAllStatus.verdict``), as for a single call: a yes stands.
    portal = Portal()
    both = [
        wide_item(subscriberIdString="a@x.com", status="OPTED_OUT"),
        wide_item(subscriberIdString="a@x.com", wideStatusType="BUSINESS_UNIT_WIDE", businessUnitId=7),
    ]
    portal.fail_first("a@x.com", httpx.Response(200, json=action_body(both)))
    outcomes = await collect(portal, ["a@x.com"], check="unsubscribe-all")
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


async def test_a_server_that_looks_down_stops_the_run_instead_of_failing_every_row() -> None:
    calls: list[str] = []

    async def down(operation: str, subscriber: str) -> Any:
        calls.append(subscriber)
        raise APIConnectionError(f"no answer for {operation}")

    async def no_sleep(seconds: float) -> None:
        pass

    ids = [f"user{i}@x.com" for i in range(100)]
    engine = BulkLookup(down, rate=FAST, concurrency=2, check="unsubscribe-all", sleep=no_sleep)
    assert engine.unreachable_limit == 10
    finished = []
    with pytest.raises(APIConnectionError, match="10 requests in a row got no answer"):
        finished.extend([o async for o in engine.outcomes(rows_from_ids(ids))])
    assert len(calls) < 10 + 2  # one more per other worker at most, never a run through every row
    assert len({*calls}) <= 4  # each row is tried 4 times before it is an error


async def test_an_answer_resets_the_count_of_requests_without_one() -> None:
    portal = Portal()
    seen = iter(range(1000))

    def flaky(request: httpx.Request) -> httpx.Response:
        if next(seen) % 4 != 3:  # 3 requests without an answer, then one answered, again and again
            raise httpx.ConnectError("refused", request=request)
        return portal.handle(request)

    async def no_sleep(seconds: float) -> None:
        pass

    http = httpx.AsyncClient(transport=httpx.MockTransport(flaky))
    async with AsyncCommPrefs(
        access_token=TOKEN, base_url="https://api.example.test", http_client=http
    ) as client:
        engine = BulkLookup(
            async_call(client), rate=FAST, concurrency=1, check="unsubscribe-all", sleep=no_sleep
        )
        outcomes = [o async for o in engine.outcomes(rows_from_ids([f"u{i}@x.com" for i in range(30)]))]
    assert len(outcomes) == 30  # 90 requests without an answer in all, never 10 in a row
    assert all(o.ok for o in outcomes)


def test_an_answer_with_no_subscription_types_is_zero_not_not_asked() -> None:
    portal = Portal()
    portal.fail_first("a@x.com", httpx.Response(200, json=action_body([])))
    with portal.sync_client() as client:
        (outcome,) = client.lookup_many(["a@x.com"], rate=FAST, check="statuses")
    record = outcome.to_record()
    assert outcome.ok
    assert (record["subscribed"], record["unsubscribed"], record["statuses"]) == (0, 0, [])
