"""Counting failures per key in the shared cache and locking the key out.

Used by the staff sign-in (per username) and the patient portal (per username
and per address). With Redis configured the counts hold across processes and
hosts; keys are hashed so the cache never holds a username in clear.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class FailureLimiter:
    scope: str
    max_failures: int
    window_seconds: int
    lockout_seconds: int

    def _key(self, kind: str, key: str) -> str:
        digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
        return f"rl:{self.scope}:{kind}:{digest}"

    def locked_until(self, key: str) -> float | None:
        """Epoch seconds when the lock on `key` ends, or None when not locked."""
        until = cache.get(self._key("lock", key))
        if until is None or until <= time.time():
            return None
        return float(until)

    def record_failure(self, key: str) -> float | None:
        """Count one failure; lock and return the end of the lock when the limit is reached."""
        count_key = self._key("count", key)
        if cache.add(count_key, 1, timeout=self.window_seconds):
            count = 1
        else:
            try:
                count = cache.incr(count_key)
            except ValueError:  # expired between add and incr
                cache.set(count_key, 1, timeout=self.window_seconds)
                count = 1
        if count >= self.max_failures:
            until = time.time() + self.lockout_seconds
            cache.set(self._key("lock", key), until, timeout=self.lockout_seconds)
            cache.delete(count_key)
            return until
        return None

    def reset(self, key: str) -> None:
        cache.delete_many([self._key("count", key), self._key("lock", key)])
