"""The tamper-evident audit chain: linking and sealing after commit, and `audit verify`.

Tampering with keys, signatures and anchors: tests/test_audit_signing.py.
Events are committed the way an action commits (the test's own transaction
never does): `committed()` runs the after-commit callbacks, sealing included,
so a test sees exactly what the writer arranged and nothing a test sealed.
"""

from __future__ import annotations

import re
import threading
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from tests.race import paused_in

from rewardshub.audit.actions import build_event, record_event, record_events
from rewardshub.audit.actors import Actor
from rewardshub.audit.chain import GENESIS, event_hash, seal_all
from rewardshub.audit.keys import ring
from rewardshub.audit.models import AuditChainHead, AuditEvent
from rewardshub.audit.verify import verify_all
from rewardshub.practices.actions import create_practice
from rewardshub.practices.models import Practice

ACTOR = Actor(kind="staff", label="frontdesk", source_ip="2001:0db8::0001")


def verify(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def committed() -> Any:
    """As if the action's transaction committed: its after-commit sealing runs."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def write(practice: Practice | None, n: int, action: str = "profile.view") -> list[AuditEvent]:
    """Write `n` events, each committed as an action commits: sealed as the writer arranged."""
    with committed():
        ids = [
            record_event(practice=practice, actor=ACTOR, action=action, detail={"n": i, 7: "x"}).pk
            for i in range(n)
        ]
    return list(AuditEvent.objects.filter(pk__in=ids).order_by("id"))


def chain(practice: Practice | None) -> list[AuditEvent]:
    # No sealing here: what is unsealed now stays so, and a test that expects a
    # sealed chain fails.
    return list(AuditEvent.objects.filter(practice=practice).order_by("seq"))


def raw(sql: str, params: list[Any]) -> None:
    # Straight to the database, past the model's append-only guard: what an
    # intruder with database access would do.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


class TestLinking:
    def test_it_numbers_each_practices_events_from_one(
        self, acworth: Practice, riverside: Practice
    ) -> None:
        seal_all()  # the fixtures' own events, written outside committed()
        write(acworth, 3)
        write(riverside, 2)
        for practice in (acworth, riverside):
            seqs = [e.seq for e in chain(practice)]
            assert seqs == list(range(1, len(seqs) + 1))
        assert AuditChainHead.objects.get(chain=acworth.pk).last_seq == len(chain(acworth))

    def test_it_links_each_event_to_the_one_before(self, acworth: Practice) -> None:
        write(acworth, 3)
        events = chain(acworth)
        assert events[0].prev_hash == GENESIS
        for before, after in zip(events, events[1:], strict=False):
            assert after.prev_hash == before.hash
        for event in events:
            assert event.hash == event_hash(event.prev_hash, event)
            assert len(event.hash) == 64

    def test_it_hashes_what_the_database_gives_back(self, acworth: Practice) -> None:
        # Integer keys in detail and a long-form IPv6 address come back changed.
        with committed():
            event = record_event(practice=acworth, actor=ACTOR, action="x", detail={7: "x"})
            assert event.hash is None  # sealed only after the action's transaction commits
        stored = AuditEvent.objects.get(pk=event.pk)
        assert stored.hash == event_hash(stored.prev_hash, stored)

    def test_it_gives_events_without_a_practice_their_own_chain(self, acworth: Practice) -> None:
        write(None, 2)
        assert [e.seq for e in chain(None)] == [1, 2]
        assert verify()[0] == 0

    def test_it_seals_each_commit_of_a_chain(self, acworth: Practice) -> None:
        # A sealing skips only chains that a sealing of its own transaction
        # sealed after its events were written: never a later commit's.
        for n in range(3):
            write(acworth, 1, action=f"commit {n}")
            assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
        with committed():
            record_event(practice=acworth, actor=ACTOR, action="one")
            record_event(practice=None, actor=ACTOR, action="two")
        assert AuditEvent.objects.filter(seq__isnull=True).count() == 0

    def test_it_links_bulk_writes(self, acworth: Practice) -> None:
        seal_all()  # the fixture's own events
        before = len(chain(acworth))
        with committed():
            record_events(
                build_event(practice=acworth, actor=ACTOR, action="bulk") for _ in range(3)
            )
        assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
        assert [e.seq for e in chain(acworth)][-3:] == [before + 1, before + 2, before + 3]
        assert verify()[0] == 0

    def test_it_refuses_a_second_event_with_the_same_seq(self, acworth: Practice) -> None:
        from django.db import IntegrityError

        event = write(acworth, 1)[0]
        with pytest.raises(IntegrityError), transaction.atomic():
            raw(
                "INSERT INTO audit_auditevent (practice_id, actor_kind, actor_label, action,"
                " outcome, detail, created_at, seq, prev_hash, hash)"
                " VALUES (%s, 'system', 'x', 'x', 'ok', '{}', %s, %s, '', '')",
                [acworth.pk, event.created_at, event.seq],
            )


class TestVerify:
    def test_it_passes_an_intact_chain(self, acworth: Practice, riverside: Practice) -> None:
        seal_all()
        write(acworth, 3)
        total = AuditEvent.objects.count()
        code, out, _ = verify()
        assert code == 0
        assert out.strip() == f"Audit chain intact: {total} events in 2 practices"

    def test_it_reports_an_edited_event_by_its_seq(
        self, acworth: Practice, riverside: Practice
    ) -> None:
        target = write(acworth, 5)[2]
        raw("UPDATE audit_auditevent SET action = 'profile.update' WHERE id = %s", [target.pk])
        code, _, err = verify()
        assert code == 1
        assert (
            f"BROKEN practice acworth: at seq {target.seq}, written "
            f"{target.created_at:%Y-%m-%d %H:%M:%S} UTC: hash does not match its contents"
        ) in err
        assert "riverside" not in err
        print(f"edited event at seq {target.seq} detected")

    def test_it_reports_a_deleted_event_as_a_gap(self, acworth: Practice) -> None:
        target = write(acworth, 5)[2]
        raw("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
        code, _, err = verify()
        assert code == 1
        assert f"at seq {target.seq}," in err
        assert f"sequence gap: {target.seq} is missing" in err

    def test_it_reports_events_deleted_from_the_end(self, acworth: Practice) -> None:
        events = write(acworth, 4)
        raw("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [events[2].pk, events[3].pk])
        code, _, err = verify()
        assert code == 1
        assert f"sequence gap: {events[2].seq} to {events[3].seq} are missing (at the end)" in err

    def test_it_reports_a_deleted_chain_head(self, acworth: Practice) -> None:
        events = write(acworth, 2)
        raw("DELETE FROM audit_auditchainhead WHERE chain = %s", [acworth.pk])
        code, _, err = verify()
        assert code == 1
        assert f"at seq {events[1].seq}," in err
        assert "the chain head is missing" in err

    def test_it_reports_an_edit_whose_hash_was_recomputed(self, acworth: Practice) -> None:
        events = write(acworth, 3)
        forged = AuditEvent.objects.get(pk=events[1].pk)
        forged.action = "profile.update"
        raw(
            "UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s",
            [forged.action, event_hash(forged.prev_hash, forged), forged.pk],
        )
        code, _, err = verify()
        assert code == 1
        assert f"at seq {events[2].seq}," in err
        assert "previous-hash mismatch" in err

    def test_it_checks_one_practice_when_asked(
        self, acworth: Practice, riverside: Practice
    ) -> None:
        target = write(acworth, 2)[0]
        raw("UPDATE audit_auditevent SET detail = %s WHERE id = %s", ['{"n": 9}', target.pk])
        assert verify("--practice", "riverside")[0] == 0
        assert verify("--practice", "acworth")[0] == 1

    def test_it_refuses_an_unknown_practice(self, acworth: Practice) -> None:
        code, _, err = verify("--practice", "nowhere")
        assert code == 1
        assert "No practice has the slug 'nowhere'." in err

    def test_it_reports_every_broken_chain(self, acworth: Practice, riverside: Practice) -> None:
        seal_all()
        for practice in (acworth, riverside):
            raw(
                "UPDATE audit_auditevent SET actor_label = 'someone else'"
                " WHERE practice_id = %s AND seq = 1",
                [practice.pk],
            )
        reports = [r for r in verify_all(ring()) if r.broken]
        assert {r.practice_id for r in reports} == {acworth.pk, riverside.pk}


THREADS = 4
EACH = 10


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_chain_whole_under_concurrent_writers() -> None:
    practices = [
        create_practice(name=f"P{i}", slug=f"p{i}", actor=Actor.system("t")) for i in range(2)
    ]
    ids = [p.pk for p in practices]
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with transaction.atomic():
                    # Every writer alternates practices; some events span both.
                    practice = Practice.objects.get(pk=ids[(n + i) % 2])
                    record_event(practice=practice, actor=ACTOR, action=f"t{n}.{i}")
                    if i % 3 == 0:
                        record_event(practice=None, actor=ACTOR, action=f"none{n}.{i}")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    written = AuditEvent.objects.filter(action__startswith="t").count()
    assert written == THREADS * EACH
    # Each writer's sealer waits its turn for the head: nothing is left over.
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    reports = list(verify_all(ring()))
    assert [r.broken for r in reports] == [None] * len(reports)
    for pid in [*ids, None]:
        seqs = list(AuditEvent.objects.filter(practice_id=pid).values_list("seq", flat=True))
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
    print(f"concurrent appends: {THREADS} threads x {EACH} events, chain intact")


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_events_written_before_it() -> None:
    practice = create_practice(name="Old", slug="old", actor=Actor.system("t"))
    write(practice, 3)
    write(None, 1)
    executor = MigrationExecutor(connection)
    # Every app's latest migration: going back on audit also unapplies the
    # migrations of other apps that came after it, and the tests after this
    # one need the whole schema back.
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("audit", "0001_initial")])
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(latest):
            executor.migrate(latest)
    assert AuditChainHead.objects.get(chain=practice.pk).last_seq == 4
    # Going back before signing dropped the MACs: the events are as if written
    # before it, chained anew from the same fields, and reported as unsigned.
    code, out, err = verify()
    assert code == 0, err
    assert "practice old: 4 events before seq 5 have no signature" in out
    assert AuditEvent.objects.filter(mac__isnull=False).count() == 0


@pytest.mark.django_db(transaction=True)
def test_it_seals_an_event_as_soon_as_its_transaction_commits() -> None:
    practice = create_practice(name="Now", slug="now", actor=Actor.system("t"))
    with transaction.atomic():
        event = record_event(practice=practice, actor=ACTOR, action="profile.view")
        assert AuditEvent.objects.get(pk=event.pk).seq is None
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.seq is not None and stored.hash == event_hash(stored.prev_hash, stored)
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_it_leaves_nothing_unsealed_when_many_requests_commit_at_once() -> None:
    # Twelve requests commit and seal at once, as in the served hub: each
    # sealer waits its turn for the head, and none may leave an event behind.
    practice = create_practice(name="Busy", slug="busy", actor=Actor.system("t"))
    start = threading.Barrier(12)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(8):
                with transaction.atomic():
                    record_event(practice=practice, actor=ACTOR, action=f"w{n}.{i}")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    seqs = sorted(AuditEvent.objects.filter(practice=practice).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.django_db(transaction=True)
def test_a_backlog_longer_than_one_sealing_step_is_sealed_whole(monkeypatch: Any) -> None:
    # A batch sync leaves thousands of events at once; sealing takes them in
    # steps of SEAL_BATCH and must not stop after the first step.
    from rewardshub.audit import chain as chain_module

    monkeypatch.setattr(chain_module, "SEAL_BATCH", 7)
    practice = create_practice(name="Backlog", slug="backlog", actor=Actor.system("t"))
    with transaction.atomic():
        record_events(
            build_event(practice=practice, actor=ACTOR, action=f"x{i}") for i in range(30)
        )
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert AuditChainHead.objects.get(chain=practice.pk).last_seq == 31  # with the creation
    assert verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_records_twice_seals_each_chain_once() -> None:
    # An award writes its event, then the Sync log's: one sealing a chain
    # after the commit, not one a call, and every event sealed.
    practice = create_practice(name="Twice", slug="twice", actor=Actor.system("t"))
    other = create_practice(name="Other", slug="other", actor=Actor.system("t"))
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        record_event(practice=practice, actor=ACTOR, action="first")
        record_events(
            [
                build_event(practice=practice, actor=ACTOR, action="second"),
                build_event(practice=other, actor=ACTOR, action="third"),
            ]
        )
    head_reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and "audit_auditchainhead" in q["sql"]
    ]
    assert len(head_reads) == 2, head_reads
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    with transaction.atomic():
        record_event(practice=practice, actor=ACTOR, action="later")
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_one_commit_carries_an_action_and_the_links_of_its_events() -> None:
    # The hub's backends seal just before COMMIT, so one commit (on SQLite,
    # one turn at the write lock) carries the action and its links.
    practice = create_practice(name="One", slug="one", actor=Actor.system("t"))
    with CaptureQueriesContext(connection) as captured:
        with transaction.atomic():
            event = record_event(practice=practice, actor=ACTOR, action="profile.view")
        # Outside any transaction, the event gets one of its own.
        alone = record_event(practice=practice, actor=ACTOR, action="profile.view")
    sql = [q["sql"] for q in captured.captured_queries]
    commits = [i for i, s in enumerate(sql) if s.upper() == "COMMIT"]
    links = [i for i, s in enumerate(sql) if re.search(r'UPDATE "?audit_auditevent"? ', s)]
    assert len(commits) == 2, sql
    assert len(links) == 2 and links[0] < commits[0] < links[1] < commits[1], sql
    for pk in (event.pk, alone.pk):
        stored = AuditEvent.objects.get(pk=pk)
        assert stored.seq is not None and stored.hash == event_hash(stored.prev_hash, stored)


@pytest.mark.django_db(transaction=True)
def test_a_sealing_that_fails_before_commit_leaves_the_action_committed(monkeypatch: Any) -> None:
    from rewardshub.audit import chain as chain_module

    practice = create_practice(name="Fails", slug="fails", actor=Actor.system("t"))

    def broken(prev: str, event: Any) -> str:
        raise RuntimeError("hash unavailable")

    monkeypatch.setattr(chain_module, "event_hash", broken)
    with transaction.atomic():
        event = record_event(practice=practice, actor=ACTOR, action="profile.view")
        Practice.objects.filter(pk=practice.pk).update(name="Fails, still committed")
    # The action stands; its event waits, unlinked, for the next sealing.
    assert Practice.objects.get(pk=practice.pk).name == "Fails, still committed"
    assert AuditEvent.objects.get(pk=event.pk).seq is None
    monkeypatch.undo()
    with transaction.atomic():
        record_event(practice=practice, actor=ACTOR, action="profile.view")
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_large_write_in_a_request_is_sealed_after_the_answer() -> None:
    # PostgreSQL: a batch call's thousands of events are linked once its
    # answer is sent (request_finished), so the caller does not wait for
    # them; a small write in the same request is sealed at its commit.
    # SQLite links them all before the commit, inside its write lock.
    from django.core.signals import request_finished, request_started

    from rewardshub.audit.actions import AFTER_ANSWER

    practice = create_practice(name="Batch", slug="batch", actor=Actor.system("t"))
    request_started.send(sender=None)
    try:
        with transaction.atomic():
            record_events(
                build_event(practice=practice, actor=ACTOR, action=f"b{i}")
                for i in range(AFTER_ANSWER)
            )
        left = 0 if connection.vendor == "sqlite" else AFTER_ANSWER
        assert AuditEvent.objects.filter(seq__isnull=True).count() == left
        with transaction.atomic():
            small = record_event(practice=None, actor=ACTOR, action="small")
        assert AuditEvent.objects.get(pk=small.pk).seq is not None
    finally:
        request_finished.send(sender=None)
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_writer_that_finds_the_head_taken_leaves_its_events_to_the_holder(
    monkeypatch: Any,
) -> None:
    # PostgreSQL takes the head with SKIP LOCKED: a writer that finds another
    # sealing commits without waiting, and the holder, after its own commit,
    # looks once more and links what the writer left.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writers hold the one write lock: no head is ever skipped")
    from rewardshub.audit import chain as chain_module

    practice = create_practice(name="Held", slug="held", actor=Actor.system("t"))

    def holder() -> None:
        with transaction.atomic():
            record_event(practice=practice, actor=ACTOR, action="holder")

    with paused_in(monkeypatch, chain_module, "link", holder):
        with transaction.atomic():
            left = record_event(practice=practice, actor=ACTOR, action="skipper")
        # Committed at once, its event left to the sealer holding the head.
        assert AuditEvent.objects.get(pk=left.pk).seq is None
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert verify()[0] == 0
