"""The keyed audit trail: every event's MAC, `audit verify` that never writes, anchors, keys.

Each tamper test does what an intruder with database access could: raw SQL,
hashes recomputed with the public hash function, but no audit key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.audit.chain import GENESIS, event_hash, seal_all
from rewardshub.audit.keyring import new_entry
from rewardshub.audit.models import AuditEvent
from rewardshub.practices.models import Practice

ACTOR = Actor(kind="staff", label="frontdesk", source_ip="10.0.0.7")
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def write(practice: Practice | None, n: int, action: str = "profile.view") -> list[AuditEvent]:
    """`n` events, committed as an action commits them: sealed by the writer's arrangement."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        ids = [
            record_event(practice=practice, actor=ACTOR, action=action, detail={"n": i}).pk
            for i in range(n)
        ]
    return list(AuditEvent.objects.filter(pk__in=ids).order_by("id"))


def raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rehash(practice: Practice) -> None:
    """Recompute a chain's hashes and head after an edit: no key needed for that."""
    prev, seq = GENESIS, 0
    for event in AuditEvent.objects.filter(practice=practice).order_by("seq"):
        digest = event_hash(prev, event)
        raw(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [prev, digest, event.pk],
        )
        prev, seq = digest, event.seq
    raw(
        "UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s WHERE chain = %s",
        [seq, prev, practice.pk],
    )


def checksum() -> str:
    digest = hashlib.sha256()
    for table in ("audit_auditevent", "audit_auditchainhead"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608
            digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()


@pytest.fixture
def sealed(acworth: Practice, riverside: Practice) -> None:
    # The fixtures' own events were written in the test's transaction, never committed.
    seal_all()


def key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


class TestWriting:
    def test_it_signs_each_event_in_the_insert_that_stores_it(self, acworth: Practice) -> None:
        with CaptureQueriesContext(connection) as queries:
            event = record_event(practice=acworth, actor=ACTOR, action="profile.view")
        assert len(queries.captured_queries) == 1
        assert queries.captured_queries[0]["sql"].startswith("INSERT INTO")
        stored = AuditEvent.objects.get(pk=event.pk)
        assert stored.mac is not None and len(stored.mac) == 64
        assert stored.key_id == os.environ["REWARDSHUB_AUDIT_KEY"].split(":")[0]

    def test_a_development_hub_makes_its_own_key_readable_by_its_owner_only(
        self, acworth: Practice, settings: Any, tmp_path: Path
    ) -> None:
        own = tmp_path / "var" / "audit.key"
        settings.AUDIT_KEY, settings.AUDIT_KEY_FILE = "", ""
        settings.AUDIT_KEY_CREATE = str(own)
        event = record_event(practice=acworth, actor=ACTOR, action="profile.view")
        assert stat.S_IMODE(own.stat().st_mode) == 0o600
        line = [x for x in own.read_text().splitlines() if not x.startswith("#")][0]
        assert event.key_id == line.split(":")[0]
        # The same key next time: made once, never replaced.
        assert record_event(practice=acworth, actor=ACTOR, action="x").key_id == event.key_id


class TestVerify:
    def test_it_reports_an_edit_whose_chain_was_recomputed_by_its_seq(
        self, acworth: Practice, sealed: None
    ) -> None:
        target = write(acworth, 5)[2]
        raw("UPDATE audit_auditevent SET action = 'profile.update' WHERE id = %s", [target.pk])
        rehash(acworth)
        code, _, err = run("verify")
        assert code == 1
        assert (
            f"BROKEN practice acworth: at seq {target.seq}, written "
            f"{target.created_at:%Y-%m-%d %H:%M:%S} UTC: signature does not match its contents"
        ) in err
        assert err.count("BROKEN") == 1  # the chain itself is whole again

    def test_it_reports_an_edit_before_sealing_by_event_id_and_leaves_it_unsealed(
        self, acworth: Practice, sealed: None
    ) -> None:
        # Not committed: the event waits for its sealing, as for the moment after a commit.
        event = record_event(practice=acworth, actor=ACTOR, action="profile.view")
        raw("UPDATE audit_auditevent SET action = 'profile.update' WHERE id = %s", [event.pk])
        code, _, err = run("verify")
        assert code == 1
        assert f"at unsealed event id {event.pk}," in err
        assert "signature does not match its contents" in err
        assert AuditEvent.objects.get(pk=event.pk).seq is None

    def test_it_reports_unsealed_events_by_id_and_passes_them_when_intact(
        self, acworth: Practice, sealed: None
    ) -> None:
        write(acworth, 2)
        pending = [record_event(practice=acworth, actor=ACTOR, action="x").pk for _ in range(2)]
        code, out, _ = run("verify")
        assert code == 0
        ids = ", ".join(map(str, pending))
        assert f"practice acworth: 2 events not yet sealed into the chain (ids {ids})" in out
        assert AuditEvent.objects.filter(pk__in=pending, seq__isnull=True).count() == 2

    def test_it_writes_nothing(self, acworth: Practice, riverside: Practice) -> None:
        write(acworth, 3)
        pending = record_event(practice=riverside, actor=ACTOR, action="x")
        unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
        assert unsealed >= 1
        before = checksum()
        assert run("verify")[0] == 0
        raw("UPDATE audit_auditevent SET action = 'y' WHERE id = %s", [pending.pk])
        before_broken = checksum()
        assert run("verify")[0] == 1
        assert checksum() == before_broken != before
        assert AuditEvent.objects.filter(seq__isnull=True).count() == unsealed

    def test_it_reports_old_unsigned_events_once_per_chain_not_as_tampering(
        self, acworth: Practice, riverside: Practice, sealed: None
    ) -> None:
        write(acworth, 3)
        write(riverside, 1)
        # As written before signing began: no MAC, hashed without one.
        raw("UPDATE audit_auditevent SET mac = NULL, key_id = NULL", [])
        rehash(acworth)
        rehash(riverside)
        old_acworth = AuditEvent.objects.filter(practice=acworth).count()
        old_riverside = AuditEvent.objects.filter(practice=riverside).count()
        write(acworth, 2)
        code, out, err = run("verify")
        assert code == 0, err
        assert "BROKEN" not in err
        line = (
            f"practice acworth: {old_acworth} events before seq {old_acworth + 1} have no signature"
        )
        assert out.count("no signature") == 2
        assert line in out
        assert (
            f"practice riverside: {old_riverside} events before seq {old_riverside + 1} "
            "have no signature"
        ) in out
        # Never signed after the fact.
        assert AuditEvent.objects.filter(mac__isnull=True).count() == old_acworth + old_riverside

    def test_it_reports_a_signature_removed_after_signing_began(
        self, acworth: Practice, sealed: None
    ) -> None:
        target = write(acworth, 3)[1]
        raw("UPDATE audit_auditevent SET mac = NULL, key_id = NULL WHERE id = %s", [target.pk])
        rehash(acworth)
        code, _, err = run("verify")
        assert code == 1
        assert f"at seq {target.seq}," in err
        assert "no signature, though signing began before it was written" in err


class TestAnchors:
    def anchor(self, path: Path) -> list[dict[str, Any]]:
        code, out, _ = run("anchor")
        assert code == 0
        path.write_text(out)
        return [json.loads(line) for line in out.splitlines()]

    def test_it_prints_each_chains_head(
        self, acworth: Practice, riverside: Practice, sealed: None, tmp_path: Path
    ) -> None:
        last = write(acworth, 2)[-1]
        lines = self.anchor(tmp_path / "anchors")
        mine = [line for line in lines if line["practice_id"] == acworth.pk]
        assert mine == [
            {
                "practice_id": acworth.pk,
                "practice": "acworth",
                "seq": last.seq,
                "hash": last.hash,
                "taken_at": mine[0]["taken_at"],
            }
        ]
        assert {line["practice"] for line in lines} >= {"acworth", "riverside"}
        code, out, _ = run("verify", "--anchor", str(tmp_path / "anchors"))
        assert code == 0
        assert f"Anchors: {len(lines)} chain(s) reach their anchored heads unchanged" in out

    def test_a_deletion_at_the_end_with_the_head_rewritten_is_caught_only_with_an_anchor(
        self, acworth: Practice, sealed: None, tmp_path: Path
    ) -> None:
        events = write(acworth, 4)
        self.anchor(tmp_path / "anchors")
        raw("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [events[2].pk, events[3].pk])
        raw(
            "UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s WHERE chain = %s",
            [events[1].seq, events[1].hash, acworth.pk],
        )
        # What is left is a whole chain whose head matches: nothing inside shows the loss.
        assert run("verify")[0] == 0
        code, _, err = run("verify", "--anchor", str(tmp_path / "anchors"))
        assert code == 1
        assert (
            f"BROKEN practice acworth: at seq {events[3].seq}: the anchored event is gone "
            f"(anchor line"
        ) in err
        assert f"the chain ends at seq {events[1].seq}" in err

    def test_it_catches_a_chain_rewritten_before_its_anchor(
        self, acworth: Practice, sealed: None, tmp_path: Path
    ) -> None:
        events = write(acworth, 3)
        self.anchor(tmp_path / "anchors")
        raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
        raw(
            "UPDATE audit_auditevent SET seq = seq - 1 WHERE practice_id = %s AND seq > %s",
            [acworth.pk, events[1].seq],
        )
        rehash(acworth)
        assert run("verify")[0] == 0  # renumbered and rehashed: whole, by itself
        code, _, err = run("verify", "--anchor", str(tmp_path / "anchors"))
        assert code == 1
        assert f"at seq {events[2].seq}: the anchored event is gone" in err

    def test_it_refuses_a_file_that_is_not_anchors(self, acworth: Practice, tmp_path: Path) -> None:
        bad = tmp_path / "anchors"
        bad.write_text('{"practice_id": 1, "seq": 2}\n')
        code, _, err = run("verify", "--anchor", str(bad))
        assert code == 1
        assert f"{bad}, line 1 is not an anchor line" in err


class TestKeys:
    def test_events_signed_with_an_older_key_verify_while_it_is_in_the_ring(
        self, acworth: Practice, settings: Any, sealed: None
    ) -> None:
        # The fixtures' events are signed with the suite's key: it stays in every ring here.
        old, new, suite = key("old"), key("new"), os.environ["REWARDSHUB_AUDIT_KEY"]
        settings.AUDIT_KEY = f"{old},{suite}"
        first = write(acworth, 2)
        settings.AUDIT_KEY = f"{new} {old} {suite}"
        second = write(acworth, 3)
        assert {e.key_id for e in first} == {"old"}
        assert {e.key_id for e in second} == {"new"}
        assert run("verify")[0] == 0
        settings.AUDIT_KEY = f"{new},{suite}"
        code, _, err = run("verify")
        assert code == 1
        assert (
            "UNVERIFIABLE practice acworth: 2 events signed with the audit key 'old' cannot be "
            "checked: that key is not in the key ring."
        ) in err

    def test_keygen_puts_a_new_key_first_and_keeps_the_old(
        self, acworth: Practice, settings: Any, tmp_path: Path, sealed: None
    ) -> None:
        path = tmp_path / "audit.key"
        run("keygen", "--file", str(path))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        # The fixtures' events are signed with the suite's key: keep it in the ring, last.
        with path.open("a") as ring_file:
            ring_file.write(f"# the suite's key\n{os.environ['REWARDSHUB_AUDIT_KEY']}\n")
        settings.AUDIT_KEY, settings.AUDIT_KEY_FILE = "", str(path)
        first = write(acworth, 1)[0]
        code, out, _ = run("keygen", "--file", str(path))
        assert code == 0 and "first in" in out
        second = write(acworth, 1)[0]
        lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
        ids = [line.split(":")[0] for line in lines]
        assert ids == [
            second.key_id,
            first.key_id,
            os.environ["REWARDSHUB_AUDIT_KEY"].split(":")[0],
        ]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert run("verify")[0] == 0

    def test_verify_never_makes_a_key(
        self, acworth: Practice, settings: Any, tmp_path: Path
    ) -> None:
        own = tmp_path / "audit.key"
        settings.AUDIT_KEY, settings.AUDIT_KEY_FILE = "", ""
        settings.AUDIT_KEY_CREATE = str(own)
        code, _, err = run("verify")
        assert code == 1
        assert f"Cannot check the audit signatures. Cannot read the audit key file {own}" in err
        assert not own.exists()

    def test_a_bad_key_is_refused_saying_how_to_make_one(
        self, acworth: Practice, settings: Any
    ) -> None:
        settings.AUDIT_KEY = "k1:c2hvcnQ="
        code, _, err = run("verify")
        assert code == 1
        assert "the secret of key 'k1' is 5 bytes; it must be at least 32" in err
        assert "secrets.token_bytes(32)" in err


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rewardshub", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_an_audit_key(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REWARDSHUB_PRODUCTION": "true",
        "REWARDSHUB_SECRET_KEY": "x" * 50,
        "REWARDSHUB_VAR_DIR": str(tmp_path),
        # A production hub also needs a mail server; this test is about the key.
        "REWARDSHUB_EMAIL_URL": "smtp://mail.example.org",
    }
    env.pop("REWARDSHUB_AUDIT_KEY", None)
    env.pop("REWARDSHUB_AUDIT_KEY_FILE", None)
    refused = _check(env)
    assert refused.returncode != 0
    assert (
        "REWARDSHUB_PRODUCTION is on but the audit trail has no usable key. No audit key: set "
        "REWARDSHUB_AUDIT_KEY_FILE"
    ) in refused.stderr
    assert "secrets.token_bytes(32)" in refused.stderr
    assert not (tmp_path / "audit.key").exists()  # never one made up in production
    path = tmp_path / "audit.key"
    path.write_text(new_entry() + "\n")
    started = _check({**env, "REWARDSHUB_AUDIT_KEY_FILE": str(path)})
    assert started.returncode == 0, started.stderr
