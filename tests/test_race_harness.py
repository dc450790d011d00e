"""The race harness the concurrency tests share (tests/race.py): a race that
hides a thread's error, or does not run its threads at once, would pass a
concurrency test that proves nothing."""

from __future__ import annotations

import random
import threading

import pytest
from tests.race import race, run_together


def test_it_returns_every_result_in_the_order_of_the_calls() -> None:
    assert run_together([lambda n=n: n * n for n in range(6)]) == [0, 1, 4, 9, 16, 25]


def test_it_releases_every_thread_at_once() -> None:
    # Each call waits for all the others: a harness that ran them one by one would time out.
    everyone = threading.Barrier(4, timeout=10)
    assert sorted(run_together([everyone.wait] * 4, timeout=20)) == [0, 1, 2, 3]


def test_it_fails_the_test_with_the_error_a_thread_raised() -> None:
    def broken() -> None:
        raise ValueError("thread 2 went wrong")

    with pytest.raises(AssertionError, match="thread 2 went wrong"):
        run_together([lambda: None, broken, lambda: None])


def test_it_fails_the_test_with_an_assertion_that_failed_in_a_thread() -> None:
    def step(rng: random.Random) -> str:
        assert rng.random() < 0, "refused for the wrong reason"
        return "never"

    with pytest.raises(AssertionError, match="refused for the wrong reason"):
        race(step, threads=3, operations=2)


def test_it_counts_every_outcome_of_every_step_with_a_seed_per_thread() -> None:
    outcomes = race(lambda rng: "odd" if rng.randrange(2) else "even", threads=5, operations=7)

    assert sum(outcomes.values()) == 35
    # Thread n's steps come from random.Random(n): the run can be replayed.
    replay = [random.Random(seed) for seed in range(5)]
    odd = sum(rng.randrange(2) for rng in replay for _ in range(7))
    assert outcomes == {"odd": odd, "even": 35 - odd}
