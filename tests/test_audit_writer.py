"""One writer of audit events: audit/actions.py inserts every row, signs it and seals it.

The model refuses every other way of writing one, and the source holds no
other: a new writer elsewhere (a bulk insert, raw SQL) fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rewardshub.audit.models import AuditEvent
from rewardshub.practices.models import Practice

SRC = Path(__file__).resolve().parent.parent / "src" / "rewardshub"
WRITER = SRC / "audit" / "actions.py"
REFUSED = "Audit events are written only by rewardshub.audit.actions.record_event / record_events"

# Ways to write an audit row: build one, hand the model to a generic writer
# (RowInsert(AuditEvent, ...), insert(...)), the manager's writes, or SQL.
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
