"""An appointment as the API answers it, with the points it earned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet, Sum

from rewardshub.automations.actions import Outcome, Written
from rewardshub.automations.ledger import Change
from rewardshub.automations.models import Appointment, AutoAward
from rewardshub.for_ids import ForIds
from rewardshub.together import Together


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def appointment_json(appointment: Appointment, points: int) -> dict[str, Any]:
    return {
        "id": appointment.appointment_id,
        "starts_at": appointment.starts_at.isoformat(),
        "length_minutes": appointment.length_minutes,
        "type_code": appointment.type_code,
        "type_label": appointment.type_label,
        "office": appointment.office,
        "provider": appointment.provider,
        "status": appointment.status,
        "confirmed": appointment.confirmed,
        "arrived_at": _when(appointment.arrived_at),
        "completed_at": _when(appointment.completed_at),
        "booked_at": _when(appointment.booked_at),
        "deleted": appointment.deleted_at is not None,
        "points": points,
    }


def _moved(practice_id: int, appointment_ids: list[int]) -> QuerySet[AutoAward, tuple[int, int]]:
    return (
        AutoAward.objects.filter(practice_id=practice_id, appointment_id__in=appointment_ids)
        .values("appointment_id")
        .annotate(moved=Sum("points"))
        .values_list("appointment_id", "moved")
    )


# Every answer about appointments says what each earned: one appointment's read
# compiled once (rewardshub.for_ids).
MOVED = ForIds(_moved, int)


def points_earned(appointments: list[Appointment]) -> dict[int, int]:
    """Points in effect per appointment (what its rules paid, less what they took back)."""
    if not appointments:
        return {}
    practice_id = appointments[0].practice_id  # one call's appointments: one practice
    rows = MOVED.rows(practice_id, ids=[appointment.pk for appointment in appointments])
    return {appointment_id: moved or 0 for appointment_id, moved in rows}


def send_earned(reads: Together, written: Written) -> Callable[[], int]:
    """What the written appointment earned, as one of several reads sent together
    (together.py); the points, after the block. One this call created earned
    only what this call paid it (each change is one AutoAward row of its
    points), so it needs no read."""
    appointment = written.appointment
    if written.outcome == Outcome.CREATED:
        # Changes of the patient's other visits are answered here too: not this one's.
        paid = sum(c.points for c in written.changes if _of(c, appointment))
        return lambda: paid
    moved = MOVED.later(reads, appointment.practice_id, ids=[appointment.pk])
    return lambda: dict(moved()).get(appointment.pk) or 0


def _of(change: Change, appointment: Appointment) -> bool:
    return change.appointment is not None and change.appointment.pk == appointment.pk
