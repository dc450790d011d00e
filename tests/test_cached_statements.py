"""Statements compiled once from QuerySets (statement.Statement) give the plain ORM's rows.

Each cached statement of the ledger, the audit chain and the history page is
run on the same data as the QuerySet it was built from, and must give the
same rows, field for field (what comes back is what the ORM would give: UUIDs,
times, JSON, booleans converted alike on both databases).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, Exists, F, IntegerField, Subquery
from django.forms.models import model_to_dict
from tests.conftest import SYSTEM

from rewardshub.audit import chain, link_sql
from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import AuditChainHead, AuditEvent
from rewardshub.patients.models import Profile
from rewardshub.points import ledger, orders, queries, rewards
from rewardshub.points.actions import award_misc
from rewardshub.points.models import LedgerEntry, PendingAward, Prize, RewardKind
from rewardshub.practices.models import Practice
from rewardshub.statement import Statement

ACTOR = Actor(kind="staff", label="frontdesk", source_ip="2001:db8::1")


def fields(instance: Any) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    return make_profile(acworth, email="emma@example.com", birth_date="2011-04-05")


class TestStatement:
    def test_it_gives_what_values_list_gives(self, acworth: Practice, emma: Profile) -> None:
        statement = Statement(
            lambda pk: Profile.objects.filter(pk=pk).values_list(
                "public_id", "birth_date", "created_at", "username", "points_balance"
            ),
            int,
        )
        orm = list(
            Profile.objects.filter(pk=emma.pk).values_list(
                "public_id", "birth_date", "created_at", "username", "points_balance"
            )
        )
        assert statement.rows(emma.pk) == orm
        assert statement.rows(emma.pk + 1000) == []

    def test_it_compiles_once_and_binds_each_call(
        self, acworth: Practice, riverside: Practice, emma: Profile
    ) -> None:
        statement = Statement(
            lambda practice_id, name: Profile.objects.filter(
                practice_id=practice_id, first_name=name
            ),
            int,
            str,
            kind="models",
        )
        assert [p.pk for p in statement.rows(acworth.pk, "Emma")] == [emma.pk]
        sql = statement.compiled("default").sql
        assert statement.rows(riverside.pk, "Emma") == []
        assert statement.rows(acworth.pk, "Noah") == []
        assert statement.compiled("default").sql is sql

    def test_it_refuses_an_argument_the_queryset_does_not_use(self, acworth: Practice) -> None:
        statement = Statement(lambda pk, unused: Profile.objects.filter(pk=pk), int, int)
        with pytest.raises(AssertionError, match=r"arguments \[1\]"):
            statement.rows(1, 2)

    def test_an_update_changes_what_queryset_update_changes(
        self, acworth: Practice, emma: Profile
    ) -> None:
        statement = Statement(
            lambda pk, points: Profile.objects.filter(pk=pk),
            int,
            int,
            kind="update",
            update=lambda pk, points: {"points_balance": F("points_balance") + points},
        )
        assert statement.run(emma.pk, 7) == 1
        assert statement.run(emma.pk + 1000, 7) == 0
        Profile.objects.filter(pk=emma.pk).update(points_balance=F("points_balance") + 5)
        emma.refresh_from_db()
        assert emma.points_balance == 12


class TestLedgerStatements:
    def test_the_lock_reads_the_profile_as_the_orm_does(
        self, acworth: Practice, riverside: Practice, emma: Profile
    ) -> None:
        with transaction.atomic():
            locked = ledger.lock_profile(acworth, emma)
            orm = Profile.objects.select_for_update().get(pk=emma.pk, practice=acworth)
        assert fields(locked) == fields(orm)
        assert model_to_dict(locked) == model_to_dict(orm)
        assert locked._state.adding is False and locked._state.db == "default"
        with transaction.atomic(), pytest.raises(Profile.DoesNotExist):
            ledger.lock_profile(riverside, emma)

    def test_the_lock_for_an_award_says_whether_the_key_was_used(
        self, acworth: Practice, emma: Profile
    ) -> None:
        key = ledger.LedgerKey("k-1", "hash-1")
        with transaction.atomic():
            locked, replay = ledger.lock_for_award(acworth, emma, key)
        assert replay == [] and locked.replayed is False
        assert fields(locked) == fields(Profile.objects.get(pk=emma.pk))
        entry = award_misc(
            practice=acworth,
            profile=emma,
            points=4,
            description="x",
            actor=SYSTEM,
            role="owner",
            idempotency=key,
        )
        assert isinstance(entry, LedgerEntry)
        with transaction.atomic():
            locked, replay = ledger.lock_for_award(acworth, emma, key)
            orm_replay = ledger.replayed_entries(acworth, emma, key)
        assert locked.replayed is True
        assert [fields(e) for e in replay] == [fields(e) for e in orm_replay] != []
        assert fields(locked) == fields(Profile.objects.get(pk=emma.pk))

    def test_the_balance_moves_as_an_orm_update_moves_it(
        self, acworth: Practice, riverside: Practice, emma: Profile
    ) -> None:
        assert ledger._MOVE_BALANCE.run(emma.pk, acworth.pk, 9) == 1
        assert ledger._MOVE_BALANCE.run(emma.pk, riverside.pk, 9) == 0
        emma.refresh_from_db()
        assert emma.points_balance == 9
        Profile.objects.filter(pk=emma.pk, practice_id=acworth.pk).update(
            points_balance=F("points_balance") - 4
        )
        emma.refresh_from_db()
        assert emma.points_balance == 5


class TestOrderAndRuleStatements:
    def test_the_prize_lock_reads_the_prize_as_the_orm_does(
        self, acworth: Practice, riverside: Practice
    ) -> None:
        prize = Prize.objects.create(practice=acworth, name="Yo-yo", cost=30, stock=4)
        with transaction.atomic():
            locked = orders._PRIZE.first(prize.pk, acworth.pk)
            orm = Prize.objects.select_for_update().get(pk=prize.pk, practice=acworth)
            assert orders._PRIZE.first(prize.pk, riverside.pk) is None
        assert fields(locked) == fields(orm)
        assert locked._state.adding is False and locked._state.db == "default"

    def test_a_pms_calls_practice_reads_the_approval_rule_from_the_database(
        self, acworth: Practice
    ) -> None:
        # A PMS call's practice is a reference by id (integrations.keys.find_key).
        reference = Practice.objects.only("pk").get(pk=acworth.pk)
        assert rewards.holds(reference, RewardKind.MISC, "rewards") is False
        Practice.objects.filter(pk=acworth.pk).update(misc_requires_approval=True)
        reference = Practice.objects.only("pk").get(pk=acworth.pk)
        assert rewards.holds(reference, RewardKind.MISC, "rewards") is True
        assert rewards.holds(reference, RewardKind.MISC, "owner") is False
        # A practice loaded whole answers from what it holds.
        loaded = Practice.objects.get(pk=acworth.pk)
        Practice.objects.filter(pk=acworth.pk).update(misc_requires_approval=False)
        assert rewards.holds(loaded, RewardKind.MISC, "rewards") is True

    def test_a_reference_reads_each_setting_once_as_the_orm_reads_it(
        self, acworth: Practice, riverside: Practice
    ) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from rewardshub.practices import reads

        Practice.objects.filter(pk=acworth.pk).update(time_zone="America/Chicago")
        for name in ("time_zone", "misc_requires_approval", "name"):
            assert reads._read(name).rows(acworth.pk) == list(
                Practice.objects.filter(pk=acworth.pk).values_list(name)
            )
        reference = Practice.objects.only("pk").get(pk=acworth.pk)
        with CaptureQueriesContext(connection) as captured:
            assert str(reads.practice_zone(reference)) == "America/Chicago"
            assert reads.practice_zone(reference) == reads.practice_zone(reference)
        assert len(captured.captured_queries) == 1  # kept on the instance
        gone = Practice.objects.only("pk").get(pk=riverside.pk)
        gone.pk = riverside.pk + 1000
        with pytest.raises(Practice.DoesNotExist):
            reads.setting(gone, "time_zone")


class TestChainStatements:
    """The sealer's statements, on events left unsealed (the test's transaction never commits)."""

    def test_the_pending_read_gives_what_the_queryset_gives(
        self, acworth: Practice, riverside: Practice
    ) -> None:
        record_event(practice=acworth, actor=ACTOR, action="x", detail={"n": 1, "t": "é"})
        record_event(practice=None, actor=ACTOR, action="y", detail={})
        names = ("id", *chain._PENDING_NAMES)
        for key, statement, args, orm in (
            (acworth.pk, chain._pending(3, False), (acworth.pk,), {"practice_id": acworth.pk}),
            (riverside.pk, chain._pending(3, False), (riverside.pk,), {"practice": riverside}),
            (0, chain._pending(3, True), (), {"practice__isnull": True}),
        ):
            expected = list(
                AuditEvent.objects.filter(seq__isnull=True, **orm)
                .order_by("id")
                .values_list(*names)[:3]
            )
            assert expected, key
            assert statement.rows(*args) == expected

    def test_the_head_lock_reads_the_head_as_the_orm_does(
        self, acworth: Practice, riverside: Practice
    ) -> None:
        chain.seal([acworth.pk, riverside.pk])
        with transaction.atomic():
            for practice in (acworth, riverside):
                head = link_sql.HEAD.first(practice.pk)
                orm = AuditChainHead.objects.select_for_update().get(chain=practice.pk)
                assert fields(head) == fields(orm) and head.last_seq > 0
            assert link_sql.HEAD.first(riverside.pk + acworth.pk + 1) is None
        # Whether a head exists, as the ORM's exists() says.
        for key in (acworth.pk, riverside.pk, riverside.pk + acworth.pk + 1):
            found = link_sql.HEAD_EXISTS.first(key) is not None
            assert found == AuditChainHead.objects.filter(chain=key).exists()
        assert link_sql.HEAD_EXISTS.first(acworth.pk) is not None

    def test_linking_writes_each_events_link(self, acworth: Practice) -> None:
        events = [record_event(practice=acworth, actor=ACTOR, action=f"l{i}") for i in range(3)]
        links = [
            (100 + i, f"{i:064x}", f"{i + 1:064x}", event.pk) for i, event in enumerate(events)
        ]
        AuditChainHead.objects.get_or_create(chain=acworth.pk)
        link_sql.link("default", acworth.pk, links)
        stored = AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("id")
        assert [(e.seq, e.prev_hash, e.hash, e.pk) for e in stored] == links
        others = AuditEvent.objects.exclude(pk__in=[e.pk for e in events])
        assert not others.filter(seq__isnull=False).exists()
        # The head moved to the last link, and no other chain's head.
        head = AuditChainHead.objects.get(chain=acworth.pk)
        assert (head.last_seq, head.last_hash) == (102, f"{3:064x}")
        assert not AuditChainHead.objects.exclude(chain=acworth.pk).filter(last_seq=102).exists()

    def test_linking_one_event_uses_the_same_statement_on_sqlite(self, acworth: Practice) -> None:
        event = record_event(practice=acworth, actor=ACTOR, action="one")
        link_sql.LINK.run_many([(7, "", "a" * 64, event.pk)])
        stored = AuditEvent.objects.get(pk=event.pk)
        assert (stored.seq, stored.prev_hash, stored.hash) == (7, "", "a" * 64)


def _orm_extras(profile: Profile) -> dict[str, Any]:
    """The history page's total and waiting check as plain ORM subqueries."""
    count = (
        LedgerEntry.objects.filter(profile=profile)
        .order_by()
        .values("profile")
        .annotate(n=Count("*"))
        .values("n")
    )
    waiting = PendingAward.objects.filter(profile=profile, decision=PendingAward.Decision.PENDING)
    return {"total": Subquery(count, output_field=IntegerField()), "any_waiting": Exists(waiting)}


class TestHistoryStatements:
    def page(self, profile: Profile, extras: dict[str, Any]) -> list[tuple[Any, ...]]:
        return list(
            queries._page_rows(profile)
            .annotate(**extras)
            .values_list(*queries._ENTRY_FIELDS, "total", "any_waiting")[:20]
        )

    def test_the_page_reads_what_orm_subqueries_read(
        self, acworth: Practice, emma: Profile, make_profile: Callable[..., Profile]
    ) -> None:
        noah = make_profile(acworth, first="Noah")
        for points in (3, 5, 8):
            award_misc(
                practice=acworth,
                profile=emma,
                points=points,
                description="x",
                actor=SYSTEM,
                role="owner",
            )
        award_misc(
            practice=acworth, profile=noah, points=2, description="y", actor=SYSTEM, role="owner"
        )
        PendingAward.objects.create(
            practice=acworth, profile=noah, points=7, description="z", requested_by_label="x"
        )
        for profile, waiting in ((emma, False), (noah, True)):
            rows = self.page(profile, queries._page_extras(profile))
            assert rows == self.page(profile, _orm_extras(profile))
            assert rows and bool(rows[0][-1]) is waiting
            assert rows[0][-2] == LedgerEntry.objects.filter(profile=profile).count()


class TestPageStatements:
    """The profile page's reads compiled once: the sync health banner's and the
    chart links' (the appointments panel's is in tests/automations)."""

    def test_the_sync_watch_read_gives_the_querysets_row(
        self, acworth: Practice, riverside: Practice
    ) -> None:
        from tests.integrations.conftest import make_key

        from rewardshub.integrations import health
        from rewardshub.integrations.models import SyncWatch

        assert health._WATCH.rows(acworth.pk) == []
        SyncWatch.objects.create(practice=acworth, silence_minutes=30)
        make_key(acworth)
        cached = health._WATCH.rows(acworth.pk)
        orm = list(health._watch(acworth.pk))
        assert len(cached) == 1 and cached[0].since is not None
        names = ("since", "system", "last_call")
        assert [(fields(w), [getattr(w, n) for n in names]) for w in cached] == [
            (fields(w), [getattr(w, n) for n in names]) for w in orm
        ]
        assert health._WATCH.rows(riverside.pk) == []

    def test_the_chart_links_read_gives_the_querysets_rows(
        self,
        acworth: Practice,
        riverside: Practice,
        issue_cards: Callable[[Practice, int], list[str]],
    ) -> None:
        from django.test import Client
        from tests.integrations.conftest import EMMA, Api, make_key

        from rewardshub.integrations import queries as integration_queries
        from rewardshub.integrations.models import PmsLink

        api = Api(Client(), make_key(acworth)[1])
        assert api.set_card("C-1", issue_cards(acworth, 1)[0], **EMMA).status_code == 200
        assert api.update("C-1", first_name="Emmy").status_code == 200
        profile_id = PmsLink.objects.get(practice=acworth, chart_id="C-1").profile_id
        cached = integration_queries._LINKS.rows(acworth.pk, profile_id)
        orm = list(integration_queries._links(acworth.pk, profile_id))
        names = ("last_event_at", "last_event_action", "last_event_outcome")
        assert len(cached) == 1 and cached[0].last_event_at is not None
        assert [(fields(k), [getattr(k, n) for n in names]) for k in cached] == [
            (fields(k), [getattr(k, n) for n in names]) for k in orm
        ]
        assert integration_queries._LINKS.rows(riverside.pk, profile_id) == []

    def test_the_memberships_menu_and_recent_activity_reads_give_the_querysets_rows(
        self, acworth: Practice, riverside: Practice, make_profile: Callable[..., Profile]
    ) -> None:
        from django.contrib.auth import get_user_model

        from rewardshub.audit import queries as audit_queries
        from rewardshub.points.models import RewardCategory, RewardItem
        from rewardshub.practices import context
        from rewardshub.practices.actions import add_staff

        for practice, role in ((acworth, "owner"), (riverside, "admin")):
            add_staff(practice=practice, username="both", password=None, role=role,
                      actor=ACTOR)
        user = get_user_model().objects.get(username="both")
        sweets = RewardCategory.objects.create(practice=acworth, name="Sweets", position=2)
        RewardItem.objects.create(practice=acworth, category=sweets, name="Lolly", points=2)
        visits = RewardCategory.objects.create(practice=acworth, name="Visits", position=1)
        RewardItem.objects.create(practice=acworth, category=visits, name="On time", points=3)
        RewardItem.objects.create(practice=acworth, category=visits, name="Old", points=3,
                                  active=False)
        # An id that is no practice's, so arguments bound in the wrong place show.
        emma = [make_profile(acworth, first=f"P{n}") for n in range(3)][-1]
        assert emma.pk not in (acworth.pk, riverside.pk)
        for n in range(12):
            record_event(practice=acworth, actor=ACTOR, action="profile.update", profile=emma,
                         detail={"n": n})
        record_event(practice=acworth, actor=ACTOR, action="profile.view", profile=emma)
        cases = [
            (context._MEMBERSHIPS, context._memberships, (user.pk,), "practice"),
            (queries._MENU, queries._menu, (acworth.pk,), "category"),
            (audit_queries._RECENT, audit_queries._recent, (acworth.pk, emma.pk), None),
        ]
        for statement, queryset, args, related in cases:
            cached, orm = statement.rows(*args), list(queryset(*args))
            assert len(cached) >= 2
            assert [fields(row) for row in cached] == [fields(row) for row in orm]
            if related:
                assert [fields(getattr(row, related)) if getattr(row, related) else None
                        for row in cached] == [
                    fields(getattr(row, related)) if getattr(row, related) else None
                    for row in orm
                ]
        assert len(audit_queries._RECENT.rows(acworth.pk, emma.pk)) == audit_queries.RECENT
        assert audit_queries._RECENT.rows(riverside.pk, emma.pk) == []
        assert queries._MENU.rows(riverside.pk) == []
