"""Benchmark of the conformance suite against the bundled fake server: peak memory and time of one run.

Each run is ``hubspot-commprefs conformance --rate 0`` in a fresh process (its ``ru_maxrss``, read by
the child itself at exit, and the wall time seen from here), with the per-user cache of hypothesis'
Unicode tables in a scratch ``XDG_CACHE_HOME``: the first run builds the tables ("cold"), the next ones
find them ("warm"), as a user's second run does. Issue 11 asks for under 100 MiB peak with no cold Unicode
tables (the warm runs; the cold one is shown for what the first run of a machine costs).

    scripts/bench              # every benchmark
    .venv/bin/python scripts/bench_conformance.py [--warm N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_MIB = 100.0

CHILD = """
import resource, sys
from hubspot_commprefs.cli import main
code = main(["conformance", "--rate", "0"])
print("PEAK_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "EXIT", code, file=sys.stderr)
"""


def one_run(cache: str) -> tuple[float, float, int]:
    """Peak MiB, wall seconds and exit code of one conformance run with ``cache`` as XDG_CACHE_HOME."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HUBSPOT_ACCESS_TOKEN", "HYPOTHESIS_STORAGE_DIRECTORY")
    }
    env["XDG_CACHE_HOME"] = cache
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=False, timeout=600
    )
    wall = time.perf_counter() - started
    fields = done.stderr.split("PEAK_KIB", 1)[-1].split()
    if len(fields) < 3:  # "<kib> EXIT <code>"
        raise RuntimeError(f"the conformance run printed no figures: {done.stderr[-500:]}")
    return int(fields[0]) / 1024, wall, int(fields[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=3, help="warm runs after the cold one (default 3)")
    parser.add_argument("--quick", action="store_true", help="one warm run")
    args, _ = parser.parse_known_args()
    warm_runs = 1 if args.quick else args.warm
    with tempfile.TemporaryDirectory(prefix="bench-conformance-") as cache:
        cold = one_run(cache)
        warm = [one_run(cache) for _ in range(warm_runs)]
    print("conformance against the bundled fake server (fresh process each; peak RSS, wall time, exit code):")
    print(f"  cold (builds hypothesis' Unicode tables): {cold[0]:.0f} MiB, {cold[1]:.1f} s, exit {cold[2]}")
    peaks, walls = [run[0] for run in warm], [run[1] for run in warm]
    codes = sorted({run[2] for run in warm})
    verdict = "under" if max(peaks) < TARGET_MIB else "OVER"
    print(
        f"  warm ({len(warm)} runs): peak {statistics.median(peaks):.0f} MiB median, {max(peaks):.0f} MiB max "
        f"({verdict} the {TARGET_MIB:.0f} MiB asked), {statistics.median(walls):.1f} s median, exit {codes}"
    )


if __name__ == "__main__":
    main()
