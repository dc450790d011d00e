"""One appointment at a time and a batch write the appointment book the same way.

The same events go through the one-appointment calls for one chart and
through one batch call for another chart of the same practice; every stored
appointment and every rule's points in effect must come out the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.automations.conftest import Book
from tests.integrations.conftest import EMMA, Api

from rewardshub.automations.models import Appointment, AutoAward, AutoRule
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db

STORED = ("status", "starts_at", "arrived_at", "completed_at", "booked_at", "confirmed", "type_code")


def events(book: Book) -> list[dict[str, Any]]:
    day = 60 * 24
    return [
        {"appointment_id": "1", "status": "confirmed", "starts_at": book.at(0)},
        {"appointment_id": "2", "status": "completed", "starts_at": book.at(day),
         "arrived_at": book.at(day - 12), "completed_at": book.at(day + 30)},
        {"appointment_id": "3", "status": "scheduled", "starts_at": book.at(day * 40),
         "booked_at": book.at(day + 20)},
        {"appointment_id": "4", "status": "arrived", "starts_at": book.at(day * 2),
         "arrived_at": book.at(day * 2 + 9)},
        {"appointment_id": "5", "status": "missed", "starts_at": book.at(day * 3)},
        {"appointment_id": "6", "status": "cancelled", "starts_at": book.at(day * 4)},
    ]


def linked(api: Api, chart_id: str, card: str, practice: Practice) -> Profile:
    answer = api.set_card(chart_id, card, **EMMA)
    assert answer.status_code == 200, answer.content
    return Profile.objects.get(practice=practice, username=card)


def stored(profile: Profile) -> list[tuple[Any, ...]]:
    return [
        (a.appointment_id.split("-")[-1], *(getattr(a, name) for name in STORED))
        for a in Appointment.objects.filter(profile=profile).order_by("appointment_id")
    ]


def in_effect(profile: Profile) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for award in AutoAward.objects.filter(profile=profile).select_related("rule", "appointment"):
        assert award.appointment is not None
        key = (award.appointment.appointment_id.split("-")[-1], award.rule.trigger)
        out[key] = out.get(key, 0) + award.points - award.uncollected
    return {key: points for key, points in out.items() if points}


def test_one_at_a_time_and_a_batch_store_the_same(
    acworth: Practice, rules: dict[str, AutoRule], api: Api, book: Book, issue_cards: Any
) -> None:
    cards = issue_cards(acworth, 2)
    one, many = linked(api, "ONE", cards[0], acworth), linked(api, "MANY", cards[1], acworth)
    single = Book(api, chart_id="ONE", start=book.start)
    for event in events(book):
        body = {k: v for k, v in event.items() if k != "appointment_id"}
        answer = single.put(f"ONE-{event['appointment_id']}", **body)
        assert answer.status_code == 201, answer.content
    rows = [
        {**event, "chart_id": "MANY", "appointment_id": f"MANY-{event['appointment_id']}",
         "length_minutes": 30, "type_code": "ADJ", "type_label": "Adjustment"}
        for event in events(book)
    ]
    answer = api.call("POST", "/api/v1/pms/orthotrac/appointments:batch", {"appointments": rows})
    assert answer.status_code == 200, answer.content
    assert {r["outcome"] for r in answer.json()["results"]} == {"created"}

    assert stored(one) == stored(many)
    assert in_effect(one) == in_effect(many) != {}
    one.refresh_from_db()
    many.refresh_from_db()
    assert one.points_balance == many.points_balance
