"""Awarding points, misc awards, and reversals.

Each action is one transaction that locks the profile, posts to the ledger
and writes its audit row. Orders live in points/orders.py; misc awards wait
for approval through points/rewards.py, gifts are in points/gifts.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.local_time import format_when
from rewardshub.patients.actions import add_tag
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import LedgerKey, lock_for_award, lock_profile, post
from rewardshub.points.models import (
    EntryKind,
    LedgerEntry,
    PendingAward,
    PrizeOrder,
    RewardItem,
    RewardKind,
)
from rewardshub.points.rewards import pay_or_hold
from rewardshub.practices.models import Location, Practice

MAX_MISC_POINTS = 100_000


def _check_repeat_window(profile: Profile, item: RewardItem, now: dt.datetime) -> None:
    if not item.repeat_window_days:
        return
    since = now - dt.timedelta(days=item.repeat_window_days)
    last = (
        LedgerEntry.objects.filter(
            profile=profile, reward_item=item, kind=EntryKind.AWARD, created_at__gte=since
        )
        .exclude(reversed_by__isnull=False)
        .order_by("-created_at")
        .first()
    )
    if last is not None:
        given = timezone.localtime(last.created_at)
        again = given + dt.timedelta(days=item.repeat_window_days)
        raise ActionError(
            "repeat_window",
            f"“{item.name}” was already given to {profile.first_name} on "
            f"{format_when(given, 'date')}; it can be given again from "
            f"{format_when(again, 'date')}. Nothing was awarded.",
            status=409,
        )


def award_items(
    *,
    practice: Practice,
    profile: Profile,
    items: Sequence[RewardItem],
    actor: Actor,
    description: str = "",
    location: Location | None = None,
    idempotency: LedgerKey | None = None,
) -> list[LedgerEntry]:
    """Give the ticked menu items: one ledger entry each, all or none."""
    if not items:
        raise ActionError("no_items", "Tick at least one reward to give.")
    if any(item.practice_id != practice.pk or not item.active for item in items):
        raise ActionError("unknown_item", "One of those rewards is not on this practice's menu.")
    with transaction.atomic():
        profile, replay = lock_for_award(practice, profile, idempotency)
        if replay:
            return replay
        now = timezone.now()
        entries = []
        for index, item in enumerate(items):
            _check_repeat_window(profile, item, now)
            entries.append(
                post(
                    practice=practice,
                    profile=profile,
                    points=item.points,
                    kind=EntryKind.AWARD,
                    actor=actor,
                    description=description,
                    reward_item=item,
                    location=location,
                    idempotency_key=idempotency.entry_key(index) if idempotency else None,
                    request_hash=idempotency.request_hash if idempotency else None,
                )
            )
            if item.auto_tag is not None:
                add_tag(practice=practice, profile=profile, tag=item.auto_tag, actor=actor)
        record_event(
            practice=practice,
            actor=actor,
            action="points.award",
            profile=profile,
            detail={
                "items": [item.name for item in items],
                "points": sum(item.points for item in items),
                "balance": profile.points_balance,
            },
        )
        return entries


def award_misc(
    *,
    practice: Practice,
    profile: Profile,
    points: int,
    description: str,
    actor: Actor,
    role: str,
    location: Location | None = None,
    idempotency: LedgerKey | None = None,
) -> LedgerEntry | PendingAward:
    """A free amount with a reason. Waits for approval when the practice asks for it,
    unless an owner or admin gives it."""
    if not 1 <= points <= MAX_MISC_POINTS:
        raise ActionError(
            "invalid_points", f"Misc points must be between 1 and {MAX_MISC_POINTS:,}."
        )
    if not description.strip():
        raise ActionError("description_required", "Say why these points are given.")
    return pay_or_hold(
        practice=practice,
        profile=profile,
        kind=RewardKind.MISC,
        points=points,
        description=description,
        actor=actor,
        idempotency=idempotency,
        location=location,
        role=role,
    )


def reverse_entry(
    *, practice: Practice, entry: LedgerEntry, reason: str, actor: Actor
) -> LedgerEntry:
    """Undo an entry with an opposite one. An entry is reversed at most once."""
    if not reason.strip():
        raise ActionError("reason_required", "Say why this entry is reversed.")
    with transaction.atomic():
        profile = lock_profile(practice, entry.profile)
        entry = LedgerEntry.objects.get(pk=entry.pk, practice=practice)
        if entry.kind == EntryKind.REVERSAL:
            raise ActionError("cannot_reverse", "A reversal cannot itself be reversed.", status=409)
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise ActionError("already_reversed", "This entry was already reversed.", status=409)
        if entry.kind in (EntryKind.GIFT_OUT, EntryKind.GIFT_IN):
            raise ActionError(
                "use_gift_back",
                "This entry is one side of a gift between members: to undo it, gift the "
                "points back from the member who received them.",
                status=409,
            )
        if PrizeOrder.objects.filter(redeem_entry=entry).exists():
            raise ActionError(
                "use_cancel_order",
                "This entry paid for a prize order: cancel the order instead, "
                "which gives the points back and restores the stock.",
                status=409,
            )
        reversal = post(
            practice=practice,
            profile=profile,
            points=-entry.points,
            kind=EntryKind.REVERSAL,
            actor=actor,
            description=reason.strip(),
            reward_item=entry.reward_item,
            location=entry.location,
            reverses=entry,
        )
        record_event(
            practice=practice,
            actor=actor,
            action="points.reverse",
            profile=profile,
            detail={"points": -entry.points, "balance": profile.points_balance},
        )
        return reversal
