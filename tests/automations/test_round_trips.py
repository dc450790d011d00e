"""One appointment write on PostgreSQL sends its savepoint in the round trip of
its reads (together.py): sent alone it was a round trip of its own, each one
two wake-ups on a busy server."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, connections

from rewardshub.automations.models import AutoRule
from rewardshub.patients.models import Profile

from .conftest import Book
from .test_appointment_api import ok

pytestmark = pytest.mark.django_db


def test_a_writes_savepoint_goes_out_with_its_reads(
    book: Book, emma: Profile, rules: dict[str, AutoRule], monkeypatch: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs in the server's own process: no round trips")
    queued: list[bool] = []
    wrapper = type(connections["default"])
    savepoint = wrapper._savepoint

    def watched(self: Any, sid: str) -> None:
        queued.append(self.connection._pipeline is not None)
        savepoint(self, sid)

    monkeypatch.setattr(wrapper, "_savepoint", watched)
    answer = ok(book.put("V1", "completed", arrived_at=book.at(-2), completed_at=book.at(30)), 201)
    assert [p["rule"] for p in answer["points"]] == ["kept", "on_time"]
    # The test's transaction makes the view's block a savepoint too, sent before
    # any read; every savepoint after it (the write's, the audit chain's) is queued.
    assert len(queued) >= 2 and all(queued[1:]), queued
