"""An appointment write's savepoints on PostgreSQL. A single PUT takes none of its
own: its transaction is tried again whole (automations.merged.retried), and the
audit chain's linking has none either. A write that keeps one (a batch's, a
FHIR transaction's entry) sends it in the round trip of its reads
(together.py): sent alone it was a round trip of its own, each one two
wake-ups on a busy server."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, connections, transaction
from tests.conftest import SYSTEM

from rewardshub.automations.book import AppointmentWrite, write_book
from rewardshub.automations.models import AutoRule
from rewardshub.patients.models import Profile

from .conftest import CHART, Book
from .test_appointment_api import ok

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite runs in the server's own process: no round trips",
    ),
    pytest.mark.django_db,
]


def _watch_savepoints(monkeypatch: Any) -> list[bool]:
    """Whether each savepoint taken from now on was queued in a pipeline."""
    queued: list[bool] = []
    wrapper = type(connections["default"])
    savepoint = wrapper._savepoint

    def watched(self: Any, sid: str) -> None:
        queued.append(self.connection._pipeline is not None)
        savepoint(self, sid)

    monkeypatch.setattr(wrapper, "_savepoint", watched)
    return queued


def test_a_single_put_takes_no_savepoint_of_its_own(
    book: Book, emma: Profile, rules: dict[str, AutoRule], monkeypatch: Any
) -> None:
    queued = _watch_savepoints(monkeypatch)
    answer = ok(book.put("V1", "completed", arrived_at=book.at(-2), completed_at=book.at(30)), 201)
    assert [p["rule"] for p in answer["points"]] == ["kept", "on_time"]
    # The test's transaction makes the view's transaction a savepoint: that one only.
    assert len(queued) == 1, queued


def test_a_writes_savepoint_goes_out_with_its_reads(
    book: Book, emma: Profile, rules: dict[str, AutoRule], monkeypatch: Any
) -> None:
    queued = _watch_savepoints(monkeypatch)
    with transaction.atomic():
        (written,) = write_book(
            practice=emma.practice,
            system="orthotrac",
            writes=[AppointmentWrite(CHART, "V2", book.completed_visit())],
            profiles={CHART: emma.pk},
            actor=SYSTEM,
        )
    assert not isinstance(written, Exception), written
    assert [c.rule.trigger for c in written.changes] == ["kept"]
    # This test's block is a savepoint inside the test's transaction; the write's is queued.
    assert queued == [False, True], queued
