"""Integration keys: the token format, how it is stored, and checking one on an API call.

A token reads `rh_<prefix>_<secret>`. The prefix (8 hex characters) is stored
in clear and indexed, so staff can tell keys apart and a call finds its key
with one indexed read. The secret is 32 random bytes; only the sha256 of the
whole token is stored.

Why a plain sha256 and not argon2 like passwords: password hashing is slow on
purpose because people pick guessable passwords. A 256-bit random secret
cannot be guessed, so a fast hash is as safe and keeps every API call cheap
(one query, one microsecond hash) instead of ~50 ms of argon2 per request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import cast

from django.db.models import Q
from django.utils import timezone

from rewardshub.fastsql import Select, columns, instance
from rewardshub.practices.models import IntegrationKey, Practice

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
    """The key this token belongs to, revoked or not; None for anything else."""
    token = token.strip()
    if len(token) > 200:
        return None
    prefix = token_prefix(token)
    if prefix is None:
        return None
    row = _KEY_BY_PREFIX.one([prefix])
    if row is None:
        return None
    split = len(_KEY_COLUMNS[1])
    key = cast(IntegrationKey, instance(IntegrationKey, row[:split]))
    if not hmac.compare_digest(key.secret_hash, hash_token(token)):
        return None
    # What select_related("practice") would do: the practice comes with the key.
    key.practice = cast(Practice, instance(Practice, row[split:]))
    return key


# Every API call starts here, so the key and its practice are read by one
# fixed statement (fastsql.py says why); the column lists follow the models.
_KEY_COLUMNS = columns(IntegrationKey, "k")
_PRACTICE_COLUMNS = columns(Practice, "p")
_KEY_BY_PREFIX = Select(
    f"SELECT {_KEY_COLUMNS[0]}, {_PRACTICE_COLUMNS[0]} "  # noqa: S608 - names from the models
    "FROM practices_integrationkey k JOIN practices_practice p ON p.id = k.practice_id "
    "WHERE k.prefix = %s",
    _KEY_COLUMNS[1] + _PRACTICE_COLUMNS[1],
)


def authenticate(token: str) -> IntegrationKey | None:
    """The live key for this token, with its practice; None when unknown or revoked."""
    key = find_key(token)
    if key is None or key.revoked_at is not None:
        return None
    touch(key)
    return key


def touch(key: IntegrationKey) -> None:
    """Record that the key was used, at most once per LAST_USED_RESOLUTION."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    # The WHERE repeats the check so concurrent calls write once, not each.
    IntegrationKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    key.last_used_at = now
