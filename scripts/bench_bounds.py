"""Benchmark of the client's bounds against a hostile server: for each network fault of the fake server, the
time until the call ends in its typed error and the peak memory (maximum resident set) of the process that
made it, for a sync call, an async call and ``lookup_many`` (bulk, 10 rows at concurrency 10). And a body
that is cheap to send and costly to check: 300,000 empty objects in ``results`` (0.9 MiB, 1.5 million
problems), served by a plain local HTTP server, through the same three calls and through replay loading a
recording of it (which checks it as the conformance suite does).

The servers run here; each measured call runs in a fresh interpreter (so that its peak memory is its
own), which reports its own maximum resident set. A baseline row shows the same process
making one ordinary call.

    python scripts/bench_bounds.py [--timeout SECONDS] [--trickle-interval SECONDS] [--quick]
"""

from __future__ import annotations

import argparse
import http.server
import json
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

from hubspot_commprefs.client._recording import Recorder
from hubspot_commprefs.openapi import endpoints
from hubspot_commprefs.testing import FakeHubSpot

if TYPE_CHECKING:
    from collections.abc import Iterator

CHILD = r"""
import asyncio, json, resource, sys, time
from hubspot_commprefs import AsyncCommPrefs, CommPrefs

base_url, token, mode, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
options = {"access_token": token, "base_url": base_url, "timeout": timeout, "max_retries": 0}
started = time.monotonic()
outcome = "ok"
try:
    if mode == "replay":  # base_url names a directory holding a recording
        from hubspot_commprefs.testing import load_replay
        load_replay(base_url)
    elif mode == "sync":
        with CommPrefs(**options) as client:
            client.get_statuses("alice@example.com")
    elif mode == "async":
        async def main():
            async with AsyncCommPrefs(**options) as client:
                await client.get_statuses("alice@example.com")
        asyncio.run(main())
    else:
        ids = [f"user{n}@example.com" for n in range(10)]
        with CommPrefs(**options) as client:
            rows = list(client.lookup_many(ids, rate="1000/1s", concurrency=10, check="statuses"))
        errors = sorted({type(row.error).__name__ for row in rows if row.error is not None})
        outcome = ",".join(errors) or "ok"
except Exception as error:
    outcome = type(error).__name__
elapsed = time.monotonic() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "outcome": outcome, "peak_kib": peak_kib}))
"""


EMPTY_OBJECTS = json.dumps(
    {
        "status": "COMPLETE",
        "startedAt": "2026-03-18T09:20:31Z",
        "completedAt": "2026-03-18T09:20:31Z",
        "results": [{}] * 300_000,
    },
    separators=(",", ":"),
).encode()


@contextmanager
def serving(body: bytes) -> Iterator[str]:
    """A local HTTP server answering every GET with ``body`` (a 200); yields its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def recording_of(body: bytes, directory: str) -> str:
    """``directory``, holding a recording of one 200 answer with ``body`` to a statuses request."""
    path = next(iter(endpoints())).path_template.replace("{subscriberIdString}", "alice%40example.com")
    Recorder(directory).record(
        method="GET",
        path=path,
        query="channel=EMAIL",
        with_token=True,
        status=200,
        headers=[("Content-Type", "application/json")],
        body=body,
        secret=None,
    )
    return directory


def measure(base_url: str, token: str, mode: str, timeout: float) -> tuple[float, str, float]:
    """(seconds to the end of the call, how it ended, peak RSS in MiB) of one call in a fresh process."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, base_url, token, mode, str(timeout)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate(timeout=600)
    if process.returncode != 0:
        raise SystemExit(f"the measured process failed: {err.strip()[-500:]}")
    result = json.loads(out)
    return result["seconds"], result["outcome"], result["peak_kib"] / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=5.0, help="the client's timeout (default 5 s)")
    parser.add_argument(
        "--trickle-interval", type=float, default=2.0, help="seconds between bytes (default 2)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller bomb and body (for a fast look)")
    args = parser.parse_args()
    bomb = 64 * 2**20 if args.quick else 2**30
    oversized = 30_000_000 if args.quick else 300_000_000
    scenarios = [
        ("baseline: an ordinary answer", []),
        (f"trickle: one byte every {args.trickle_interval:g} s", ["trickle"]),
        (f"gzip bomb: {bomb / 2**20:,.0f} MiB from gzip", ["gzip-bomb"]),
        (f"nested gzip bomb: {bomb / 2**20:,.0f} MiB, gzip twice", ["gzip-bomb-nested"]),
        (f"oversized body: {oversized / 1e6:,.0f} MB plain JSON", ["oversized-body"]),
    ]
    print(f"client timeout {args.timeout:g} s, max_response_bytes 10 MiB; peak = the process' maximum RSS")
    print(f"{'scenario':44} {'mode':6} {'ends after':>10} {'peak':>9}  ends in")
    # ReadTimeout/too large are what a bounded client answers; anything else is reported as it came.
    for title, faults in scenarios:
        with FakeHubSpot(
            faults=faults,
            trickle_interval=args.trickle_interval,
            bomb_size=bomb,
            oversized_body_size=oversized,
        ) as server:
            if "gzip-bomb" in faults or "gzip-bomb-nested" in faults:  # build the cached bomb before timing
                measure(server.base_url, server.token, "sync", 600.0)
            for mode in ("sync", "async", "bulk"):
                seconds, outcome, peak = measure(server.base_url, server.token, mode, args.timeout)
                print(f"{title:44} {mode:6} {seconds:9.2f}s {peak:7.0f}MiB  {outcome}", flush=True)
        time.sleep(0.1)
    title = f"checking: 300,000 empty objects ({len(EMPTY_OBJECTS) / 2**20:.1f} MiB)"
    with serving(EMPTY_OBJECTS) as base_url:
        for mode in ("sync", "async", "bulk"):
            seconds, outcome, peak = measure(base_url, "token", mode, args.timeout)
            print(f"{title:44} {mode:6} {seconds:9.2f}s {peak:7.0f}MiB  {outcome}", flush=True)
    with tempfile.TemporaryDirectory() as directory:
        seconds, outcome, peak = measure(recording_of(EMPTY_OBJECTS, directory), "", "replay", args.timeout)
        print(f"{title:44} {'replay':6} {seconds:9.2f}s {peak:7.0f}MiB  {outcome}", flush=True)


if __name__ == "__main__":
    main()
