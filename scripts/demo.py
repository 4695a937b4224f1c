"""The demo: the conformance suite against the bundled fake HubSpot server, first faithful, then drifting.

No token and no network: the fake server listens on 127.0.0.1 on a free port and stops when the run ends.
Reports (JUnit XML and a JSON summary) go to reports/. Arguments, when given, go to `hubspot-commprefs
conformance` instead (for example `scripts/demo --fault enum-value`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from hubspot_commprefs.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
DRIFT = ("enum-value", "int32-overflow", "bad-date-time")


def banner(text: str) -> None:
    print(f"\n### {text}\n", flush=True)


def main(argv: list[str]) -> int:
    if argv:
        return cli(["conformance", *argv])
    started = time.monotonic()
    banner(
        "1/2  The conformance suite against the bundled fake HubSpot server, which answers as the spec says.\n"
        "     Expect PASS: schemathesis drives both endpoints (examples, coverage, fuzzing) and targeted\n"
        "     requests ask about known contacts; every answer is checked field by field."
    )
    faithful = cli(["conformance", "--report-dir", str(REPORTS / "faithful")])
    banner(
        "2/2  The same suite against a fake server told to drift the way HubSpot has drifted before:\n"
        f"     faults {', '.join(DRIFT)}.\n"
        "     Expect FAIL, naming each broken field, what the spec says, what came back, and a curl to repeat it."
    )
    drift_args = ["conformance", "--max-examples", "5", "--report-dir", str(REPORTS / "drift")]
    for fault in DRIFT:
        drift_args += ["--fault", fault]
    drifting = cli(drift_args)
    caught = drifting == 1
    elapsed = time.monotonic() - started
    print(
        f"\nDemo finished in {elapsed:.1f} s: the faithful server {'passed' if faithful == 0 else 'FAILED'}, "
        f"the drifting one was {'caught' if caught else 'NOT caught'}. Reports are in reports/.\n"
        "Against your own portal (GET requests only, at most 5 a second):\n"
        "  HUBSPOT_ACCESS_TOKEN=... .venv/bin/hubspot-commprefs conformance --base-url https://api.hubapi.com "
        "--subscriber someone@yourcompany.com"
    )
    return 0 if faithful == 0 and caught else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
