"""Appointments from the PMS, one at a time: the one-appointment form of the
appointment book (book.py), which writes one or a thousand the same way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rewardshub.audit.actors import Actor
from rewardshub.automations.book import (
    FIELDS,
    WRITES,
    AppointmentWrite,
    Outcome,
    Written,
    write_book,
)
from rewardshub.automations.ledger import reconcile
from rewardshub.automations.merged import retried, to_survivors
from rewardshub.automations.models import Appointment
from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

__all__ = [
    "FIELDS",
    "WRITES",
    "Outcome",
    "Where",
    "Written",
    "attach_chart",
    "attach_charts",
    "delete_appointment",
    "record_appointment",
    "retried",
]


@dataclass(frozen=True)
class Where:
    """Whose appointment: the practice, the PMS system and the chart, and the
    hub profile the chart is linked to (None while it is not)."""

    practice: Practice
    system: str
    chart_id: str
    profile: Profile | None


def _one(
    where: Where, write: AppointmentWrite, actor: Actor, survivors: dict[int, int] | None
) -> Written:
    """Write it; `survivors` (from merged.retried) says the caller runs the transaction
    and which merged profiles' writes go to their survivors (write_book's `savepoint`)."""
    linked = {where.chart_id: where.profile.pk if where.profile else None}
    (result,) = write_book(
        practice=where.practice,
        system=where.system,
        writes=[write],
        profiles=to_survivors(linked, survivors or {}),
        actor=actor,
        savepoint=survivors is None,
    )
    if isinstance(result, ActionError):
        raise result
    landed = result.profile
    if where.profile is not None and landed is not None and landed.pk == where.profile.pk:
        where.profile.points_balance = landed.points_balance
    return result


def record_appointment(
    *,
    where: Where,
    appointment_id: str,
    values: dict[str, Any],
    pms_updated_at: dt.datetime | None,
    confirmed: bool,
    actor: Actor,
    survivors: dict[int, int] | None = None,
) -> Written:
    """Create or update one appointment; an update older than the stored one
    (by the PMS's `pms_updated_at`) changes nothing and says so. `survivors`:
    run inside merged.retried, which passes them."""
    write = AppointmentWrite(where.chart_id, appointment_id, values, pms_updated_at, confirmed)
    return _one(where, write, actor, survivors)


def delete_appointment(
    *,
    where: Where,
    appointment_id: str,
    pms_updated_at: dt.datetime | None,
    actor: Actor,
    survivors: dict[int, int] | None = None,
) -> Written:
    """The PMS deleted the appointment: keep the row, marked, and take back what it earned."""
    write = AppointmentWrite(where.chart_id, appointment_id, None, pms_updated_at)
    return _one(where, write, actor, survivors)


def attach_chart(where: Where, *, actor: Actor) -> int:
    """A chart was linked: its appointments kept until now join the profile,
    and the rules pay what they give. In the linking transaction."""
    assert where.profile is not None
    count = Appointment.objects.filter(
        practice=where.practice, system=where.system, chart_id=where.chart_id, profile__isnull=True
    ).update(profile=where.profile)
    if count:
        reconcile(where.practice, where.profile, actor=actor)
    return count


def attach_charts(practice: Practice, system: str, profiles: dict[str, int]) -> int:
    """`attach_chart` for a batch of new links (chart id -> profile id) to profiles
    with no card yet, which nothing is paid to: one read when none was kept."""
    held = list(
        Appointment.objects.filter(
            practice=practice, system=system, chart_id__in=list(profiles), profile__isnull=True
        ).only("pk", "chart_id")
    )
    for appointment in held:
        appointment.profile_id = profiles[appointment.chart_id]
    Appointment.objects.bulk_update(held, ["profile"])
    return len(held)
