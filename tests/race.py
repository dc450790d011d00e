"""Races for the concurrency tests: real threads, each on its own database
connection, released at the same moment by one barrier.

Django opens a connection per thread, so each thread closes its own when it is
done (or the test database cannot be dropped). An error in a thread, a failed
assertion included, fails the test: a thread must not die silently.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import connection

R = TypeVar("R")


def run_together(calls: Sequence[Callable[[], R]], *, timeout: float = 120) -> list[R]:
    """Run each call in its own thread, all released at once; their results, in order."""
    barrier = threading.Barrier(len(calls))
    results: dict[int, R] = {}
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not failures, failures
    running = sum(thread.is_alive() for thread in threads)
    assert not running, f"{running} thread(s) still running after {timeout} s"
    return [results[index] for index in range(len(calls))]


def race(step: Callable[[random.Random], str], *, threads: int, operations: int) -> Counter[str]:
    """`threads` threads released together, each taking `step` `operations` times
    with its own random source (seeded by the thread's number, so a run can be
    replayed); how often each outcome `step` named came up."""

    def worker(seed: int) -> Callable[[], list[str]]:
        def steps() -> list[str]:
            rng = random.Random(seed)
            return [step(rng) for _ in range(operations)]

        return steps

    done = run_together([worker(seed) for seed in range(threads)])
    return Counter(outcome for outcomes in done for outcome in outcomes)
