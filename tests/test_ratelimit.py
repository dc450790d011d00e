"""The sign-in throttle's counter: no failure lost when workers count at once; where it lives."""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection

from rewardshub import ratelimit
from rewardshub.practices.models import LoginThrottle
from rewardshub.ratelimit import CacheStore, DatabaseStore, FailureLimiter

THREADS, EACH = 4, 10


def _hammer(limiter: FailureLimiter, key: str) -> list[float | None]:
    results: list[float | None] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work() -> None:
        start.wait()
        try:
            for _ in range(EACH):
                until = limiter.record_failure(key)
                with lock:
                    results.append(until)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_failures_in_the_database_lose_no_count(
    transactional_db: Any, settings: Any
) -> None:
    settings.LOGIN_THROTTLE_STORE = "database"
    # Locks on the 40th failure: exactly one of the 40 concurrent calls sees it.
    limiter = FailureLimiter("test", THREADS * EACH, 600, 600)
    results = _hammer(limiter, "owner")
    assert len(results) == THREADS * EACH
    assert sum(until is not None for until in results) == 1
    assert limiter.locked_until("owner") is not None
    assert LoginThrottle.objects.get().failures == 0  # counted up to the limit, then locked


@pytest.mark.skipif(not os.environ.get("REWARDSHUB_REDIS_URL"), reason="needs REWARDSHUB_REDIS_URL")
def test_concurrent_failures_in_redis_lose_no_count(settings: Any) -> None:
    settings.LOGIN_THROTTLE_STORE = "redis"
    limiter = FailureLimiter(f"test-{uuid.uuid4().hex}", THREADS * EACH, 600, 600)
    results = _hammer(limiter, "owner")
    assert sum(until is not None for until in results) == 1
    assert limiter.locked_until("owner") is not None


def test_the_store_is_the_database_without_redis_and_memory_only_when_chosen(
    settings: Any,
) -> None:
    settings.LOGIN_THROTTLE_STORE = "database"
    assert isinstance(ratelimit.get_store(), DatabaseStore)
    settings.LOGIN_THROTTLE_STORE = "memory"
    store = ratelimit.get_store()
    assert isinstance(store, CacheStore) and store.cache is not caches["default"]


def test_the_database_store_keeps_no_username_in_clear(db: Any, settings: Any) -> None:
    settings.LOGIN_THROTTLE_STORE = "database"
    FailureLimiter("test", 5, 600, 600).record_failure("Owner")
    row = LoginThrottle.objects.get()
    assert "owner" not in row.key.lower() and len(row.key) == 32


def test_the_database_store_forgets_a_window_and_a_lock_once_both_are_over(
    db: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.LOGIN_THROTTLE_STORE = "database"
    limiter = FailureLimiter("test", 2, 600, 900)
    assert limiter.record_failure("owner") is None
    assert limiter.record_failure("owner") is not None  # locked for 15 minutes
    later = time.time() + 901
    monkeypatch.setattr(time, "time", lambda: later)
    assert limiter.locked_until("owner") is None
    limiter.record_failure("frontdesk")  # any failure drops the rows that count nothing
    assert [row.key for row in LoginThrottle.objects.all()] == [limiter._digest("frontdesk")]
