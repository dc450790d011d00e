"""The reads of one appointment write, compiled once (rewardshub.for_ids.ForIds),
give the rows the ORM gives for the same ids, read for read: the locked
profile, its excluded tags, first card, appointments, automatic awards, the
entries staff reversed, and the stored appointments and new ids of
book.py. The ORM path (more than one id) is what a batch reads."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.conftest import SYSTEM

from rewardshub.automations import book as book_module
from rewardshub.automations import state
from rewardshub.automations.models import Appointment, AutoAward, AutoRule
from rewardshub.backends.postgresql.lookups import MANY
from rewardshub.cards.models import Card, CardState
from rewardshub.for_ids import ForIds
from rewardshub.patients.models import Profile
from rewardshub.points.actions import reverse_entry
from rewardshub.practices.models import Practice

from .conftest import Book
from .test_appointment_api import ok, on_hold

pytestmark = pytest.mark.django_db


def fields(row: Any) -> Any:
    if isinstance(row, tuple):
        return row
    return {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields}


Reads = list[tuple[ForIds, tuple[Any, ...], Any]]


def _one_write(acworth: Practice, emma: Profile, book: Book) -> Reads:
    """A write of each kind the reads see, and (read, its arguments, emma's id) for each."""
    ok(book.put("A1", "completed", arrived_at=book.at(-2), completed_at=book.at(30)), 201)
    ok(book.put("A2", "confirmed"), 201)
    paid = AutoAward.objects.filter(profile=emma, entry__isnull=False).first()
    assert paid is not None and paid.entry is not None
    reverse_entry(practice=acworth, entry=paid.entry, reason="Given by mistake", actor=SYSTEM)
    on_hold(acworth, emma)
    Card.objects.filter(number=emma.username).update(
        profile=emma, state=CardState.ACTIVE, activated_at=timezone.now()
    )
    return [
        (state._LOCKED, (acworth.pk,), emma.pk),
        (state._EXCLUDED, (acworth.pk,), emma.pk),
        (state._FIRST_CARDS, (acworth.pk,), emma.pk),
        (state._APPOINTMENTS, (acworth.pk,), emma.pk),
        (state._AWARDS, (acworth.pk,), emma.pk),
        (book_module._STORED, (acworth.pk, "orthotrac"), "A1"),
    ]


def test_each_read_of_one_write_gives_the_orms_rows(
    acworth: Practice,
    riverside: Practice,
    rules: dict[str, AutoRule],
    emma: Profile,
    book: Book,
) -> None:
    reads = _one_write(acworth, emma, book)
    with transaction.atomic():
        for read, args, one in reads:
            cached = read.rows(*args, ids=[one])
            orm = list(read.build(*args, [one]))
            assert cached, read.build.__name__
            assert [fields(r) for r in cached] == [fields(r) for r in orm], read.build.__name__
    assert state._LOCKED.rows(riverside.pk, ids=[emma.pk]) == []
    assert book_module._STORED.rows(riverside.pk, "orthotrac", ids=["A1"]) == []
    assert Appointment.objects.filter(profile=emma).count() == 2


def test_each_read_of_a_batch_gives_the_orms_rows(
    acworth: Practice,
    riverside: Practice,
    rules: dict[str, AutoRule],
    emma: Profile,
    book: Book,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # More ids than lookups.MANY: on PostgreSQL one statement compiled once,
    # the ids sent as one array, never built by the ORM again; on SQLite the
    # ORM's IN list.
    reads = _one_write(acworth, emma, book)
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        for read, args, one in reads:
            others = [f"NONE{i}" if isinstance(one, str) else -i for i in range(1, MANY + 2)]
            ids = [*others[:30], one, *others[30:]]
            orm = list(read.build(*args, ids))
            if postgres:
                monkeypatch.setattr(read, "build", None)  # the ORM's path would fail
            with CaptureQueriesContext(connection) as queries:
                batch = read.rows(*args, ids=ids)
            monkeypatch.undo()
            assert batch, read.build.__name__
            assert [fields(r) for r in batch] == [fields(r) for r in orm], read.build.__name__
            assert len(queries) == 1
            assert ("= ANY(" in queries[0]["sql"]) == postgres
        assert state._LOCKED.rows(riverside.pk, ids=list(range(1, MANY + 2))) == []


def test_load_states_reads_one_profile_as_it_reads_several(
    acworth: Practice, rules: dict[str, AutoRule], emma: Profile, book: Book, make_profile: Any
) -> None:
    ok(book.put("A1", "completed", arrived_at=book.at(-2), completed_at=book.at(30)), 201)
    other = make_profile(acworth, first="Zoe")
    practice_rules = state.practice_rules(acworth)
    with transaction.atomic():
        one = state.load_states(practice_rules, [emma.pk])[emma.pk]
        both = state.load_states(practice_rules, [emma.pk, other.pk])[emma.pk]
    assert fields(one.profile) == fields(both.profile)
    assert (one.excluded, one.payable_from) == (both.excluded, both.payable_from)
    assert [fields(a) for a in one.appointments.values()] == [
        fields(a) for a in both.appointments.values()
    ] != []
    assert [fields(a) for a in one.awards] == [fields(a) for a in both.awards] != []
    assert one.reversed_by_staff == both.reversed_by_staff
    assert isinstance(one.profile, Profile)
