"""Counting failed sign-ins per key and locking the key out, in a store every process sees.

Used by the staff sign-in (per username), the patient portal (per username and
per address) and the portal's reset mails (per address). The counts must hold
across every worker and host of a server, so they live in Redis when
REWARDSHUB_REDIS_URL is set and otherwise in the database (LoginThrottle rows);
process memory ("memory") is for a one-worker development server only, and
`rewardshub serve` refuses it with more than one worker (serve.py).

Why our own small counter and not django-axes: axes fits a Django
`authenticate()` sign-in with one failure limit, but the portal's card log-in
is not a Django user and has two limits with different thresholds (5 per
username, 20 per address) in one window, and its lock must end at a time the
page can tell the patient. One counter for both sign-ins keeps one set of
semantics, messages and tests; the storage is Django's (its Redis cache,
whose INCR is atomic, or a row taken under the database's row lock).

Keys are hashed, so neither store holds a username or address in clear.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

from rewardshub.practices.models import LoginThrottle


class Store(Protocol):
    def locked_until(self, scope: str, key: str) -> float | None: ...

    def record_failure(self, scope: str, key: str, limit: FailureLimiter) -> float | None: ...

    def reset(self, scope: str, key: str) -> None: ...


class CacheStore:
    """Redis through Django's cache (add + INCR are atomic); or one process's memory."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache

    @staticmethod
    def _key(kind: str, scope: str, key: str) -> str:
        return f"rl:{scope}:{kind}:{key}"

    def locked_until(self, scope: str, key: str) -> float | None:
        until = self.cache.get(self._key("lock", scope, key))
        return None if until is None else float(until)

    def record_failure(self, scope: str, key: str, limit: FailureLimiter) -> float | None:
        count_key = self._key("count", scope, key)
        if self.cache.add(count_key, 1, timeout=limit.window_seconds):
            count = 1
        else:
            try:
                count = self.cache.incr(count_key)
            except ValueError:  # expired between add and incr
                self.cache.set(count_key, 1, timeout=limit.window_seconds)
                count = 1
        if count < limit.max_failures:
            return None
        until = time.time() + limit.lockout_seconds
        self.cache.set(self._key("lock", scope, key), until, timeout=limit.lockout_seconds)
        self.cache.delete(count_key)
        return until

    def reset(self, scope: str, key: str) -> None:
        self.cache.delete_many([self._key("count", scope, key), self._key("lock", scope, key)])


class DatabaseStore:
    """One LoginThrottle row per key, read and written under the row's lock.

    On PostgreSQL SELECT ... FOR UPDATE queues a second worker behind the
    first; on SQLite the hub's transactions begin IMMEDIATE (the write lock),
    which queues them the same way. So no two failures ever read the same count.
    """

    def locked_until(self, scope: str, key: str) -> float | None:
        until = (
            LoginThrottle.objects.filter(scope=scope, key=key)
            .values_list("locked_until", flat=True)
            .first()
        )
        return until or None

    def record_failure(self, scope: str, key: str, limit: FailureLimiter) -> float | None:
        now = time.time()
        # Rows whose window and lock are both over count nothing: drop them (on
        # its own, so this transaction locks only its own row).
        LoginThrottle.objects.filter(expires_at__lt=now).delete()
        with transaction.atomic():
            row, _ = LoginThrottle.objects.select_for_update().get_or_create(
                scope=scope, key=key, defaults={"window_ends": now + limit.window_seconds}
            )
            if row.window_ends <= now:
                row.failures, row.window_ends = 0, now + limit.window_seconds
            row.failures += 1
            until = None
            if row.failures >= limit.max_failures:
                until = now + limit.lockout_seconds
                row.failures, row.locked_until = 0, until
            row.expires_at = max(row.window_ends, row.locked_until)
            row.save()
        return until

    def reset(self, scope: str, key: str) -> None:
        LoginThrottle.objects.filter(scope=scope, key=key).delete()


_MEMORY = CacheStore(LocMemCache("rewardshub-throttle", {}))


def store_name() -> str:
    return str(settings.LOGIN_THROTTLE_STORE)


def get_store() -> Store:
    name = store_name()
    if name == "redis":
        return CacheStore(caches["default"])
    if name == "memory":
        return _MEMORY
    return DatabaseStore()


@dataclass(frozen=True)
class FailureLimiter:
    scope: str
    max_failures: int
    window_seconds: int
    lockout_seconds: int

    @staticmethod
    def _digest(key: str) -> str:
        return hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]

    def locked_until(self, key: str) -> float | None:
        """Epoch seconds when the lock on `key` ends, or None when not locked."""
        until = get_store().locked_until(self.scope, self._digest(key))
        if until is None or until <= time.time():
            return None
        return until

    def record_failure(self, key: str) -> float | None:
        """Count one failure; lock and return the end of the lock when the limit is reached."""
        return get_store().record_failure(self.scope, self._digest(key), self)

    def reset(self, key: str) -> None:
        get_store().reset(self.scope, self._digest(key))
