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

    def hit(self, scope: str, key: str, limit: FailureLimiter) -> tuple[int, float | None]: ...

    def lock(self, scope: str, key: str, limit: FailureLimiter) -> float: ...

    def refund(self, scope: str, key: str) -> None: ...

    def reset(self, scope: str, key: str) -> None: ...


class CacheStore:
    """Redis through Django's cache (add, INCR and DECR are atomic); or one process's memory."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache

    @staticmethod
    def _key(kind: str, scope: str, key: str) -> str:
        return f"rl:{scope}:{kind}:{key}"

    def locked_until(self, scope: str, key: str) -> float | None:
        until = self.cache.get(self._key("lock", scope, key))
        return None if until is None else float(until)

    def hit(self, scope: str, key: str, limit: FailureLimiter) -> tuple[int, float | None]:
        until = self.locked_until(scope, key)
        if until is not None and until > time.time():
            return 0, until
        count_key = self._key("count", scope, key)
        if self.cache.add(count_key, 1, timeout=limit.window_seconds):
            count = 1
        else:
            try:
                count = self.cache.incr(count_key)
            except ValueError:  # expired between add and incr
                self.cache.set(count_key, 1, timeout=limit.window_seconds)
                count = 1
        if count > limit.max_failures:
            return count, self.lock(scope, key, limit)
        return count, None

    def lock(self, scope: str, key: str, limit: FailureLimiter) -> float:
        until = time.time() + limit.lockout_seconds
        self.cache.set(self._key("lock", scope, key), until, timeout=limit.lockout_seconds)
        # The count stays (it ends with the lock): deleting it would let an
        # attempt that checked for the lock just before it was set start a new
        # count and be let through.
        self.cache.touch(self._key("count", scope, key), timeout=limit.lockout_seconds)
        return until

    def refund(self, scope: str, key: str) -> None:
        try:
            if self.cache.decr(self._key("count", scope, key)) < 0:
                self.cache.delete(self._key("count", scope, key))
        except ValueError:  # the window ended: nothing to give back
            pass

    def reset(self, scope: str, key: str) -> None:
        self.cache.delete_many([self._key("count", scope, key), self._key("lock", scope, key)])


class DatabaseStore:
    """One LoginThrottle row per key, read and written under the row's lock.

    On PostgreSQL SELECT ... FOR UPDATE queues a second worker behind the
    first; on SQLite the hub's transactions begin IMMEDIATE (the write lock),
    which queues them the same way. So no two attempts ever read the same count.
    """

    def locked_until(self, scope: str, key: str) -> float | None:
        until = (
            LoginThrottle.objects.filter(scope=scope, key=key)
            .values_list("locked_until", flat=True)
            .first()
        )
        return until or None

    @staticmethod
    def _row(scope: str, key: str, limit: FailureLimiter, now: float) -> LoginThrottle:
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(
            scope=scope, key=key, defaults={"window_ends": now + limit.window_seconds}
        )
        if row.window_ends <= now:
            row.failures, row.window_ends = 0, now + limit.window_seconds
        return row

    @staticmethod
    def _save(row: LoginThrottle) -> None:
        row.expires_at = max(row.window_ends, row.locked_until)
        row.save()

    def hit(self, scope: str, key: str, limit: FailureLimiter) -> tuple[int, float | None]:
        now = time.time()
        # Rows whose window and lock are both over count nothing: drop them (on
        # its own, so this transaction locks only its own row).
        LoginThrottle.objects.filter(expires_at__lt=now).delete()
        with transaction.atomic():
            row = self._row(scope, key, limit, now)
            if row.locked_until > now:
                return 0, row.locked_until
            row.failures += 1
            until = None
            if row.failures > limit.max_failures:
                until = row.locked_until = now + limit.lockout_seconds
                row.failures = 0
            self._save(row)
            return row.failures or limit.max_failures + 1, until

    def lock(self, scope: str, key: str, limit: FailureLimiter) -> float:
        now = time.time()
        with transaction.atomic():
            row = self._row(scope, key, limit, now)
            row.failures, row.locked_until = 0, max(row.locked_until, now + limit.lockout_seconds)
            self._save(row)
            return row.locked_until

    def refund(self, scope: str, key: str) -> None:
        with transaction.atomic():
            row = LoginThrottle.objects.select_for_update().filter(scope=scope, key=key).first()
            if row is not None and row.failures > 0:
                row.failures -= 1
                row.save(update_fields=["failures"])

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

    def begin(self, key: str) -> Attempt:
        """Count an attempt before its password is checked.

        Counting first means a burst of parallel guesses cannot all pass the
        lock check before any failure is recorded: the attempt past the limit
        is refused (`Attempt.locked_until`) whatever its password.
        """
        count, until = get_store().hit(self.scope, self._digest(key), self)
        return Attempt(self, key, count, until)

    def record_failure(self, key: str) -> float | None:
        """Count one failure after the fact (no password was checked); the end of a lock."""
        attempt = self.begin(key)
        return attempt.locked_until or attempt.failed()

    def reset(self, key: str) -> None:
        get_store().reset(self.scope, self._digest(key))


@dataclass
class Attempt:
    """One counted attempt: refused (`locked_until`), or checked and then failed or succeeded."""

    limiter: FailureLimiter
    key: str
    count: int
    locked_until: float | None

    def failed(self) -> float | None:
        """The password was wrong: lock when this was the last attempt the limit allows."""
        if self.count < self.limiter.max_failures:
            return None
        limiter = self.limiter
        return get_store().lock(limiter.scope, limiter._digest(self.key), limiter)

    def succeeded(self, *, forget: bool = False) -> None:
        """The password was right: give the attempt back, or forget the key's count."""
        limiter, digest = self.limiter, self.limiter._digest(self.key)
        if forget:
            get_store().reset(limiter.scope, digest)
        else:
            get_store().refund(limiter.scope, digest)
