"""Benchmark of the client: per-call CPU cost of ``CommPrefs.get_statuses`` and import times.

Per call: ``time.process_time`` over many calls after a warm-up (rounds interleaved, minimum kept), on an in-process transport
(``httpx.MockTransport``) answering the same 200 body (5, 12 and 100 subscription statuses by default), for
  - a raw ``httpx.Client.get`` + ``json.loads`` (the floor), and its ``httpx.AsyncClient`` twin,
  - ``hubspot_commprefs.CommPrefs.get_statuses`` and ``AsyncCommPrefs.get_statuses`` (validated, typed
    result; the async one against the raw async call),
  - ``hubspot_sdk.HubSpot().communication_preferences.get_statuses`` (HubSpot's Stainless SDK 0.1.0a9).
Import: each module imported in fresh interpreters, median of several runs.
Targets (issue 11): get_statuses <= 1.25x the raw call with 12 results and <= 1.6x with 100, sync and async;
importing hubspot_commprefs adds <= 30 ms over httpx.

    python scripts/bench_client.py [--calls N] [--rounds N] [--imports N] [--results 5,12,100] [--no-sdk]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time

import httpx

BASE_URL = "https://api.hubapi.com"
TOKEN = "bench-token"  # noqa: S105 - a placeholder; the transport is in-process
SUBSCRIBER = "alice@example.com"
TARGET_RATIOS = {12: 1.25, 100: 1.6}
"""Per-call targets by number of results (issue 11); other sizes are reported without a target."""
TARGET_IMPORT_MS = 30.0
TARGET_READY_MS = 15.0
_FIRST_CALL_SETUP = (
    "import json, httpx; "
    "body = json.dumps({'status': 'COMPLETE', 'startedAt': '2026-03-18T09:20:31Z', "
    "'completedAt': '2026-03-18T09:20:31Z', 'results': []}).encode(); "
    "transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body)); "
)


def _body(count: int) -> bytes:
    """A realistic answer: ``count`` subscription types with the optional fields HubSpot fills in."""
    results = [
        {
            "channel": "EMAIL",
            "source": "Self Service Resubscription",
            "status": ["SUBSCRIBED", "UNSUBSCRIBED", "NOT_SPECIFIED"][i % 3],
            "subscriberIdString": SUBSCRIBER,
            "subscriptionId": 7000 + i,
            "subscriptionName": f"Newsletter {i}",
            "timestamp": "2026-03-12T14:02:11.530Z",
            "businessUnitId": 0,
            "legalBasis": "CONSENT_WITH_NOTICE",
            "legalBasisExplanation": "Signed up on the website.",
            "setStatusSuccessReason": "REQUESTED_CHANGE_OCCURRED",
        }
        for i in range(count)
    ]
    return json.dumps(
        {
            "status": "COMPLETE",
            "requestedAt": "2026-03-18T09:20:31.004Z",
            "startedAt": "2026-03-18T09:20:31.010Z",
            "completedAt": "2026-03-18T09:20:31.051Z",
            "results": results,
        }
    ).encode()


HEADERS = {
    "content-type": "application/json;charset=utf-8",
    "X-HubSpot-RateLimit-Max": "190",
    "X-HubSpot-RateLimit-Remaining": "189",
    "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
}


def _transport(body: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(lambda _request: httpx.Response(200, content=body, headers=HEADERS))


def _async_calls(make: object, loop: asyncio.AbstractEventLoop) -> object:
    """A sync callable that runs ``make()`` (a coroutine) on ``loop``; the loop's own cost per call is
    paid alike by the raw async call and by ``AsyncCommPrefs``."""

    def call() -> object:
        return loop.run_until_complete(make())  # type: ignore[operator]

    return call


def _cpu_per_call(calls_by_name: dict[str, object], calls: int, rounds: int) -> dict[str, float]:
    """CPU microseconds per call of each variant: rounds interleaved (so that a busy moment of the machine
    hits every variant alike), after a warm-up; the least disturbed round (the minimum) is reported."""
    for call in calls_by_name.values():
        for _ in range(max(calls // 10, 50)):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls_by_name}
    for _ in range(rounds):
        for name, call in calls_by_name.items():
            start = time.process_time()
            for _ in range(calls):
                call()
            samples[name].append((time.process_time() - start) / calls * 1e6)
    return {name: min(values) for name, values in samples.items()}


def _path() -> str:
    from hubspot_commprefs_client.api.subscription_statuses import get_statuses
    from hubspot_commprefs_client.models import Channel

    # The same path CommPrefs requests, from the generated endpoint (no API version written here).
    return get_statuses._get_kwargs(SUBSCRIBER, channel=Channel.EMAIL)["url"]


def _raw_call(body: bytes):
    client = httpx.Client(transport=_transport(body), base_url=BASE_URL)
    path = _path()
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def call() -> object:
        response = client.get(path, params={"channel": "EMAIL"}, headers=headers)
        return json.loads(response.content)

    return call


def _raw_async_call(body: bytes, loop: asyncio.AbstractEventLoop):
    client = httpx.AsyncClient(transport=_transport(body), base_url=BASE_URL)
    path = _path()
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def call() -> object:
        response = await client.get(path, params={"channel": "EMAIL"}, headers=headers)
        return json.loads(response.content)

    return _async_calls(call, loop)


def _commprefs_call(body: bytes, count: int):
    from hubspot_commprefs import CommPrefs

    client = CommPrefs(access_token=TOKEN, http_client=httpx.Client(transport=_transport(body)))
    assert len(client.get_statuses(SUBSCRIBER)) == count

    def call() -> object:
        return client.get_statuses(SUBSCRIBER)

    return call


def _commprefs_read_call(body: bytes, count: int):
    """``get_statuses`` and a read of every status: the cost with the typed model built (it is built when
    the result is first used, so ``_commprefs_call`` alone does not pay for it)."""
    from hubspot_commprefs import CommPrefs

    client = CommPrefs(access_token=TOKEN, http_client=httpx.Client(transport=_transport(body)))

    def call() -> object:
        return [status.status for status in client.get_statuses(SUBSCRIBER)]

    assert len(call()) == count
    return call


def _commprefs_async_call(body: bytes, count: int, loop: asyncio.AbstractEventLoop):
    from hubspot_commprefs import AsyncCommPrefs

    client = AsyncCommPrefs(access_token=TOKEN, http_client=httpx.AsyncClient(transport=_transport(body)))
    assert len(loop.run_until_complete(client.get_statuses(SUBSCRIBER))) == count

    async def call() -> object:
        return await client.get_statuses(SUBSCRIBER)

    return _async_calls(call, loop)


def _sdk_call(body: bytes, count: int):
    from hubspot_sdk import HubSpot

    client = HubSpot(
        access_token=TOKEN, base_url=BASE_URL, http_client=httpx.Client(transport=_transport(body))
    )
    resource = client.communication_preferences
    assert len(resource.get_statuses(SUBSCRIBER, channel="EMAIL").results) == count

    def call() -> object:
        return resource.get_statuses(SUBSCRIBER, channel="EMAIL")

    return call


def _import_ms(statements: dict[str, str], runs: int) -> dict[str, float]:
    """Milliseconds each statement takes in a fresh interpreter: runs interleaved, median kept."""
    samples: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(runs):
        for name, statement in statements.items():
            code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            samples[name].append(float(out.stdout) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def _per_call_rows(args: argparse.Namespace) -> tuple[list[tuple[str, str, str]], list[str]]:
    rows: list[tuple[str, str, str]] = []
    verdicts: list[str] = []
    loop = asyncio.new_event_loop()
    try:
        for count in args.results:
            body = _body(count)
            variants = {
                "raw": _raw_call(body),
                "ours": _commprefs_call(body, count),
                "raw_async": _raw_async_call(body, loop),
                "ours_async": _commprefs_async_call(body, count, loop),
                "ours_read": _commprefs_read_call(body, count),
            }
            if args.sdk:
                variants["sdk"] = _sdk_call(body, count)
            cost = _cpu_per_call(variants, args.calls, args.rounds)
            raw, ours, raw_async, ours_async, ours_read = (
                cost["raw"], cost["ours"], cost["raw_async"], cost["ours_async"], cost["ours_read"]
            )  # fmt: skip
            rows += [
                (f"{count:>3} results: raw httpx GET + json.loads", f"{raw:8.1f} us", "1.00x"),
                (f"{count:>3} results: CommPrefs.get_statuses", f"{ours:8.1f} us", f"{ours / raw:.2f}x"),
                (
                    f"{count:>3} results: CommPrefs.get_statuses + every status read",
                    f"{ours_read:8.1f} us",
                    f"{ours_read / raw:.2f}x",
                ),
                (f"{count:>3} results: raw async httpx GET + json.loads", f"{raw_async:8.1f} us", "1.00x"),
                (
                    f"{count:>3} results: AsyncCommPrefs.get_statuses",
                    f"{ours_async:8.1f} us",
                    f"{ours_async / raw_async:.2f}x",
                ),
            ]
            if args.sdk:
                sdk = cost["sdk"]
                rows.append(
                    (f"{count:>3} results: hubspot_sdk get_statuses", f"{sdk:8.1f} us", f"{sdk / raw:.2f}x")
                )
            target = TARGET_RATIOS.get(count)
            if target is not None:
                met = ours / raw <= target and ours_async / raw_async <= target
                verdicts.append(
                    f"target per call with {count} results <= {target}x raw: {'met' if met else 'NOT met'} "
                    f"(sync {ours / raw:.2f}x, async {ours_async / raw_async:.2f}x)"
                )
    finally:
        loop.close()
    return rows, verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per round (default 2000)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="interleaved rounds; the minimum is reported (default 5)"
    )
    parser.add_argument("--imports", type=int, default=9, help="fresh interpreters per import (default 9)")
    parser.add_argument(
        "--results",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[5, 12, 100],
        help="numbers of results in the answer, comma-separated (default 5,12,100)",
    )
    parser.add_argument("--no-sdk", dest="sdk", action="store_false", help="skip hubspot_sdk")
    args = parser.parse_args()

    rows, verdicts = _per_call_rows(args)

    imports = _import_ms(
        {
            "httpx": "import httpx",
            "ours": "import hubspot_commprefs",
            "httpx_client": "import httpx; httpx.Client()",
            "ours_client": "import hubspot_commprefs; hubspot_commprefs.CommPrefs(access_token='t')",
            "sdk": "import hubspot_sdk",
            "httpx_call": _FIRST_CALL_SETUP
            + "json.loads(httpx.Client(transport=transport).get('https://api.hubapi.com/x').content)",
            "ours_call": _FIRST_CALL_SETUP
            + "import hubspot_commprefs; hubspot_commprefs.CommPrefs(access_token='t', "
            "http_client=httpx.Client(transport=transport)).get_statuses('a@example.com')",
        },
        args.imports,
    )
    imp_httpx, imp_ours, imp_sdk = imports["httpx"], imports["ours"], imports["sdk"]
    # Ready to call: both sides pay for building an httpx client (its SSL context alone is tens of ms).
    ready_httpx, ready_ours = imports["httpx_client"], imports["ours_client"]

    rows += [
        ("import httpx", f"{imp_httpx:8.1f} ms", "+0.0 ms"),
        ("import hubspot_commprefs", f"{imp_ours:8.1f} ms", f"{imp_ours - imp_httpx:+.1f} ms"),
        ("import httpx + first httpx.Client()", f"{ready_httpx:8.1f} ms", "+0.0 ms"),
        (
            "import hubspot_commprefs + first CommPrefs()",
            f"{ready_ours:8.1f} ms",
            f"{ready_ours - ready_httpx:+.1f} ms",
        ),
        ("import httpx + first GET + json.loads", f"{imports['httpx_call']:8.1f} ms", "+0.0 ms"),
        (
            "import hubspot_commprefs + first get_statuses()",
            f"{imports['ours_call']:8.1f} ms",
            f"{imports['ours_call'] - imports['httpx_call']:+.1f} ms",
        ),
        ("import hubspot_sdk", f"{imp_sdk:8.1f} ms", f"{imp_sdk - imp_httpx:+.1f} ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>11}  {'vs raw / httpx':>14}")
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:>11}  {ratio:>14}")
    for verdict in verdicts:
        print(verdict)
    import_ok = imp_ours - imp_httpx <= TARGET_IMPORT_MS
    ready_ok = ready_ours - ready_httpx <= TARGET_READY_MS
    print(
        f"target import <= +{TARGET_IMPORT_MS:.0f} ms over httpx: {'met' if import_ok else 'NOT met'} "
        f"({imp_ours - imp_httpx:+.1f} ms)"
    )
    print(
        f"target ready to call (import + CommPrefs()) <= +{TARGET_READY_MS:.0f} ms over httpx + httpx.Client(): "
        f"{'met' if ready_ok else 'NOT met'} ({ready_ours - ready_httpx:+.1f} ms); the generated client, attrs "
        f"and the compiled schemas load with the first call "
        f"(+{imports['ours_call'] - imports['httpx_call']:.1f} ms over httpx's first GET)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
