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

import uuid
from dataclasses import dataclass
from typing import cast

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError, idempotency_key_reused
from rewardshub.fastsql import Rows, create
from rewardshub.notify import hooks as mail_hooks
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, RewardItem
from rewardshub.practices.models import Location, Practice
from rewardshub.statement import Statement

# Every award and redeem starts with the lock and moves the balance: both are
# compiled once (statement.Statement), saving about 0.3 ms (lock) and 0.2 ms
# (move) of the ORM's compile a call on SQLite (BENCHMARKS.md).
_LOCK = Statement(
    lambda pk, practice_id: Profile.objects.select_for_update()
    .filter(pk=pk, practice_id=practice_id)
    .annotate(wants_points_mail=mail_hooks.wants_points_mail()),
    int,
    int,
    kind="models",
)
# The same, also saying whether an award with this Idempotency-Key was made
# before (its first entry, "<key>#0", exists): a new key, the usual case,
# then costs no statement of its own.
_LOCK_AND_REPLAY = Statement(
    lambda pk, practice_id, first_entry: (
        Profile.objects.select_for_update()
        .filter(pk=pk, practice_id=practice_id)
        .annotate(
            replayed=Exists(
                LedgerEntry.objects.filter(
                    practice_id=OuterRef("practice_id"), idempotency_key=first_entry
                )
            ),
            wants_points_mail=mail_hooks.wants_points_mail(),
        )
    ),
    int,
    int,
    str,
    kind="models",
)
_MOVE_BALANCE = Statement(
    lambda pk, practice_id, points: Profile.objects.filter(pk=pk, practice_id=practice_id),
    int,
    int,
    int,
    kind="update",
    update=lambda pk, practice_id, points: {"points_balance": F("points_balance") + points},
)


def lock_profile(practice: Practice, profile: Profile) -> Profile:
    """Re-read the profile under a row lock; must run inside a transaction.

    PostgreSQL locks the row (FOR UPDATE); on SQLite the IMMEDIATE transaction
    already holds the database's only write lock.
    """
    assert transaction.get_connection().in_atomic_block, "lock_profile() needs a transaction"
    locked = _LOCK.first(profile.pk, practice.pk)
    if locked is None:
        raise Profile.DoesNotExist("No such profile in this practice.")
    return _not_merged(cast(Profile, locked))


def profile_merged_error(profile: Profile) -> ActionError:
    return ActionError(
        "profile_merged",
        f"The profile with username {profile.username} was merged into another profile of "
        "the same patient while this was sent. Open the patient again and try once more. "
        "Nothing was changed.",
        status=409,
    )


def _not_merged(locked: Profile) -> Profile:
    # A merge that won the lock first made the profile a tombstone: its points
    # went to the survivor, and nothing may land on it any more.
    if locked.merged_into_id is not None:
        raise profile_merged_error(locked)
    return locked


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
    the key is new. The key used for another profile (other than one merged
    into this one since) or another request (or before requests were hashed)
    is refused: never another request's result."""
    prefix = f"{key.key}#"
    entries = [
        entry
        for entry in LedgerEntry.objects.filter(
            practice=practice, idempotency_key__startswith=prefix
        ).order_by("id")
        # "<key>#<n>" only: not the entries of a key that itself starts with "<key>#".
        if str(entry.idempotency_key)[len(prefix) :].isdigit()
    ]
    if any(e.request_hash != key.request_hash for e in entries) or not same_person(
        profile, {e.profile_id for e in entries}
    ):
        raise idempotency_key_reused()
    return entries


def same_person(profile: Profile, profile_ids: set[int]) -> bool:
    """Whether each of these profiles is `profile` or a profile merged into it.

    A merge leaves the merged profile's entries (and held rewards) where they
    are and points the tombstone at the survivor, every earlier tombstone
    included, in one step: what an award with a key made before the merge is
    the survivor's to answer. One query, and only when another profile is named.
    """
    others = profile_ids - {profile.pk}
    if not others:
        return True
    merged = Profile.objects.filter(
        pk__in=others, practice_id=profile.practice_id, merged_into_id=profile.pk
    )
    return merged.count() == len(others)


def lock_for_award(
    practice: Practice, profile: Profile, key: LedgerKey | None
) -> tuple[Profile, list[LedgerEntry]]:
    """`lock_profile`, and the entries an earlier award with this key made
    (`replayed_entries`, refusals included): none for a new key or no key."""
    if key is None:
        return lock_profile(practice, profile), []
    assert transaction.get_connection().in_atomic_block, "lock_for_award() needs a transaction"
    locked = _LOCK_AND_REPLAY.first(profile.pk, practice.pk, key.entry_key(0))
    if locked is None:
        raise Profile.DoesNotExist("No such profile in this practice.")
    replay = replayed_entries(practice, locked, key) if locked.replayed else []
    return _not_merged(cast(Profile, locked)), replay


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
    _MOVE_BALANCE.run(profile.pk, practice.pk, points)
    profile.points_balance += points
    if points > 0:
        # The lock statements read whether the patient wants the mail (no statement of its own).
        wants = getattr(profile, "wants_points_mail", None)
        mail_hooks.points_earned(practice.pk, kind, [profile.pk], wanted=wants)
    return entry


def post_many(
    *,
    practice: Practice,
    kind: str,
    actor: Actor,
    postings: list[tuple[int, int, str]],
    reward_item: RewardItem | None = None,
    wanted: bool | None = None,
) -> list[int]:
    """Append many entries of one kind and actor (and menu item, if any), each
    (profile id, points, description) of any profile, already checked, and
    move each profile's balance by their sum, under the caller's profile
    locks: the batch form of `post`, for writers that decide many entries at
    once. Returns the new entries' ids, in order. `wanted`: whether the patient
    wants points mail, when all the points go to one profile and the caller
    read it with its lock (None: looked up after the commit).

    The rows go as plain values in one statement (fastsql.Rows.write_ids: an
    INSERT ... RETURNING, or for many ids from the sequence and a COPY), which
    costs less than bulk_create's compile of every row (BENCHMARKS.md,
    "Appointment events").
    """
    assert transaction.get_connection().in_atomic_block, "post_many() needs a transaction"
    if not postings:
        return []
    if any(points == 0 for _, points, _ in postings):
        raise ActionError("zero_points", "An entry must add or take away at least one point.")
    rows = Rows(
        LedgerEntry,
        {
            "practice_id": practice.pk,
            "kind": kind,
            "actor_kind": actor.kind,
            "actor_user_id": actor.user_id,
            "actor_label": actor.label[:200],
            "reward_item_id": reward_item.pk if reward_item is not None else None,
            "created_at": timezone.now(),
        },
        ("public_id", "profile_id", "points", "description"),
    )
    for profile_id, points, description in postings:
        rows.add(uuid.uuid4(), profile_id, points, description[:300])
    ids = rows.write_ids("public_id")
    moves: dict[int, int] = {}
    for profile_id, points, _ in postings:
        moves[profile_id] = moves.get(profile_id, 0) + points
    _MOVE_BALANCE.run_many([(pk, practice.pk, points) for pk, points in moves.items()])
    earning = [pk for pk, points, _ in postings if points > 0]
    one = len(set(earning)) == 1
    mail_hooks.points_earned(practice.pk, kind, earning, wanted=wanted if one else None)
    return ids
