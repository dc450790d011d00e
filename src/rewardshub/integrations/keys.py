"""Integration keys: the token format, how it is stored, and checking one on an API call.

A token reads `rh_<prefix>_<secret>`. The prefix (8 hex characters) is stored
in clear and indexed, so staff can tell keys apart and a call finds its key
with one indexed read. The secret is 32 random bytes; only the sha256 of the
whole token is stored.

Why a plain sha256 and not argon2 like passwords: password hashing is slow on
purpose because people pick guessable passwords. A 256-bit random secret
cannot be guessed, so a fast hash is as safe and keeps every API call cheap
(one cache read or indexed query, one microsecond hash) instead of ~50 ms of
argon2 per request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q
from django.utils import timezone

from rewardshub.practices.models import IntegrationKey, Practice

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "rh"  # noqa: S105 - a label, not a secret
# Writing last_used_at on every call would turn each read into a write; a
# minute is precise enough for "last used" in the keys list.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    prefix: str
    token: str
    token_hash: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> NewToken:
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewToken(prefix=prefix, token=token, token_hash=hash_token(token))


def token_prefix(token: str) -> str | None:
    """The prefix part of a well-formed token, or None."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[2]:
        return None
    prefix = parts[1]
    if len(prefix) != 8 or any(c not in "0123456789abcdef" for c in prefix):
        return None
    return prefix


def find_key(token: str) -> IntegrationKey | None:
    """The key this token belongs to, revoked or not; None for anything else.

    Its practice comes as a reference by id: a call that reads a practice
    setting (an award reads misc_requires_approval) reads it from the
    database then, so the key cache never serves a stale setting.
    """
    token = token.strip()
    if len(token) > 200:
        return None
    prefix = token_prefix(token)
    if prefix is None:
        return None
    values = _key_row(prefix)
    if values is None:
        return None
    key = cast(IntegrationKey, IntegrationKey.from_db(DEFAULT_DB_ALIAS, _KEY_FIELDS, values))
    if not hmac.compare_digest(key.secret_hash, hash_token(token)):
        return None
    key.practice = cast(
        Practice, Practice.from_db(DEFAULT_DB_ALIAS, [_PRACTICE_PK], [key.practice_id])
    )
    return key


# Every API call starts by finding its key. The key's own row (never its
# practice's, see find_key) is kept in Django's cache for KEY_CACHE_SECONDS:
# in Redis when REWARDSHUB_REDIS_URL is set, shared by every worker and host,
# otherwise in each process's memory. revoke_key replaces it with the revoked
# row, so a revoked key is refused at once wherever the cache is shared, and
# within KEY_CACHE_SECONDS by the other processes of a hub without Redis
# (docs/integration-api.md). A miss reads the row with the ORM: it happens at
# most once per KEY_CACHE_SECONDS per key, so compiling that query each time
# costs nothing worth saving (BENCHMARKS.md, "The key lookup").
KEY_CACHE_SECONDS = 5
_KEY_FIELDS = [f.attname for f in IntegrationKey._meta.concrete_fields]
_PRACTICE_PK = Practice._meta.pk.attname  # type: ignore[union-attr]


def _cache_key(prefix: str) -> str:
    return f"integration-key:{prefix}"


def _key_row(prefix: str) -> list[Any] | None:
    values = _quietly(lambda: cache.get(_cache_key(prefix)))
    if values is not None:
        return cast(list[Any], values)
    row = IntegrationKey.objects.filter(prefix=prefix).values_list(*_KEY_FIELDS)[:1]
    if not row:
        return None  # unknown prefixes are not kept: anyone can send those
    values = list(row[0])
    # add, not set: a row read before a revocation never replaces the revoked one.
    _quietly(lambda: cache.add(_cache_key(prefix), values, KEY_CACHE_SECONDS))
    return values


def remember_revoked(key: IntegrationKey) -> None:
    """Drop the key's cached row now and, once the revocation commits, put the
    revoked row in its place (a call that read the key just before the commit
    cannot then cache it as live)."""
    _quietly(lambda: cache.delete(_cache_key(key.prefix)))
    values = [getattr(key, name) for name in _KEY_FIELDS]
    transaction.on_commit(
        lambda: _quietly(lambda: cache.set(_cache_key(key.prefix), values, KEY_CACHE_SECONDS))
    )


def forget_key(prefix: str) -> None:
    """Read the key from the database on its next call (its row changed there)."""
    _quietly(lambda: cache.delete(_cache_key(prefix)))
    _touched.pop(prefix, None)


def _quietly(call: Callable[[], Any]) -> Any:
    """A cache call that may fail (Redis down): API calls and revocations go on
    through the database, which holds the truth; whatever the cache still holds
    expires within KEY_CACHE_SECONDS."""
    try:
        return call()
    except Exception:  # each cache backend raises its own client's errors
        logger.warning("The integration key cache is unavailable; reading keys from the database.")
        return None


def authenticate(token: str) -> IntegrationKey | None:
    """The live key for this token, with its practice; None when unknown or revoked."""
    key = find_key(token)
    if key is None or key.revoked_at is not None:
        return None
    touch(key)
    return key


# When this process last wrote each key's last_used_at: the cached row may be
# older than the write.
_touched: dict[str, dt.datetime] = {}


def touch(key: IntegrationKey) -> None:
    """Record that the key was used, at most once per LAST_USED_RESOLUTION."""
    now = timezone.now()
    last = max(
        (t for t in (key.last_used_at, _touched.get(key.prefix)) if t is not None), default=None
    )
    if last is not None and now - last < LAST_USED_RESOLUTION:
        key.last_used_at = last
        return
    # The WHERE repeats the check so concurrent calls write once, not each.
    IntegrationKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    _touched[key.prefix] = now
    key.last_used_at = now
