"""Benchmark of the client's bounds against a hostile server: for each network fault of the fake server, the
time until the call ends in its typed error and the peak memory (maximum resident set) of the process that
made it, for a sync call, an async call and ``lookup_many`` (bulk, 10 rows at concurrency 10).

The fake server runs here; each measured call runs in a fresh interpreter (so that its peak memory is its
own), which reports its own maximum resident set. A baseline row shows the same process
making one ordinary call.

    python scripts/bench_bounds.py [--timeout SECONDS] [--trickle-interval SECONDS] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from hubspot_commprefs.testing import FakeHubSpot

CHILD = r"""
import asyncio, json, resource, sys, time
from hubspot_commprefs import AsyncCommPrefs, CommPrefs

base_url, token, mode, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
options = {"access_token": token, "base_url": base_url, "timeout": timeout, "max_retries": 0}
started = time.monotonic()
outcome = "ok"
try:
    if mode == "sync":
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


def measure(server: FakeHubSpot, mode: str, timeout: float) -> tuple[float, str, float]:
    """(seconds to the end of the call, how it ended, peak RSS in MiB) of one call in a fresh process."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, server.base_url, server.token, mode, str(timeout)],
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
                measure(server, "sync", 600.0)
            for mode in ("sync", "async", "bulk"):
                seconds, outcome, peak = measure(server, mode, args.timeout)
                print(f"{title:44} {mode:6} {seconds:9.2f}s {peak:7.0f}MiB  {outcome}", flush=True)
        time.sleep(0.1)


if __name__ == "__main__":
    main()
