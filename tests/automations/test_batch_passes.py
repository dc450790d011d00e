"""A batch on PostgreSQL first writes the events of the patients no other call is
writing, then, in a second transaction, waits for the rest
(integrations/api_appointments.py): two batches that share a few patients run
side by side instead of one after the other."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction
from tests.automations.conftest import Book
from tests.automations.test_one_book import linked
from tests.integrations.conftest import Api

from rewardshub.automations.models import Appointment, AutoRule
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db(transaction=True)

BATCH = "/api/v1/pms/orthotrac/appointments:batch"


def _visit(book: Book, chart_id: str, appointment_id: str) -> dict[str, Any]:
    return {
        "chart_id": chart_id,
        "appointment_id": appointment_id,
        "starts_at": book.at(0),
        "length_minutes": 30,
        "type_code": "ADJ",
        "type_label": "Adjustment",
        "status": "completed",
        "arrived_at": book.at(0),
        "completed_at": book.at(30),
    }


def _ledger_sum(profile: Profile) -> int:
    return sum(LedgerEntry.objects.filter(profile=profile).values_list("points", flat=True))


def test_a_patient_held_by_another_call_waits_without_holding_back_the_others(
    acworth: Practice, rules: dict[str, AutoRule], api: Api, book: Book, issue_cards: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one write lock for the whole database")
    cards = issue_cards(acworth, 2)
    held, free = linked(api, "HELD", cards[0], acworth), linked(api, "FREE", cards[1], acworth)
    rows = [_visit(book, "HELD", "HELD-1"), _visit(book, "FREE", "FREE-1"),
            _visit(book, "HELD", "HELD-2")]
    sent: dict[str, Any] = {}
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:  # another call writing the held patient's points
        try:
            with transaction.atomic():
                list(Profile.objects.select_for_update().filter(pk=held.pk))
                locked.set()
                release.wait(60)
        finally:
            connection.close()

    def send() -> None:
        try:
            sent["answer"] = api.call("POST", BATCH, {"appointments": rows})
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(30)
    sender = threading.Thread(target=send)
    sender.start()
    try:
        deadline = time.monotonic() + 15
        while not Appointment.objects.filter(appointment_id="FREE-1").exists():
            assert time.monotonic() < deadline, "the free patient's visit waited for the held one"
            time.sleep(0.05)
        # Written and committed while the held patient's visits still wait.
        assert not Appointment.objects.filter(appointment_id__startswith="HELD").exists()
        assert sender.is_alive()
    finally:
        release.set()
        holder.join(30)
        sender.join(60)

    answer = sent["answer"]
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [(r["appointment_id"], r["outcome"]) for r in results] == [
        ("HELD-1", "created"), ("FREE-1", "created"), ("HELD-2", "created")
    ]
    points = {r["appointment_id"]: r["points"] for r in results}
    assert points["FREE-1"] > 0
    for profile in (held, free):
        profile.refresh_from_db()
        assert profile.points_balance == _ledger_sum(profile)
    assert free.points_balance == points["FREE-1"]
    assert held.points_balance == points["HELD-1"] + points["HELD-2"] > 0
