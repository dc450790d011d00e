"""One writer of audit events: audit/actions.py inserts every row, signs it and seals it.

The model refuses every other way of writing one, and the source holds no
other: a new writer elsewhere (a bulk insert, raw SQL) fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from rewardshub.audit.actions import (
    EventRows,
    build_event,
    prepare_events,
    record_event,
    record_events,
)
from rewardshub.audit.actors import Actor
from rewardshub.audit.chain import seal_all
from rewardshub.audit.models import AuditEvent
from rewardshub.practices.models import Practice

ACTOR = Actor(kind="staff", label="frontdesk", user_id=None, source_ip="10.1.2.3")

SRC = Path(__file__).resolve().parent.parent / "src" / "rewardshub"
WRITER = SRC / "audit" / "actions.py"
REFUSED = "Audit events are written only by rewardshub.audit.actions.record_event / record_events"

# Ways to write an audit row: build one, hand the model to a generic writer
# (Rows(AuditEvent, ...), insert(...)), the manager's writes, or SQL.
WRITES = [
    re.compile(r"(?<!class )\bAuditEvent\s*\("),
    re.compile(r"\w\(\s*AuditEvent\s*[,)]"),
    re.compile(r"AuditEvent\.objects\.(create|bulk_create|get_or_create|update_or_create)\b"),
    re.compile(r"(INSERT\s+INTO|COPY)\s+[\"']?audit_auditevent", re.IGNORECASE),
]


def _event(practice: Practice) -> AuditEvent:
    return AuditEvent(practice=practice, actor_kind="system", actor_label="t", action="x")


def test_it_refuses_every_write_but_the_writers(acworth: Practice) -> None:
    count = AuditEvent.objects.count()
    with pytest.raises(TypeError, match=REFUSED):
        AuditEvent.objects.create(practice=acworth, actor_kind="system", actor_label="t")
    with pytest.raises(TypeError, match=REFUSED):
        _event(acworth).save()
    with pytest.raises(TypeError, match=REFUSED):
        AuditEvent.objects.bulk_create([_event(acworth)])
    stored = AuditEvent.objects.filter(practice=acworth).first()
    assert stored is not None
    with pytest.raises(TypeError, match="append-only"):
        stored.save()
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=stored.pk).update(action="y")
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=stored.pk).delete()
    assert AuditEvent.objects.count() == count


def test_no_module_but_the_writer_creates_audit_rows() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path == WRITER or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in WRITES:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(SRC)}:{line}: {match.group(0)!r}")
    assert found == [], "audit rows written outside audit/actions.py:\n" + "\n".join(found)


def _one(practice: Practice) -> None:
    record_event(practice=practice, actor=ACTOR, action="w.one", detail={"n": 1})


def _many(practice: Practice) -> None:
    record_events(build_event(practice=practice, actor=ACTOR, action="w.many") for _ in range(3))


def _prepared(practice: Practice) -> None:
    ready = prepare_events([build_event(practice=practice, actor=ACTOR, action="w.prepared")])
    ready.write()


def _rows(practice: Practice) -> None:
    rows = EventRows(practice_id=practice.pk, actor=ACTOR, created_at=timezone.now())
    rows.add(None, "w.rows", "ok", {"n": 1, 7: "x"})
    rows.rows.append(rows.row(None, "w.rows", "failed", {}))
    rows.write()


@pytest.mark.parametrize("writer", [_one, _many, _prepared, _rows])
def test_every_way_of_writing_signs_and_arranges_sealing(
    acworth: Practice, writer: Callable[[Practice], None]
) -> None:
    seal_all()  # the fixture's own events
    with TestCase.captureOnCommitCallbacks(execute=True):
        writer(acworth)
        written = AuditEvent.objects.filter(action__startswith="w.")
        assert written.exists()
        # Sealed only at the commit, or (EventRows) linked by their own INSERT.
        linked_as_written = writer is _rows
        assert written.filter(seq__isnull=linked_as_written).count() == 0
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
    assert not written.filter(mac__isnull=True).exists()
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().startswith("Audit chain intact:")
    assert "no signature" not in out.getvalue()
