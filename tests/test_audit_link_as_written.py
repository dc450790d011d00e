"""A call's audit events linked in their own INSERT (chain.link_as_written).

EventRows writes a call's events (one, or a batch's thousands) in one
statement. When the chain's head is free they are inserted already linked,
so no UPDATE follows; when another holds it, or linking fails, they are
written pending and sealed as any other event. Sealing in general: test_audit_chain.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.race import paused_in

from rewardshub.audit import chain as chain_module
from rewardshub.audit.actions import AFTER_ANSWER, EventRows, record_event
from rewardshub.audit.actors import Actor
from rewardshub.audit.chain import seal_all
from rewardshub.audit.keys import ring
from rewardshub.audit.models import AuditChainHead, AuditEvent
from rewardshub.audit.verify import verify_all
from rewardshub.practices.actions import create_practice
from rewardshub.practices.models import Practice

ACTOR = Actor(kind="pms", label="Orthotrac (FRONTDESK)", source_ip="2001:0db8::0001")


def large_write(practice: Practice, action: str, count: int = AFTER_ANSWER) -> None:
    rows = EventRows(practice_id=practice.pk, actor=ACTOR, created_at=timezone.now())
    for i in range(count):
        rows.add(None, action, "ok", {"n": i, 7: "integer key", "chart": f"C{i}"})
    rows.write()


def intact() -> bool:
    """Every chain whole: no broken link, no bad signature, nothing unsealed."""
    return all(not r.problems and not r.unsealed for r in verify_all(ring()))


def pending(practice: Practice) -> int:
    return AuditEvent.objects.filter(practice=practice, seq__isnull=True).count()


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, AFTER_ANSWER])
def test_a_write_is_linked_in_its_own_insert(count: int) -> None:
    practice = create_practice(name="Linked", slug="linked", actor=Actor.system("t"))
    seal_all()
    before = AuditChainHead.objects.get(chain=practice.pk).last_seq
    table = AuditEvent._meta.db_table
    with TestCase.captureOnCommitCallbacks(execute=True):
        with CaptureQueriesContext(connection) as queries:
            large_write(practice, "batch.linked", count)
        # Linked before the commit, by the INSERT itself: no UPDATE of the events.
        written = AuditEvent.objects.filter(action="batch.linked")
        assert written.count() == count
        assert not written.filter(seq__isnull=True).exists()
        assert not [q for q in queries.captured_queries if q["sql"].startswith(f'UPDATE "{table}"')]
    seqs = list(written.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(before + 1, before + 1 + count))
    assert AuditChainHead.objects.get(chain=practice.pk).last_seq == seqs[-1]
    assert intact()


@pytest.mark.django_db
def test_the_linking_takes_no_savepoint_of_its_own() -> None:
    practice = create_practice(name="No savepoint", slug="no-savepoint", actor=Actor.system("t"))
    seal_all()
    # In a transaction of its own, as an action's write is.
    with (
        TestCase.captureOnCommitCallbacks(execute=True),
        transaction.atomic(),
        CaptureQueriesContext(connection) as queries,
    ):
        large_write(practice, "batch.plain", 1)
    kinds = [q["sql"].split()[0] for q in queries.captured_queries]
    assert "SAVEPOINT" not in kinds and "RELEASE" not in kinds, kinds
    assert pending(practice) == 0
    assert intact()


@pytest.mark.django_db(transaction=True)
def test_a_linking_statement_that_fails_fails_the_write_and_writes_nothing(
    monkeypatch: Any,
) -> None:
    from django.db import DatabaseError

    practice = create_practice(name="Refused", slug="refused-link", actor=Actor.system("t"))
    seal_all()
    head_before = AuditChainHead.objects.get(chain=practice.pk).last_seq

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseError("the head could not be moved")

    monkeypatch.setattr(chain_module.MOVE_HEAD, "run", refused)
    with pytest.raises(DatabaseError), transaction.atomic():
        large_write(practice, "batch.refused", 1)
    monkeypatch.undo()
    assert not AuditEvent.objects.filter(action="batch.refused").exists()
    assert AuditChainHead.objects.get(chain=practice.pk).last_seq == head_before
    assert intact()


@pytest.mark.django_db
def test_the_chains_pending_events_are_linked_first() -> None:
    practice = create_practice(name="Pending", slug="pending", actor=Actor.system("t"))
    seal_all()
    # The test's transaction never commits, so these stay pending.
    with transaction.atomic():
        waiting = [record_event(practice=practice, actor=ACTOR, action="earlier").pk
                   for _ in range(3)]
    assert pending(practice) == 3
    with TestCase.captureOnCommitCallbacks(execute=True):
        large_write(practice, "batch.after")
    assert pending(practice) == 0
    first_new = AuditEvent.objects.filter(action="batch.after").order_by("seq").first()
    assert first_new is not None
    earlier = AuditEvent.objects.filter(pk__in=waiting).order_by("id")
    assert [e.seq for e in earlier] == [first_new.seq - 3, first_new.seq - 2, first_new.seq - 1]
    assert intact()


@pytest.mark.django_db
def test_a_linking_that_fails_leaves_the_events_pending_for_the_usual_sealing(
    monkeypatch: Any,
) -> None:
    practice = create_practice(name="Fails", slug="fails-link", actor=Actor.system("t"))
    seal_all()
    head_before = AuditChainHead.objects.get(chain=practice.pk).last_seq

    def broken(*args: Any) -> Any:
        raise RuntimeError("hash unavailable")

    monkeypatch.setattr(chain_module, "row_links", broken)
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        large_write(practice, "batch.unlinked")
        # Written, pending, and the head where it was.
        assert pending(practice) == AFTER_ANSWER
        assert AuditChainHead.objects.get(chain=practice.pk).last_seq == head_before
    monkeypatch.undo()
    for callback in callbacks:
        callback()
    assert pending(practice) == 0
    assert intact()


@pytest.mark.django_db(transaction=True)
def test_a_writer_that_finds_the_head_taken_writes_pending_and_the_holder_links_them(
    monkeypatch: Any,
) -> None:
    # PostgreSQL: two batch calls of one practice at once. The first holds the
    # head from its linking to its COMMIT; the second writes its events pending,
    # commits without waiting, and the first links them once it has committed.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writers hold the one write lock: no head is ever skipped")
    practice = create_practice(name="Two", slug="two-batches", actor=Actor.system("t"))
    seal_all()

    def first() -> None:
        with transaction.atomic():
            large_write(practice, "batch.first")

    with paused_in(monkeypatch, chain_module, "row_links", first):
        with transaction.atomic():
            large_write(practice, "batch.second")
        # Committed at once, its events left to the holder of the head.
        left = AuditEvent.objects.filter(action="batch.second", seq__isnull=True)
        assert left.count() == AFTER_ANSWER
    assert pending(practice) == 0
    assert AuditEvent.objects.filter(action="batch.first").count() == AFTER_ANSWER
    assert intact()
