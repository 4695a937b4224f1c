"""Threads and tasks that make their first calls at once never get a false error (issue: a lazily built
validation plan was visible half-built to other threads, which then failed valid answers with
"maximum recursion depth exceeded"; the spec's schemas are now compiled once, under a lock)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import hubspot_commprefs.schemas as _schemas
import pytest
from hubspot_commprefs.testing import FakeHubSpot, RateLimit

from tests.client_fixtures import action_body, status_item
from tests.processes import started

PROCESSES = 12
THREADS = 16

# Run in a fresh interpreter, so that every plan and lazy import is built at first use, by the threads.
_THREADS_SCRIPT = """
import json, sys, threading
from hubspot_commprefs import CommPrefs

base_url, token, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
shared = CommPrefs(base_url=base_url, access_token=token, max_retries=0)
barrier = threading.Barrier(threads)
errors = []

def work(i):
    client = shared if i % 2 == 0 else CommPrefs(base_url=base_url, access_token=token, max_retries=0)
    barrier.wait()
    try:
        if i % 4 < 2:
            client.get_statuses("alice@example.com")
        else:
            client.get_unsubscribe_all_status("bob@example.com")
    except Exception as error:
        errors.append(f"{type(error).__name__}: {error}")

pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
for t in pool: t.start()
for t in pool: t.join()
print(json.dumps(errors))
"""

_TASKS_SCRIPT = """
import asyncio, json, sys
from hubspot_commprefs import AsyncCommPrefs

base_url, token, tasks = sys.argv[1], sys.argv[2], int(sys.argv[3])

async def main():
    errors = []
    async with AsyncCommPrefs(base_url=base_url, access_token=token, max_retries=0) as shared:
        own = [AsyncCommPrefs(base_url=base_url, access_token=token, max_retries=0) for _ in range(tasks)]

        async def work(i):
            client = shared if i % 2 == 0 else own[i]
            try:
                if i % 4 < 2:
                    await client.get_statuses("alice@example.com")
                else:
                    await client.get_unsubscribe_all_status("bob@example.com")
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}")

        await asyncio.gather(*(work(i) for i in range(tasks)))
        for client in own:
            await client.aclose()
    print(json.dumps(errors))

asyncio.run(main())
"""


def _run_fresh_processes(script: str, server: FakeHubSpot) -> list[str]:
    argv = [sys.executable, "-c", textwrap.dedent(script), server.base_url, server.token, str(THREADS)]
    errors: list[str] = []
    with contextlib.ExitStack() as stack:
        running = [
            stack.enter_context(started(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
            for _ in range(PROCESSES)
        ]
        for process in running:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            errors += json.loads(out)
    return errors


@pytest.fixture(scope="module")
def server():
    # A rate limit far above what the processes send: every answer is a 200.
    with FakeHubSpot(rate_limit=RateLimit(max_requests=100_000)) as fake:
        yield fake


def test_threads_making_their_first_calls_at_once_get_no_false_error(server: FakeHubSpot) -> None:
    assert _run_fresh_processes(_THREADS_SCRIPT, server) == []


def test_asyncio_tasks_making_their_first_calls_at_once_get_no_false_error(server: FakeHubSpot) -> None:
    assert _run_fresh_processes(_TASKS_SCRIPT, server) == []


def test_a_validator_being_compiled_is_never_seen_by_another_thread(monkeypatch) -> None:
    """Deterministic form of the race: compiling the spec's schemas is slowed down, and 16 threads check
    and build at once; the ones that did not compile wait for it instead of seeing a half-built state."""
    from hubspot_commprefs_client.models import ActionResponseWithResultsPublicStatus as Model

    monkeypatch.setattr(_schemas, "_BUNDLED", [])  # a fresh reading of schemas.json, nothing compiled yet
    _schemas._component.cache_clear()
    real = _schemas._compile
    compiled = []

    def slow(document, reading):
        time.sleep(0.05)
        compiled.append(reading)
        return real(document, reading)

    monkeypatch.setattr(_schemas, "_compile", slow)
    body = action_body([status_item(businessUnitId=None)])
    barrier = threading.Barrier(THREADS)

    def check_and_build(_: int) -> object:
        barrier.wait()
        _schemas.check(Model, body)
        return _schemas.build(Model, body)

    with ThreadPoolExecutor(THREADS) as pool:
        models = list(pool.map(check_and_build, range(THREADS)))  # raises the first thread's error, if any
    assert compiled == [_schemas.CLIENT]  # compiled once, by one thread
    assert all(m.results[0].subscription_id == 1 for m in models)
