"""Benchmark of bulk lookups against the fake HubSpot server, run in its own process (``mock-server``).

At HubSpot's ceiling (``--only ceiling``): 600 ids at ``--rate 250/10s`` against a server allowing 250 per
rolling 10 s and answering in 100 ms: the share of the allowed rate achieved and the 429s. With the
server's rolling-window limit on: wall time next to the ideal N / limit, the achieved rate as a
share of the allowed one, 429s received, rows lost or duplicated. Without a limit: lookups per second of
``bulk`` next to a plain sequential loop over the client, with no latency and with 20 ms per answer; the
CPU per row of this process (``time.process_time``: every thread, not the server's) of the plain loop, the
``bulk`` command and ``lookup_many`` at zero latency (median of interleaved rounds); and the peak memory
per id of ``bulk`` and ``lookup_many``, each run in a fresh process at 1k and 50k ids (its ``ru_maxrss``
less that of the same run over 10 ids, divided by the ids).

    scripts/bench              # every benchmark
    .venv/bin/python scripts/bench_bulk.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hubspot_commprefs.bulk
from hubspot_commprefs import AsyncCommPrefs, CommPrefs
from hubspot_commprefs.bulk import ThreadedBulkLookup
from hubspot_commprefs.cli import main

if TYPE_CHECKING:
    from collections.abc import Iterator

FAKE_TOKEN = "fake-hubspot-token"  # noqa: S105 - the fake server's own token, not a secret
ENGINES: list[Any] = []


class RecordingLookup(ThreadedBulkLookup):
    """The engine the ``bulk`` command uses, remembered so that its counts can be read afterwards."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ENGINES.append(self)


hubspot_commprefs.bulk.ThreadedBulkLookup = RecordingLookup  # type: ignore[misc]


@contextlib.contextmanager
def fake_server(*, limit: int, window_ms: int, latency: float = 0.0) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if k != "HUBSPOT_ACCESS_TOKEN"}
    command = [sys.executable, "-m", "hubspot_commprefs.cli", "mock-server", "--port", "0",
               "--rate-limit", str(limit), "--rate-limit-window-ms", str(window_ms), "--latency", str(latency), "--quiet"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as server:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"(http://\S+)", line)
        if match is None:
            server.kill()
            raise RuntimeError(f"the fake server did not start: {line!r}")
        try:
            yield match.group(1)
        finally:
            server.terminate()
            server.wait(timeout=30)


def run_bulk(
    base_url: str, ids: list[str], *, rate: str, check: str, concurrency: int = 10
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "ids.txt", Path(folder) / "out.jsonl"
        source.write_text("\n".join(ids) + "\n")
        os.environ["HUBSPOT_ACCESS_TOKEN"] = FAKE_TOKEN
        argv = ["--base-url", base_url, "bulk", str(source), "-o", str(output), "--rate", rate,
                "--check", check, "--concurrency", str(concurrency), "--no-progress"]  # fmt: skip
        ENGINES.clear()
        started = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            code = main(argv)
        wall = time.perf_counter() - started
        records = [json.loads(line) for line in output.read_text().splitlines()]
    stats = ENGINES[0].stats
    rows = [r["row"] for r in records]
    return {
        "code": code,
        "wall": wall,
        "requests": stats.requests,
        "rate_limited": stats.rate_limited,
        "lost": len(set(range(1, len(ids) + 1)) - set(rows)),
        "duplicated": len(rows) - len(set(rows)),
        "in_order": rows == sorted(rows) and [r["subscriber"] for r in records] == ids,
        "ok": sum(r["outcome"] == "ok" for r in records),
    }


def ids_for(count: int) -> list[str]:
    return [f"bench{i}@example.com" for i in range(count)]


def limited(quick: bool) -> list[list[str]]:
    rows = []
    scale = 4 if quick else 1
    cases = [
        # (ids, check, requests per id, our rate, concurrency, server's limit per rolling second)
        (1000 // scale, "unsubscribe-all", 1, "50/1s", 10, 50),
        (500 // scale, "both", 2, "50/1s", 10, 50),
        (500 // scale, "unsubscribe-all", 1, "200/1s", 60, 50),  # told more than HubSpot allows
    ]
    for count, check, per_id, rate, concurrency, limit in cases:
        with fake_server(limit=limit, window_ms=1000) as url:
            result = run_bulk(url, ids_for(count), rate=rate, check=check, concurrency=concurrency)
        ideal = count * per_id / limit
        achieved = result["requests"] / result["wall"]
        rows.append([
            f"{count} ids, {check}, --rate {rate}, --concurrency {concurrency}",
            f"{limit}/1s",
            f"{result['wall']:.2f} s",
            f"{ideal:.2f} s",
            f"{100 * ideal / result['wall']:.1f} %",
            f"{achieved:.1f}/s",
            f"{result['rate_limited']} ({100 * result['rate_limited'] / result['requests']:.2f} %)",
            f"{result['lost']} / {result['duplicated']}",
            "yes" if result["in_order"] and result["ok"] == count else "NO",
        ])  # fmt: skip
    return rows


def ceiling() -> list[list[str]]:
    """600 ids, one request each, at --rate 250/10s against a server allowing as much, 100 ms per answer.
    'ideal' is N / rate (24 s), as in the other tables; no rolling-window-true client can end before 20 s
    (requests 251 to 500 wait for the first window, 501 to 600 for the second)."""
    count, limit, window = 600, 250, 10.0
    with fake_server(limit=limit, window_ms=int(window * 1000), latency=0.1) as url:
        result = run_bulk(url, ids_for(count), rate=f"{limit}/{window:g}s", check="unsubscribe-all")
    ideal = count / (limit / window)
    return [[
        f"{count} ids, unsubscribe-all, --rate {limit}/{window:g}s, 100 ms per answer",
        f"{result['wall']:.2f} s", f"{ideal:.2f} s", f"{100 * ideal / result['wall']:.1f} %",
        str(result["rate_limited"]), f"{result['lost']} / {result['duplicated']}",
        "yes" if result["in_order"] and result["ok"] == count else "NO",
    ]]  # fmt: skip


def sequential(base_url: str, ids: list[str]) -> float:
    with CommPrefs(access_token=FAKE_TOKEN, base_url=base_url) as client:
        started = time.perf_counter()
        for subscriber in ids:
            client.get_unsubscribe_all_status(subscriber)
        return len(ids) / (time.perf_counter() - started)


def sync_api(base_url: str, ids: list[str]) -> float:
    with CommPrefs(access_token=FAKE_TOKEN, base_url=base_url) as client:
        started = time.perf_counter()
        count = sum(1 for _ in client.lookup_many(ids, rate="1000000/1s", check="unsubscribe-all"))
        return count / (time.perf_counter() - started)


def _cli_argv(base_url: str, source: Path, output: Path) -> list[str]:
    return ["--base-url", base_url, "bulk", str(source), "-o", str(output), "--rate", "1000000/1s",
            "--check", "unsubscribe-all", "--concurrency", "10", "--no-progress"]  # fmt: skip


async def _async_cpu_seconds(base_url: str, ids: list[str], kind: str) -> float:
    async with AsyncCommPrefs(access_token=FAKE_TOKEN, base_url=base_url) as client:
        await client.get_unsubscribe_all_status(ids[0])  # the async client's connection, made beforehand
        started = time.process_time()
        if kind == "async-loop":
            for subscriber in ids:
                await client.get_unsubscribe_all_status(subscriber)
        else:
            async for _ in client.lookup_many(ids, rate="1000000/1s", check="unsubscribe-all"):
                pass
        return time.process_time() - started


def cpu_seconds(base_url: str, ids: list[str], kind: str) -> float:
    """Seconds of this process's CPU (every thread) of one run of ``kind`` over ``ids``: the loop and
    ``lookup_many`` with a client made beforehand, the ``bulk`` command from its argument list (it makes
    its own client, which costs more than the client's first thousand calls' bookkeeping: see ``cpu``)."""
    if kind.startswith("async"):
        return asyncio.run(_async_cpu_seconds(base_url, ids, kind))
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "ids.txt", Path(folder) / "out.jsonl"
        source.write_text("\n".join(ids) + "\n")
        os.environ["HUBSPOT_ACCESS_TOKEN"] = FAKE_TOKEN
        with CommPrefs(access_token=FAKE_TOKEN, base_url=base_url) as client:
            started = time.process_time()
            if kind == "loop":
                for subscriber in ids:
                    client.get_unsubscribe_all_status(subscriber)
            elif kind == "api":
                for _ in client.lookup_many(ids, rate="1000000/1s", check="unsubscribe-all"):
                    pass
            else:
                with contextlib.redirect_stderr(io.StringIO()):
                    assert main(_cli_argv(base_url, source, output)) == 0
            return time.process_time() - started


CPU_SMALL, CPU_LARGE = 200, 1200


def cpu(quick: bool) -> list[list[str]]:
    """CPU per row of each kind: the CPU of a run over CPU_LARGE ids less that of a run over CPU_SMALL
    ids, over the difference, so that what a run pays once (the ``bulk`` command's start-up: parsing its
    arguments, a first pass over INPUT, making its client, which alone is about 17 ms of httpx's TLS set-up)
    is not spread over the rows; the start-up is shown apart."""
    small, large = ids_for(CPU_SMALL), ids_for(CPU_LARGE)
    kinds = {
        "loop": "sequential loop over CommPrefs",
        "cli": "bulk command",
        "api": "CommPrefs.lookup_many",
        "async-loop": "sequential loop over AsyncCommPrefs",
        "async-api": "AsyncCommPrefs.lookup_many",
    }
    figures: dict[str, list[float]] = {kind: [] for kind in kinds}
    fixed: dict[str, list[float]] = {kind: [] for kind in kinds}
    with fake_server(limit=1_000_000_000, window_ms=1000) as url:
        cpu_seconds(url, small, "loop")  # warm up the server and the imports
        for _ in range(3 if quick else 5):
            for kind in kinds:  # interleaved: a loaded machine slows every kind alike
                few, many = cpu_seconds(url, small, kind), cpu_seconds(url, large, kind)
                per_row = (many - few) / (CPU_LARGE - CPU_SMALL)
                figures[kind].append(per_row * 1e6)
                fixed[kind].append((few - per_row * CPU_SMALL) * 1e3)
    rows = []
    for kind, name in kinds.items():
        median = statistics.median(figures[kind])
        loop = statistics.median(figures["async-loop" if kind.startswith("async") else "loop"])
        rows.append([name, f"{median:.0f} us", f"{median / loop:.2f}x",
                     " ".join(f"{figure:.0f}" for figure in figures[kind]),
                     f"{statistics.median(fixed[kind]):.1f} ms"])  # fmt: skip
    return rows


def _child_memory(kind: str, count: int, base_url: str) -> None:
    """In a fresh process: one run of ``kind`` over ``count`` ids; prints its peak RSS in KiB."""
    ids = (f"bench{i}@example.com" for i in range(count))
    if kind == "api":
        with CommPrefs(access_token=FAKE_TOKEN, base_url=base_url) as client:
            for _ in client.lookup_many(ids, rate="1000000/1s", check="unsubscribe-all"):
                pass
    else:
        with tempfile.TemporaryDirectory() as folder:
            source, output = Path(folder) / "ids.txt", Path(folder) / "out.jsonl"
            with source.open("w") as handle:
                handle.writelines(f"{subscriber}\n" for subscriber in ids)
            os.environ["HUBSPOT_ACCESS_TOKEN"] = FAKE_TOKEN
            with contextlib.redirect_stderr(io.StringIO()):
                assert main(_cli_argv(base_url, source, output)) == 0
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_kib(kind: str, count: int, base_url: str) -> int:
    command = [sys.executable, __file__, "--child-memory", kind, str(count), base_url]
    return int(subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()[-1])


def memory(quick: bool) -> list[list[str]]:
    rows = []
    counts = (1000, 10_000 if quick else 50_000)
    with fake_server(limit=1_000_000_000, window_ms=1000) as url:
        for kind, name in (("cli", "bulk command"), ("api", "CommPrefs.lookup_many")):
            base = min(peak_kib(kind, 10, url) for _ in range(2))
            cells = [name, f"{base / 1024:.1f} MiB"]
            peaks = []
            for count in counts:
                peaks.append(min(peak_kib(kind, count, url) for _ in range(2)))
                cells.append(f"{peaks[-1] / 1024:.1f} MiB, {(peaks[-1] - base) * 1024 / count:.0f} B/id")
            growth = (peaks[1] - peaks[0]) * 1024 / (counts[1] - counts[0])
            cells.append(f"{growth:.0f} B/id")
            rows.append(cells)
    return rows


def unlimited(quick: bool) -> list[list[str]]:
    rows = []
    for latency, count in ((0.0, 1000), (0.02, 300)):
        ids = ids_for(count // (4 if quick else 1))
        with fake_server(limit=1_000_000_000, window_ms=1000, latency=latency) as url:
            loop = sequential(url, ids)
            cli = run_bulk(url, ids, rate="1000000/1s", check="unsubscribe-all", concurrency=10)
            api = sync_api(url, ids)
        bulk_rate = len(ids) / cli["wall"]
        rows.append([
            f"{len(ids)} ids, {latency * 1000:.0f} ms per answer",
            f"{loop:.0f}/s",
            f"{bulk_rate:.0f}/s ({bulk_rate / loop:.1f}x)",
            f"{api:.0f}/s ({api / loop:.1f}x)",
        ])  # fmt: skip
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [header, ["-" * width for width in widths], *rows]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines)


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the ids")
    parser.add_argument(
        "--only", choices=("ceiling", "limited", "unlimited", "cpu", "memory"), help="one table only"
    )
    parser.add_argument("--child-memory", nargs=3, metavar=("KIND", "IDS", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        kind, count, url = args.child_memory
        _child_memory(kind, int(count), url)
        return
    if args.only in (None, "ceiling"):
        print(
            "At HubSpot's ceiling ('ideal': N / rate, 24 s; 20 s is the floor of any rolling-window-true run):"
        )
        print(table(["run", "wall", "ideal", "of allowed", "429s", "lost / duplicated", "all rows ok, in order"],
                    ceiling()))  # fmt: skip
        print()
    if args.only in ("cpu", "memory"):
        _tables(args.only, args.quick)
        return
    if args.only is None:
        _tables("cpu", args.quick)
        _tables("memory", args.quick)
    if args.only in (None, "limited"):
        print("Bulk lookups against the fake server (its own process), rolling-window limit on:")
        print(table(["run", "server limit", "wall", "ideal N/limit", "of allowed", "requests/s", "429s",
                     "lost / duplicated", "all rows ok, in order"], limited(args.quick)))  # fmt: skip
        print()
    if args.only in ("limited", "ceiling"):
        return
    print("Without a rate limit (lookups per second; bulk: concurrency 10, unsubscribe-all only):")
    print(
        table(
            ["run", "sequential loop over CommPrefs", "bulk command", "CommPrefs.lookup_many"],
            unlimited(args.quick),
        )
    )
    print()
    print(
        "'of allowed' is ideal / wall: the limiter sends a full window at once, then one slot per freed slot,"
    )
    print("so a run of a few windows can come out slightly over 100 %; no rolling window ever holds more.")


def _tables(which: str, quick: bool) -> None:
    if which == "cpu":
        print(
            f"CPU per row at zero latency (this process, every thread; the CPU of a run over {CPU_LARGE:,} ids"
        )
        print(
            f"less that of a run over {CPU_SMALL}, per extra row, so that a run's start-up is not spread over its"
        )
        print(
            "rows; unsubscribe-all only, concurrency 10; median of interleaved rounds; a guard, not a target:"
        )
        print("at most 2x the loop, the async ones against the async loop). 'once per run': what is left at")
        print("zero rows (the bulk command makes its client):")
        print(table(["run", "CPU per row", "vs loop", "rounds (us)", "once per run"], cpu(quick)))
    else:
        print("Peak memory (ru_maxrss of a fresh process, the lower of two; per id: less the same run over")
        print("10 ids, which includes the fixed cost of a warmed-up run (connections, the limiter's window,")
        print("the read-ahead), and the growth per id from the smaller input to the larger: what grows with")
        print("the input, at most 80 B per id asked; ids from a file for bulk, a generator for lookup_many):")
        counts = ("1,000 ids", "10,000 ids" if quick else "50,000 ids")
        growth = f"growth {counts[0]} to {counts[1]}"
        print(table(["run", "10 ids", *counts, growth], memory(quick)))
    print()


if __name__ == "__main__":
    main_bench()
