"""Reading the reward menu, a profile's points history and pending awards, inside one practice."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from rewardshub.patients.models import Profile
from rewardshub.points.models import (
    EntryKind,
    LedgerEntry,
    PendingAward,
    RewardCategory,
    RewardItem,
)
from rewardshub.practices.models import Practice

HISTORY_PAGE_SIZE = 20


@dataclass(frozen=True)
class MenuGroup:
    category: RewardCategory
    items: list[RewardItem]


def active_items(practice: Practice) -> list[RewardItem]:
    return list(
        RewardItem.objects.filter(practice=practice, active=True)
        .select_related("category", "auto_tag")
        .order_by("category__position", "category__name", "category_id", "position", "name")
    )


def menu_groups(items: list[RewardItem]) -> list[MenuGroup]:
    """The active items grouped by category, in menu order (no query of its own)."""
    groups: list[MenuGroup] = []
    for item in items:
        if not groups or groups[-1].category.pk != item.category_id:
            groups.append(MenuGroup(item.category, []))
        groups[-1].items.append(item)
    return groups


def history(profile: Profile) -> QuerySet[LedgerEntry]:
    """Newest first; each entry knows its item and whether it was reversed (one query a page)."""
    return (
        LedgerEntry.objects.filter(practice_id=profile.practice_id, profile=profile)
        .select_related("reward_item")
        .annotate(is_reversed=Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk"))))
        .order_by("-created_at", "-id")
    )


def can_reverse(entry: LedgerEntry) -> bool:
    # Redeems are undone by cancelling their order (which also restores stock).
    return entry.kind not in (EntryKind.REVERSAL, EntryKind.REDEEM) and not getattr(
        entry, "is_reversed", False
    )


def get_entry(practice: Practice, public_id: object) -> LedgerEntry:
    return get_object_or_404(
        LedgerEntry.objects.select_related("profile"), practice=practice, public_id=public_id
    )


def pending_awards(practice: Practice) -> QuerySet[PendingAward]:
    return PendingAward.objects.filter(
        practice=practice, decision=PendingAward.Decision.PENDING
    ).select_related("profile")


def get_pending(practice: Practice, public_id: object) -> PendingAward:
    return get_object_or_404(
        PendingAward.objects.select_related("profile"), practice=practice, public_id=public_id
    )
