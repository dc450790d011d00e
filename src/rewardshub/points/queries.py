"""Reading the reward menu, a profile's points history and pending awards, inside one practice."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, Count, Exists, IntegerField, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
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
from rewardshub.statement import Statement

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
    """Newest first; each entry knows its item and whether it was reversed (one query a page).

    By profile alone: the profile was read inside its practice, and its entries
    are that practice's. With the practice in the WHERE clause too, SQLite
    (no planner statistics) walks the practice's (practice, created_at) index
    and reads every entry of every patient until it has a page, and a COUNT
    reads the whole practice's ledger; by profile it reads the profile's
    (profile, -created_at, -id) index only.
    """
    return (
        LedgerEntry.objects.filter(profile=profile)
        .select_related("reward_item")
        .annotate(is_reversed=Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk"))))
        .order_by("-created_at", "-id")
    )


class _CountedPaginator(Paginator):
    """A Paginator told its count, for a page whose rows were read with the total."""

    def __init__(self, total: int, per_page: int) -> None:
        super().__init__([], per_page)
        self._total = total

    @cached_property
    def count(self) -> int:
        return self._total


@dataclass(frozen=True)
class HistoryEntry:
    """A history line as the points panel shows it, read as plain values (a page
    of model instances, with their items, costs more than the rest of the query)."""

    public_id: uuid.UUID
    kind: str
    points: int
    description: str
    actor_label: str
    created_at: dt.datetime
    item_name: str | None
    is_reversed: bool
    # The username of the merged profile whose entry this is, on its survivor's
    # history; "" for the profile's own entries.
    merged_from: str = ""

    def get_kind_display(self) -> str:
        return str(EntryKind(self.kind).label)


_ENTRY_FIELDS = (
    "public_id",
    "kind",
    "points",
    "description",
    "actor_label",
    "created_at",
    "reward_item__name",
    "is_reversed",
)


@dataclass(frozen=True)
class HistoryPage:
    page: Page  # of `entries`
    entries: list[HistoryEntry]
    # Whether the profile has points waiting for approval; None when not read.
    any_waiting: bool | None


MAX_HISTORY_PAGE = 1_000_000


def _entry(row: tuple[Any, ...]) -> HistoryEntry:
    public_id, kind, points, description, actor_label, created_at, item_name, is_reversed = row
    return HistoryEntry(
        public_id, kind, points, description, actor_label, created_at, item_name, bool(is_reversed)
    )


# The number of a profile's entries and whether points wait for approval, as
# subqueries of the history page's own query: QuerySets compiled once (the
# ORM's Subquery and Exists cost about 0.8 ms a page to compile, more than
# the rest of the query; BENCHMARKS.md).
_TOTAL = Statement(
    lambda profile_id: (
        LedgerEntry.objects.filter(profile_id=profile_id)
        .order_by()
        .values("profile_id")
        .annotate(n=Count("*"))
        .values("n")
    ),
    int,
)
_WAITING = Statement(
    lambda profile_id: PendingAward.objects.filter(
        profile_id=profile_id, decision=PendingAward.Decision.PENDING
    ).values("pk")[:1],
    int,
)
_MERGED = Statement(
    lambda profile_id: Profile.objects.filter(merged_into_id=profile_id).values("pk")[:1],
    int,
)


def _page_extras(profile: Profile) -> dict[str, RawSQL]:
    """The total, the waiting check and whether profiles were merged into this one,
    as uncorrelated subqueries (each evaluated once)."""
    total_sql, total_params = _TOTAL.sql(profile.pk)
    waiting_sql, waiting_params = _WAITING.sql(profile.pk)
    merged_sql, merged_params = _MERGED.sql(profile.pk)
    return {
        "total": RawSQL(total_sql, total_params, output_field=IntegerField()),  # noqa: S611
        "any_waiting": RawSQL(  # noqa: S611
            f"EXISTS ({waiting_sql})", waiting_params, output_field=BooleanField()
        ),
        "any_merged": RawSQL(  # noqa: S611
            f"EXISTS ({merged_sql})", merged_params, output_field=BooleanField()
        ),
    }


def _page_rows(profile: Profile, also: list[int] | None = None) -> QuerySet[LedgerEntry]:
    """`history` for reading values: `is_reversed` correlated on the entry table,
    which is the query's base table and so aliased by its own name. With `also`,
    the entries of those profiles too (the profiles merged into this one)."""
    qn = connection.ops.quote_name
    table = qn(LedgerEntry._meta.db_table)
    reverses = qn(LedgerEntry._meta.get_field("reverses").column)
    pk = qn(LedgerEntry._meta.pk.column)
    is_reversed = RawSQL(  # noqa: S611
        f"EXISTS (SELECT 1 FROM {table} AS r WHERE r.{reverses} = {table}.{pk})",  # noqa: S608
        [],
        output_field=BooleanField(),
    )
    found = (
        LedgerEntry.objects.filter(profile_id__in=[profile.pk, *also])
        if also
        else LedgerEntry.objects.filter(profile=profile)  # see `history`
    )
    return (
        found.annotate(is_reversed=is_reversed)
        .order_by("-created_at", "-id")
    )


def merged_usernames(profile: Profile) -> dict[int, str]:
    """The profiles merged into this one (their ids and usernames): their entries
    stay theirs (the ledger is append-only) and are read with the survivor's."""
    return dict(Profile.objects.filter(merged_into=profile).values_list("pk", "username"))


def _merged_history_page(profile: Profile, merged: dict[int, str], wanted: int) -> HistoryPage:
    """`history_page` of a profile others were merged into: its entries and theirs,
    each of theirs marked with the merged profile's username."""
    entries = _page_rows(profile, list(merged))
    total = entries.count()
    size = HISTORY_PAGE_SIZE
    last = max(1, -(-total // size))
    number = min(max(wanted, 1), last)
    bottom = (number - 1) * size
    rows = entries.values_list(*_ENTRY_FIELDS, "profile_id")[bottom : bottom + size]
    read = [replace(_entry(row[:-1]), merged_from=merged.get(row[-1], "")) for row in rows]
    any_waiting = PendingAward.objects.filter(
        profile=profile, decision=PendingAward.Decision.PENDING
    ).exists()
    return HistoryPage(Page(read, number, _CountedPaginator(total, size)), read, any_waiting)


def history_page(profile: Profile, number: object) -> HistoryPage:
    """A page of `history` as Paginator.get_page gives it, usually in one query.

    The page's own query also reads the number of entries and whether points
    wait for approval: no separate COUNT, and no query for pending awards when
    there are none. Only a page past the end (or an empty history) costs a
    COUNT and a second read. The same query says whether profiles were merged
    into this one; only then is the page read again, with their entries.
    """
    size = HISTORY_PAGE_SIZE
    try:
        wanted = int(number)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        wanted = 1
    # A page past any real history (a hand-made ?page=) reads as the last page
    # below, instead of an offset too big for the database (a 500).
    wanted = min(wanted, MAX_HISTORY_PAGE)
    rows: list[tuple[Any, ...]] = []
    if wanted >= 1:
        rows = list(
            _page_rows(profile)
            .annotate(**_page_extras(profile))
            .values_list(*_ENTRY_FIELDS, "total", "any_waiting", "any_merged")[
                (wanted - 1) * size : wanted * size
            ]
        )
    if not rows or rows[0][-1]:
        merged = merged_usernames(profile)
        if merged:
            return _merged_history_page(profile, merged, wanted)
    if rows:
        total, any_waiting, page_number = rows[0][-3], bool(rows[0][-2]), wanted
        rows = [row[:-3] for row in rows]
    else:
        total, any_waiting = LedgerEntry.objects.filter(profile=profile).count(), None
        last = max(1, -(-total // size))
        page_number = wanted if 1 <= wanted <= last else last
        if total and page_number != wanted:
            bottom = (page_number - 1) * size
            rows = list(_page_rows(profile).values_list(*_ENTRY_FIELDS)[bottom : bottom + size])
    entries = [_entry(row) for row in rows]
    paginator = _CountedPaginator(total, size)
    return HistoryPage(Page(entries, page_number, paginator), entries, any_waiting)


# The points panel's menu, on every profile page and chart tab: compiled once.
def _menu(practice_id: int) -> QuerySet[RewardItem]:
    return (
        RewardItem.objects.filter(practice_id=practice_id, active=True)
        .select_related("category")
        .order_by("category__position", "category__name", "category_id", "position", "name")
    )


_MENU = Statement(_menu, int, kind="models")


def menu_items(practice: Practice) -> list[RewardItem]:
    """`active_items` as the points panel shows them (no auto tag)."""
    items: list[RewardItem] = _MENU.rows(practice.pk)
    return items


def pending_for(profile: Profile) -> list[PendingAward]:
    return list(
        PendingAward.objects.filter(
            profile_id=profile.pk, decision=PendingAward.Decision.PENDING
        ).order_by("created_at")
    )


NOT_REVERSIBLE = (
    EntryKind.REVERSAL,
    EntryKind.REDEEM,
    EntryKind.GIFT_OUT,
    EntryKind.GIFT_IN,
    EntryKind.MERGE_OUT,
    EntryKind.MERGE_IN,
)


def can_reverse(entry: LedgerEntry | HistoryEntry) -> bool:
    # Redeems are undone by cancelling their order (which also restores stock),
    # gifts by a gift back (reversing one side would make or lose points); a
    # merge's pair by nothing: the merge is final.
    return entry.kind not in NOT_REVERSIBLE and not getattr(entry, "is_reversed", False)


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
