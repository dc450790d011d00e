"""Appointments from the PMS: store each as the PMS last described it and
let the rules pay (automations/ledger.py), in one transaction with its audit row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.automations.ledger import Change, reconcile
from rewardshub.automations.models import Appointment, AppointmentStatus
from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import lock_profile
from rewardshub.practices.models import Practice

# The fields a PUT sets, as the PMS sends them (the appointment's own values).
FIELDS = (
    "starts_at",
    "length_minutes",
    "type_code",
    "type_label",
    "office",
    "provider",
    "status",
    "arrived_at",
    "completed_at",
    "booked_at",
)


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"
    DELETED = "deleted"


@dataclass
class Written:
    outcome: str
    appointment: Appointment
    changes: list[Change] = field(default_factory=list)
    message: str = ""


@dataclass(frozen=True)
class Where:
    """Whose appointment: the practice, the PMS system and the chart, and the
    hub profile the chart is linked to (None while it is not)."""

    practice: Practice
    system: str
    chart_id: str
    profile: Profile | None


def _stale(appointment: Appointment, sent: dt.datetime | None) -> bool:
    known = appointment.pms_updated_at
    return sent is not None and known is not None and sent <= known


def _locked(where: Where, appointment_id: str) -> Appointment | None:
    return (
        Appointment.objects.select_for_update()
        .filter(practice=where.practice, system=where.system, appointment_id=appointment_id)
        .first()
    )


def _other_chart(where: Where) -> ActionError:
    return ActionError(
        "appointment_on_other_chart",
        "This appointment id belongs to another chart in the hub. Send it under that chart, "
        "or delete it there first if the PMS moved it.",
        status=409,
    )


def _audit(where: Where, appointment: Appointment, outcome: str, actor: Actor) -> None:
    record_event(
        practice=where.practice,
        actor=actor,
        action="appointment.write",
        profile=where.profile,
        detail={
            "appointment": str(appointment.public_id),
            "status": appointment.status,
            "outcome": outcome,
        },
    )


def record_appointment(
    *,
    where: Where,
    appointment_id: str,
    values: dict[str, Any],
    pms_updated_at: dt.datetime | None,
    confirmed: bool,
    actor: Actor,
) -> Written:
    """Create or update one appointment; an update older than the stored one
    (by the PMS's `pms_updated_at`) changes nothing and says so."""
    with transaction.atomic():
        if where.profile is not None:
            lock_profile(where.practice, where.profile)
        appointment = _locked(where, appointment_id)
        created = False
        if appointment is None:
            try:
                with transaction.atomic():
                    appointment = Appointment.objects.create(
                        practice=where.practice,
                        system=where.system,
                        chart_id=where.chart_id,
                        appointment_id=appointment_id,
                        profile=where.profile,
                        pms_updated_at=pms_updated_at,
                        confirmed=confirmed or values["status"] == AppointmentStatus.CONFIRMED,
                        **values,
                    )
                created = True
            except IntegrityError:
                # The same appointment created at the same moment by another call.
                appointment = _locked(where, appointment_id)
                assert appointment is not None
        if appointment.chart_id != where.chart_id:
            raise _other_chart(where)
        outcome = Outcome.CREATED
        if not created:
            if _stale(appointment, pms_updated_at):
                return Written(
                    Outcome.STALE,
                    appointment,
                    message="The hub has a newer version of this appointment (pms_updated_at); "
                    "nothing was changed.",
                )
            outcome = _update(appointment, where, values, pms_updated_at, confirmed)
            if outcome == Outcome.UNCHANGED:
                return Written(outcome, appointment)
        _audit(where, appointment, outcome, actor)
        changes = reconcile(where.practice, where.profile, actor=actor) if where.profile else []
        return Written(outcome, appointment, changes)


def _update(
    appointment: Appointment,
    where: Where,
    values: dict[str, Any],
    sent: dt.datetime | None,
    confirmed: bool,
) -> str:
    confirmed = (
        appointment.confirmed or confirmed or values["status"] == AppointmentStatus.CONFIRMED
    )
    changed = [name for name, value in values.items() if getattr(appointment, name) != value]
    if appointment.confirmed != confirmed:
        changed.append("confirmed")
    revived = appointment.deleted_at is not None
    relinked = appointment.profile_id != (where.profile.pk if where.profile else None)
    if not changed and not revived and not relinked:
        if sent is not None and sent != appointment.pms_updated_at:
            appointment.pms_updated_at = sent
            appointment.save(update_fields=["pms_updated_at", "updated_at"])
        return Outcome.UNCHANGED
    for name, value in values.items():
        setattr(appointment, name, value)
    appointment.confirmed = confirmed
    appointment.deleted_at = None
    appointment.profile = where.profile
    if sent is not None:
        appointment.pms_updated_at = sent
    appointment.save()
    return Outcome.UPDATED


def delete_appointment(
    *, where: Where, appointment_id: str, pms_updated_at: dt.datetime | None, actor: Actor
) -> Written:
    """The PMS deleted the appointment: keep the row, marked, and take back what it earned."""
    with transaction.atomic():
        if where.profile is not None:
            lock_profile(where.practice, where.profile)
        appointment = _locked(where, appointment_id)
        if appointment is None or appointment.chart_id != where.chart_id:
            raise ActionError(
                "unknown_appointment",
                "The hub has no appointment with this id on this chart; nothing was deleted. "
                "Check the appointment id the PMS sent.",
                status=404,
            )
        if appointment.deleted_at is not None:
            return Written(Outcome.UNCHANGED, appointment, message="Already deleted.")
        if _stale(appointment, pms_updated_at):
            return Written(
                Outcome.STALE,
                appointment,
                message="The hub has a newer version of this appointment (pms_updated_at); "
                "nothing was deleted.",
            )
        appointment.deleted_at = timezone.now()
        if pms_updated_at is not None:
            appointment.pms_updated_at = pms_updated_at
        appointment.save(update_fields=["deleted_at", "pms_updated_at", "updated_at"])
        _audit(where, appointment, Outcome.DELETED, actor)
        changes = reconcile(where.practice, where.profile, actor=actor) if where.profile else []
        return Written(Outcome.DELETED, appointment, changes)


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
