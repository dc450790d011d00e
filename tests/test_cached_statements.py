"""Statements compiled once from QuerySets (fastsql.Statement) give the plain ORM's rows.

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
from django.db.models import F
from django.forms.models import model_to_dict
from tests.conftest import SYSTEM

from rewardshub.fastsql import Statement
from rewardshub.patients.models import Profile
from rewardshub.points import ledger
from rewardshub.points.actions import award_misc
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice


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
