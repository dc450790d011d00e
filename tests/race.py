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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import pytest
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


@contextmanager
def paused_in(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, action: Callable[[], object]
) -> Iterator[None]:
    """Run `action` in a thread of its own, paused as it calls `owner.name` until
    the block ends: the block runs while the thread holds what it took so far
    (its transaction's locks). The thread then goes on; its error fails the test."""
    holding, go = threading.Event(), threading.Event()
    original = getattr(owner, name)
    paused: list[threading.Thread] = []

    def pausing(*args: object, **kwargs: object) -> object:
        if threading.current_thread() in paused:
            holding.set()
            assert go.wait(30)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, pausing)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    paused.append(thread)
    thread.start()
    assert holding.wait(30), f"the thread never called {name}"
    try:
        yield
    finally:
        go.set()
        thread.join(30)
    assert not failures, failures
