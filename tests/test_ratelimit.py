"""The sign-in throttle's counter: no failure lost when workers count at once; where it lives."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection

from rewardshub import ratelimit
from rewardshub.practices.models import LoginThrottle
from rewardshub.ratelimit import CacheStore, DatabaseStore, FailureLimiter

THREADS, EACH = 4, 10

# CI sets REWARDSHUB_TEST_REDIS_URL (.ci/run); a developer may point at their own.
REDIS_URL = os.environ.get("REWARDSHUB_TEST_REDIS_URL") or os.environ.get("REWARDSHUB_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="needs REWARDSHUB_TEST_REDIS_URL or REWARDSHUB_REDIS_URL"
)


def _use_redis(settings: Any) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    settings.LOGIN_THROTTLE_STORE = "redis"


def _at_once(step: Callable[[], Any]) -> list[Any]:
    """THREADS threads released together, each running `step` EACH times; every result."""
    results: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work() -> None:
        start.wait()
        try:
            for _ in range(EACH):
                result = step()
                with lock:
                    results.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _hammer(limiter: FailureLimiter, key: str) -> list[float | None]:
    return _at_once(lambda: limiter.record_failure(key))


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


@needs_redis
def test_concurrent_failures_in_redis_lose_no_count(settings: Any) -> None:
    _use_redis(settings)
    limiter = FailureLimiter(f"test-{uuid.uuid4().hex}", THREADS * EACH, 600, 600)
    results = _hammer(limiter, "owner")
    assert sum(until is not None for until in results) == 1
    assert limiter.locked_until("owner") is not None


def _checked_in_a_burst(limiter: FailureLimiter, key: str) -> int:
    """Attempts let through by `begin` when THREADS × EACH arrive at once, all failing."""

    def guess() -> bool:
        attempt = limiter.begin(key)
        if attempt.locked_until is not None:
            return False
        attempt.failed()
        return True

    return sum(_at_once(guess))


def test_a_burst_in_the_database_checks_no_more_than_the_limit(
    transactional_db: Any, settings: Any
) -> None:
    settings.LOGIN_THROTTLE_STORE = "database"
    assert _checked_in_a_burst(FailureLimiter("test", 5, 600, 600), "owner") == 5


@needs_redis
def test_a_burst_in_redis_checks_no_more_than_the_limit(settings: Any) -> None:
    _use_redis(settings)
    limiter = FailureLimiter(f"test-{uuid.uuid4().hex}", 5, 600, 600)
    assert _checked_in_a_burst(limiter, "owner") == 5


def test_a_right_password_gives_its_attempt_back(db: Any, settings: Any) -> None:
    settings.LOGIN_THROTTLE_STORE = "database"
    limiter = FailureLimiter("test", 3, 600, 600)
    for _ in range(10):
        attempt = limiter.begin("office")
        assert attempt.locked_until is None
        attempt.succeeded()
    assert [limiter.begin("office").failed() is None for _ in range(3)] == [True, True, False]
    assert limiter.begin("office").locked_until is not None


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
