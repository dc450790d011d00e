"""Posting to the ledger: the one place a profile's balance changes.

The balance on the profile and the sum of its entries move together in one
transaction. Concurrency: on PostgreSQL the profile row is locked (SELECT ...
FOR UPDATE) before the balance is read, so racing posts queue on that row; on
SQLite every write transaction begins IMMEDIATE (settings), which takes the
database write lock up front and has the same effect. The CHECK constraint on
the balance is the last line: a bug that tried to overdraw would fail there,
not write a negative balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.db import connection, transaction

from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError, idempotency_key_reused
from rewardshub.fastsql import Select, columns, create, instance
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, RewardItem
from rewardshub.practices.models import Location, Practice

_PROFILE = columns(Profile, "p")
_LOCK_SQL = f"SELECT {_PROFILE[0]} FROM patients_profile p WHERE p.id = %s AND p.practice_id = %s"  # noqa: S608 - names from the model
# Every award and redeem starts here, so it is one fixed statement (fastsql.py).
_LOCK = Select(_LOCK_SQL, _PROFILE[1])
_LOCK_FOR_UPDATE = Select(_LOCK_SQL + " FOR UPDATE", _PROFILE[1])
_MOVE_BALANCE = (
    "UPDATE patients_profile SET points_balance = points_balance + %s "
    "WHERE id = %s AND practice_id = %s"
)


def lock_profile(practice: Practice, profile: Profile) -> Profile:
    """Re-read the profile under a row lock; must run inside a transaction.

    PostgreSQL locks the row (FOR UPDATE); on SQLite the IMMEDIATE transaction
    already holds the database's only write lock.
    """
    assert transaction.get_connection().in_atomic_block, "lock_profile() needs a transaction"
    lock = _LOCK_FOR_UPDATE if connection.features.has_select_for_update else _LOCK
    row = lock.one([profile.pk, practice.pk])
    if row is None:
        raise Profile.DoesNotExist("No such profile in this practice.")
    return cast(Profile, instance(Profile, row))


@dataclass(frozen=True)
class LedgerKey:
    """An award's Idempotency-Key and the hash of the request that carried it.

    The entries an award makes are keyed `<key>#<n>` and keep the request's
    hash: a repeat is answered from them only when it is the same request
    for the same profile (the stored API answer may be pruned by then)."""

    key: str
    request_hash: str

    def entry_key(self, index: int) -> str:
        return f"{self.key}#{index}"


def replayed_entries(practice: Practice, profile: Profile, key: LedgerKey) -> list[LedgerEntry]:
    """The entries an earlier award with this key made, to answer again; none if
    the key is new. The key used for another profile or another request (or
    before requests were hashed) is refused: never another request's result."""
    prefix = f"{key.key}#"
    entries = [
        entry
        for entry in LedgerEntry.objects.filter(
            practice=practice, idempotency_key__startswith=prefix
        ).order_by("id")
        # "<key>#<n>" only: not the entries of a key that itself starts with "<key>#".
        if str(entry.idempotency_key)[len(prefix) :].isdigit()
    ]
    if any(e.profile_id != profile.pk or e.request_hash != key.request_hash for e in entries):
        raise idempotency_key_reused()
    return entries


def not_enough_points(profile: Profile, needed: int) -> ActionError:
    return ActionError(
        "not_enough_points",
        f"Not enough points: {profile.first_name} has {profile.points_balance} and this "
        f"needs {needed}. Nothing was changed.",
        status=409,
    )


def post(
    *,
    practice: Practice,
    profile: Profile,
    points: int,
    kind: str,
    actor: Actor,
    description: str = "",
    reward_item: RewardItem | None = None,
    location: Location | None = None,
    reverses: LedgerEntry | None = None,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> LedgerEntry:
    """Append one entry and move the balance with it. The caller holds the profile lock."""
    assert transaction.get_connection().in_atomic_block, "post() needs the caller's transaction"
    if points == 0:
        raise ActionError("zero_points", "An entry must add or take away at least one point.")
    if profile.points_balance + points < 0:
        raise not_enough_points(profile, -points)
    entry = LedgerEntry(
        practice=practice,
        profile=profile,
        points=points,
        kind=kind,
        reward_item=reward_item,
        description=description[:300],
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        actor_label=actor.label[:200],
        location=location,
        reverses=reverses,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    create(entry)
    with connection.cursor() as cursor:
        cursor.execute(_MOVE_BALANCE, [points, profile.pk, practice.pk])
    profile.points_balance += points
    return entry
