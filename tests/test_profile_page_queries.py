"""The staff profile page and the PMS chart tab read a heavy patient in a fixed number of queries.

Benchmark scenario 6 (a patient with 5,000 ledger entries) allows at most 20
queries for the profile page. The count must not grow with the patient's
ledger, tags or the practice's reward menu. Counted: everything the request
runs, the audit row of the PHI read included. Not counted: linking that row
into the practice's audit chain, which runs as the request's transaction
commits (tests/test_audit_chain.py covers it); each test here runs inside a
transaction that is rolled back, so it never commits.

The heavy patient's page makes 15 queries: 11, one for the PMS link box
(chart links with their latest Sync log entry) and three for the appointments
panel (the next visit, the last few, their awards), run for every profile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rewardshub.audit.actors import Actor
from rewardshub.audit.models import AuditEvent
from rewardshub.cards.actions import connect_card, replace_card
from rewardshub.integrations.models import LaunchView, PmsLink, SyncEvent, SyncOutcome
from rewardshub.patients.actions import add_tag
from rewardshub.patients.models import Profile, Tag, TagGroup, TagGroupKind
from rewardshub.points.models import (
    EntryKind,
    LedgerEntry,
    PendingAward,
    RewardCategory,
    RewardItem,
)
from rewardshub.portal.models import PortalAccount
from rewardshub.practices.context import SESSION_LAUNCH
from rewardshub.practices.models import Practice

SYSTEM = Actor.system("tests")
MAX_QUERIES = 20


def add_custom_tags(practice: Practice, profile: Profile, groups: int, per_group: int) -> None:
    """`groups` custom tag groups of `per_group` tags; the profile gets every other tag."""
    start = TagGroup.objects.filter(practice=practice).count()
    for g in range(groups):
        group = TagGroup.objects.create(
            practice=practice, name=f"Group {start + g}", kind=TagGroupKind.CUSTOM, position=10 + g
        )
        for t in range(per_group):
            tag = Tag.objects.create(
                practice=practice, group=group, name=f"Tag {start + g}-{t}", position=t
            )
            if t % 2 == 0:
                add_tag(practice=practice, profile=profile, tag=tag, actor=SYSTEM)


def add_menu(practice: Practice, categories: int, per_category: int) -> list[RewardItem]:
    start = RewardCategory.objects.filter(practice=practice).count()
    items = []
    for c in range(start, start + categories):
        category = RewardCategory.objects.create(practice=practice, name=f"Category {c}")
        for i in range(per_category):
            items.append(
                RewardItem.objects.create(
                    practice=practice, category=category, name=f"Item {c}-{i}", points=i + 1
                )
            )
    return items


def add_entries(profile: Profile, count: int, items: list[RewardItem]) -> None:
    """`count` ledger entries, some for menu items and some reversed (as bench/data.py does)."""
    rows = [
        LedgerEntry(
            practice_id=profile.practice_id,
            profile=profile,
            points=5,
            kind=EntryKind.AWARD if n % 3 else EntryKind.ADJUST,
            reward_item=items[n % len(items)] if n % 3 else None,
            description=f"entry {n}",
            actor_kind="system",
            actor_label="tests",
        )
        for n in range(count)
    ]
    made = LedgerEntry.objects.bulk_create(rows)
    reversals = [
        LedgerEntry(
            practice_id=profile.practice_id,
            profile=profile,
            points=-5,
            kind=EntryKind.REVERSAL,
            reward_item=entry.reward_item,
            reverses=entry,
            description="mistake",
            actor_kind="system",
            actor_label="tests",
        )
        for entry in made[-40::4]
    ]
    LedgerEntry.objects.bulk_create(reversals)
    total = LedgerEntry.objects.filter(profile=profile).count()
    Profile.objects.filter(pk=profile.pk).update(points_balance=5 * (total - 2 * len(reversals)))


@pytest.fixture
def heavy(
    acworth: Practice,
    make_profile: Callable[..., Profile],
    issue_cards: Callable[[Practice, int], list[str]],
) -> Profile:
    """A patient with cards (one retired), status and location tags, many custom tags,
    a portal account, points waiting for approval and a menu to award from."""
    first, second = issue_cards(acworth, 2)
    profile = make_profile(acworth, tags=("*Orthodontic Patient", "*Acworth"))
    connect_card(practice=acworth, profile=profile, raw=first, actor=SYSTEM)
    replace_card(practice=acworth, profile=profile, raw=second, actor=SYSTEM)
    add_custom_tags(acworth, profile, groups=3, per_group=6)
    PortalAccount.objects.create(profile=profile, practice=acworth, email="emma@example.com")
    PendingAward.objects.create(
        practice=acworth, profile=profile, points=7, description="Helped", requested_by_label="x"
    )
    add_menu(acworth, categories=2, per_category=4)
    return profile


def queries_of(client: Client, path: str) -> list[dict[str, Any]]:
    """The queries of one GET, after a first one (the session's once-a-minute touch)."""
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return captured.captured_queries


def profile_path(profile: Profile) -> str:
    return reverse("patients:detail", kwargs={"public_id": profile.public_id})


def chart_path(profile: Profile) -> str:
    return reverse("integrations:chart", kwargs={"public_id": profile.public_id})


@pytest.fixture
def chart_client(acworth: Practice) -> Client:
    """A session opened by a PMS launch link for the chart tab."""
    client = Client()
    session = client.session
    session[SESSION_LAUNCH] = {
        "practice_id": acworth.pk,
        "actor": "FRONTDESK via Orthotrac",
        "system": "orthotrac",
        "key_id": None,
        "view": LaunchView.CHART,
        "frame_ancestors": "",
    }
    session.save()
    return client


def _sql(captured: list[dict[str, Any]]) -> str:
    return "\n".join(q["sql"] for q in captured)


class TestProfilePage:
    def test_it_reads_a_heavy_patient_in_at_most_twenty_queries(
        self, frontdesk_client: Client, heavy: Profile
    ) -> None:
        add_entries(heavy, 500, list(RewardItem.objects.filter(practice=heavy.practice)))

        captured = queries_of(frontdesk_client, profile_path(heavy))

        assert len(captured) <= MAX_QUERIES, _sql(captured)

    def test_it_makes_as_many_queries_for_500_ledger_entries_as_for_50(
        self, frontdesk_client: Client, heavy: Profile
    ) -> None:
        items = list(RewardItem.objects.filter(practice=heavy.practice))
        path = profile_path(heavy)
        add_entries(heavy, 50, items)
        few = queries_of(frontdesk_client, path)

        add_entries(heavy, 450, items)
        many = queries_of(frontdesk_client, path)
        deep = queries_of(frontdesk_client, path + "?page=20")

        assert len(many) == len(few), _sql(many)
        assert len(deep) == len(few), _sql(deep)

    def test_it_makes_as_many_queries_for_many_tags_and_menu_items_as_for_few(
        self, frontdesk_client: Client, heavy: Profile
    ) -> None:
        practice = heavy.practice
        add_entries(heavy, 50, list(RewardItem.objects.filter(practice=practice)))
        path = profile_path(heavy)
        few = queries_of(frontdesk_client, path)

        add_custom_tags(practice, heavy, groups=4, per_group=10)
        add_menu(practice, categories=3, per_category=10)
        many = queries_of(frontdesk_client, path)

        assert len(many) == len(few), _sql(many)

    def test_a_linked_chart_and_its_sync_log_cost_no_query_per_link_or_event(
        self, frontdesk_client: Client, heavy: Profile
    ) -> None:
        # The PMS link box is one query (links with their chart's latest Sync log
        # entry as subqueries), run for linked and unlinked profiles alike.
        practice = heavy.practice
        path = profile_path(heavy)
        unlinked = queries_of(frontdesk_client, path)

        for system, chart in (("orthotrac", "OT-1"), ("dolphin", "D-1")):
            PmsLink.objects.create(
                practice=practice,
                system=system,
                chart_id=chart,
                profile=heavy,
                last_synced_at=timezone.now(),
            )
            for outcome in (SyncOutcome.UPDATED, SyncOutcome.ERROR, SyncOutcome.UNCHANGED):
                SyncEvent.objects.create(
                    practice=practice,
                    system=system,
                    chart_id=chart,
                    profile=heavy,
                    action="update",
                    outcome=outcome,
                )
        linked = queries_of(frontdesk_client, path)

        assert len(linked) == len(unlinked), _sql(linked)
        assert len(linked) <= MAX_QUERIES, _sql(linked)
        assert "integrations_pmslink" in _sql(linked)

    def test_it_still_audits_every_read(self, frontdesk_client: Client, heavy: Profile) -> None:
        path = profile_path(heavy)
        views = AuditEvent.objects.filter(profile=heavy, action="profile.view")
        before = views.count()

        queries_of(frontdesk_client, path)

        assert views.count() == before + 2


class TestChartTab:
    def test_it_reads_a_heavy_patient_in_a_fixed_number_of_queries(
        self, chart_client: Client, heavy: Profile
    ) -> None:
        items = list(RewardItem.objects.filter(practice=heavy.practice))
        path = chart_path(heavy)
        add_entries(heavy, 50, items)
        few = queries_of(chart_client, path)

        add_entries(heavy, 450, items)
        add_custom_tags(heavy.practice, heavy, groups=2, per_group=10)
        many = queries_of(chart_client, path)

        assert len(few) <= MAX_QUERIES, _sql(few)
        assert len(many) == len(few), _sql(many)
