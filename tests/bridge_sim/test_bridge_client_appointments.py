"""HubClient's appointment calls against the live hub: put, delete, list and the
batch, with the points the practice's rules move."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from rewardshub.automations.models import Appointment, AutoAward
from rewardshub.automations.settings_actions import save_rule
from rewardshub.integrations.models import IdempotencyRecord, SyncEvent
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.reads import practice_zone
from rewardshub_bridge.client import HubClient, HubError

from .conftest import SYSTEM, Hub

CHART = "OT-10001"
LIAM = {"first_name": "Liam", "last_name": "Carter", "birth_date": "2011-03-14"}
RULES = {"kept": 5, "on_time": 3, "next_booked": 6}


@pytest.fixture
def start() -> dt.datetime:
    # After the rules are switched on (a rule pays visits from then on).
    return timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)


@pytest.fixture
def liam(hub: Hub, client: HubClient, cards: list[str]) -> Profile:
    """Liam's chart linked to a card today, with the kept / on time / next visit rules on."""
    for trigger, points in RULES.items():
        save_rule(practice=hub.practice, trigger=trigger, enabled=True, points=points, actor=SYSTEM)
    client.set_card("orthotrac", CHART, cards[0], LIAM)
    return Profile.objects.get(username=cards[0])


def visit(start: dt.datetime, status: str, **fields: object) -> dict[str, object]:
    return {
        "starts_at": start,
        "length_minutes": 30,
        "type_code": "ADJ",
        "type_label": "Adjustment",
        "office": "ACW",
        "provider": "Dr. Reyes",
        "status": status,
        **fields,
    }


def test_it_puts_an_appointment_of_a_chart_not_linked_yet(
    hub: Hub, client: HubClient, start: dt.datetime
) -> None:
    sent_at = start - dt.timedelta(days=7)

    answer = client.put_appointment(
        "orthotrac",
        CHART,
        "AP-1",
        visit(start, "scheduled", arrived_at=None),
        pms_updated_at=sent_at,
        pms_user="FRONTDESK",
    )

    assert (answer["outcome"], answer["linked"], answer["points"]) == ("created", False, [])
    assert answer["balance"] is None
    assert answer["message"] == "Appointment added (scheduled); kept until the chart is linked."
    stored = Appointment.objects.get(practice=hub.practice, appointment_id="AP-1")
    assert (stored.chart_id, stored.status, stored.profile) == (CHART, "scheduled", None)
    assert (stored.starts_at, stored.pms_updated_at) == (start, sent_at)
    assert (stored.type_label, stored.office, stored.provider) == ("Adjustment", "ACW", "Dr. Reyes")
    event = SyncEvent.objects.filter(action="appointment").latest("id")
    assert (event.outcome, event.pms_user) == ("created", "FRONTDESK")


def test_it_answers_the_points_a_linked_charts_visit_moved(
    client: HubClient, liam: Profile, start: dt.datetime
) -> None:
    answer = client.put_appointment(
        "orthotrac",
        CHART,
        "AP-1",
        visit(start, "completed", arrived_at=start, completed_at=start + dt.timedelta(minutes=30)),
        pms_updated_at=start,
    )

    moved = sorted((line["rule"], line["points"]) for line in answer["points"])
    assert (answer["outcome"], answer["linked"]) == ("created", True)
    assert moved == [("kept", 5), ("on_time", 3)]
    assert answer["balance"] == 8
    assert answer["appointment"]["points"] == 8
    liam.refresh_from_db()
    assert liam.points_balance == 8
    descriptions = set(
        LedgerEntry.objects.filter(profile=liam).values_list("description", flat=True)
    )
    # The day of the visit where the practice is, as the ledger says it.
    local = start.astimezone(practice_zone(liam.practice))
    day = f"{local:%b} {local.day}, {local.year}"
    assert f"Appointment kept: Adjustment on {day}" in descriptions


def test_it_sends_the_idempotency_key_so_a_retry_replays(
    hub: Hub, client: HubClient, liam: Profile, start: dt.datetime
) -> None:
    body = visit(start, "arrived", arrived_at=start)

    first = client.put_appointment(
        "orthotrac", CHART, "AP-1", body, pms_updated_at=start, idempotency_key="visit-1"
    )
    again = client.put_appointment(
        "orthotrac", CHART, "AP-1", body, pms_updated_at=start, idempotency_key="visit-1"
    )

    assert again == first
    assert first["points"] == [{"rule": "on_time", "points": 3, "uncollected": 0}]
    assert IdempotencyRecord.objects.get(practice=hub.practice).key == "visit-1"
    assert SyncEvent.objects.filter(action="appointment").latest("id").outcome == "replayed"
    assert AutoAward.objects.filter(profile=liam).count() == 1


def test_it_sends_pms_updated_at_so_an_older_version_changes_nothing(
    client: HubClient, liam: Profile, start: dt.datetime
) -> None:
    client.put_appointment("orthotrac", CHART, "AP-1", visit(start, "missed"), pms_updated_at=start)

    older = client.put_appointment(
        "orthotrac",
        CHART,
        "AP-1",
        visit(start, "completed", arrived_at=start),
        pms_updated_at=start - dt.timedelta(seconds=1),
    )

    assert (older["outcome"], older["points"]) == ("stale", [])
    assert Appointment.objects.get(appointment_id="AP-1").status == "missed"


def test_it_refuses_a_time_without_its_offset_before_calling(
    hub: Hub, client: HubClient, start: dt.datetime
) -> None:
    naive = start.replace(tzinfo=None)

    with pytest.raises(ValueError, match="arrived_at must be a time with its UTC offset"):
        client.put_appointment(
            "orthotrac",
            CHART,
            "AP-1",
            visit(start, "arrived", arrived_at=naive),
            pms_updated_at=start,
        )
    with pytest.raises(ValueError, match="pms_updated_at must be a time with its UTC offset"):
        client.put_appointment(
            "orthotrac", CHART, "AP-1", visit(start, "scheduled"), pms_updated_at=naive
        )
    assert not Appointment.objects.exists()


def test_it_carries_the_hubs_refusal_of_a_bad_appointment(
    client: HubClient, start: dt.datetime
) -> None:
    with pytest.raises(HubError) as caught:
        client.put_appointment(
            "orthotrac", CHART, "AP-1", visit(start, "waiting"), pms_updated_at=start
        )

    assert (caught.value.status, caught.value.code) == (422, "validation_error")
    assert "status" in caught.value.message
    assert not Appointment.objects.exists()


def test_it_deletes_an_appointment_and_the_points_go_back(
    client: HubClient, liam: Profile, start: dt.datetime
) -> None:
    client.put_appointment(
        "orthotrac", CHART, "AP-1", visit(start, "arrived", arrived_at=start), pms_updated_at=start
    )

    answer = client.delete_appointment(
        "orthotrac", CHART, "AP-1", pms_updated_at=start + dt.timedelta(minutes=1)
    )

    assert (answer["outcome"], answer["balance"]) == ("deleted", 0)
    assert answer["points"] == [{"rule": "on_time", "points": -3, "uncollected": 0}]
    stored = Appointment.objects.get(appointment_id="AP-1")
    assert stored.deleted_at is not None
    assert stored.pms_updated_at == start + dt.timedelta(minutes=1)


def test_it_carries_unknown_appointment_from_a_delete(client: HubClient, hub: Hub) -> None:
    with pytest.raises(HubError) as caught:
        client.delete_appointment("orthotrac", CHART, "AP-404")

    assert (caught.value.status, caught.value.code) == (404, "unknown_appointment")


def test_it_lists_a_charts_appointments_with_their_points(
    client: HubClient, liam: Profile, start: dt.datetime
) -> None:
    later = start + dt.timedelta(days=42)
    client.put_appointment(
        "orthotrac",
        CHART,
        "AP-2",
        visit(later, "scheduled", booked_at=start),
        pms_updated_at=start,
    )
    client.put_appointment(
        "orthotrac",
        CHART,
        "AP-1",
        visit(start, "arrived", arrived_at=start),
        pms_updated_at=start,
    )

    answer = client.appointments("orthotrac", CHART)

    assert answer["linked"] is True
    rows = [(a["id"], a["status"], a["points"]) for a in answer["appointments"]]
    assert rows == [("AP-1", "arrived", 3), ("AP-2", "scheduled", 0)]
    assert answer["appointments"][1]["booked_at"] == start.isoformat()


def test_it_quotes_appointment_ids_so_they_stay_one_path_segment(
    client: HubClient, start: dt.datetime
) -> None:
    with pytest.raises(HubError) as caught:
        client.put_appointment(
            "orthotrac", CHART, "AP-1?x=1#y", visit(start, "scheduled"), pms_updated_at=start
        )

    assert (caught.value.status, caught.value.code) == (422, "validation_error")
    assert not Appointment.objects.exists()


def test_it_sends_an_appointment_batch(
    client: HubClient, liam: Profile, start: dt.datetime
) -> None:
    answer = client.batch_appointments(
        "orthotrac",
        [
            {
                "chart_id": CHART,
                "appointment_id": "AP-1",
                **visit(start, "completed", arrived_at=start),
                "pms_updated_at": start,
            },
            {"chart_id": CHART, "appointment_id": "AP-2", **visit(start, "waiting")},
            {"chart_id": "OT-99", "appointment_id": "AP-3", **visit(start, "scheduled")},
        ],
        pms_user="NIGHTLY",
        idempotency_key="night-1",
    )

    first, second, third = answer["results"]
    assert (first["appointment_id"], first["outcome"], first["points"]) == ("AP-1", "created", 8)
    assert (second["outcome"], second["error"]) == ("error", "validation_error")
    assert (third["chart_id"], third["outcome"]) == ("OT-99", "created")
    assert set(Appointment.objects.values_list("appointment_id", flat=True)) == {"AP-1", "AP-3"}
    assert Appointment.objects.get(appointment_id="AP-1").pms_updated_at == start
    liam.refresh_from_db()
    assert liam.points_balance == 8
