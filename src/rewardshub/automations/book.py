"""The appointment book: writing what the PMS says about appointments, one or
a thousand at a time, the same way.

Each write is decided on its own (created, updated, unchanged, stale,
deleted, or refused) against the stored row, in memory; then all of them are
written in a few statements, audited, and the rules' changes for every
profile they touch are planned and posted (ledger.py). The lock order is the
same as every other writer of points: the profiles first (in id order), then
the appointments.

The caller reads each chart's linked profile before the write takes its
locks; a profile merge may commit in between (it moves the chart's link and
appointments to the survivor and leaves a tombstone). A locked profile found
merged sends the write back to its start on the survivor, the merge's locks
released (the atomic block rolls back), so nothing lands on a tombstone.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from rewardshub.audit.actions import EventRows
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import Outcome as AuditOutcome
from rewardshub.automations.ledger import Change, plan, write_plans
from rewardshub.automations.merged import (
    MAX_MERGES_FOLLOWED,
    Merged,
    check_not_merged,
    merge_storm,
    to_survivors,
)
from rewardshub.automations.models import Appointment, AppointmentStatus
from rewardshub.automations.state import ProfileState, send_rules, send_states
from rewardshub.errors import ActionError
from rewardshub.fastsql import Rows
from rewardshub.for_ids import ForIds
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice
from rewardshub.together import Together

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
STALE_MESSAGE = (
    "The hub has a newer version of this appointment (pms_updated_at); nothing was changed."
)


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"
    DELETED = "deleted"


@dataclass(frozen=True)
class AppointmentWrite:
    """What the PMS said about one appointment: its values, or None when it deleted it."""

    chart_id: str
    appointment_id: str
    values: dict[str, Any] | None
    pms_updated_at: dt.datetime | None = None
    confirmed: bool = False


@dataclass
class Written:
    outcome: str
    appointment: Appointment
    changes: list[Change] = field(default_factory=list)
    message: str = ""
    # The chart's profile, locked, with its balance at the commit (None: not
    # linked). The survivor when the profile the caller named was merged meanwhile.
    profile: Profile | None = None


@dataclass
class _Decision:
    outcome: str
    appointment: Appointment
    # Whether the stored row changes (an unchanged one may still take a newer pms_updated_at).
    save: bool = True


def other_chart_error() -> ActionError:
    return ActionError(
        "appointment_on_other_chart",
        "This appointment id belongs to another chart in the hub. Send it under that chart, "
        "or delete it there first if the PMS moved it.",
        status=409,
    )


def unknown_appointment_error() -> ActionError:
    return ActionError(
        "unknown_appointment",
        "The hub has no appointment with this id on this chart; nothing was deleted. "
        "Check the appointment id the PMS sent.",
        status=404,
    )


def _stale(appointment: Appointment, sent: dt.datetime | None) -> bool:
    """Older than the version the hub has (the same version is answered as unchanged)."""
    known = appointment.pms_updated_at
    return sent is not None and known is not None and sent < known


def _same_version(appointment: Appointment, sent: dt.datetime | None) -> bool:
    return sent is not None and sent == appointment.pms_updated_at


def _decide(
    write: AppointmentWrite, stored: Appointment | None, profile: Profile | None, now: dt.datetime
) -> _Decision | ActionError:
    """What one write does to the stored row (changing it in memory), or why it is refused."""
    if stored is not None and stored.chart_id != write.chart_id:
        return other_chart_error()
    if write.values is None:
        if stored is None:
            return unknown_appointment_error()
        if stored.deleted_at is not None:
            return _Decision(Outcome.UNCHANGED, stored, save=False)
        if _stale(stored, write.pms_updated_at):
            return _Decision(Outcome.STALE, stored, save=False)
        stored.deleted_at = now
        stored.pms_updated_at = write.pms_updated_at or stored.pms_updated_at
        return _Decision(Outcome.DELETED, stored)
    confirmed = write.confirmed or write.values["status"] == AppointmentStatus.CONFIRMED
    if stored is None:
        appointment = Appointment(
            chart_id=write.chart_id,
            appointment_id=write.appointment_id,
            profile=profile,
            pms_updated_at=write.pms_updated_at,
            confirmed=confirmed,
            **write.values,
        )
        return _Decision(Outcome.CREATED, appointment)
    if _stale(stored, write.pms_updated_at):
        return _Decision(Outcome.STALE, stored, save=False)
    if _same_version(stored, write.pms_updated_at) and stored.deleted_at is None:
        # The same version again (a retry): whatever it says, the hub has it.
        return _Decision(Outcome.UNCHANGED, stored, save=False)
    changed = any(getattr(stored, name) != value for name, value in write.values.items())
    changed |= confirmed and not stored.confirmed
    changed |= stored.deleted_at is not None
    changed |= stored.profile_id != (profile.pk if profile else None)
    newer = write.pms_updated_at is not None and write.pms_updated_at != stored.pms_updated_at
    if write.pms_updated_at is not None:
        stored.pms_updated_at = write.pms_updated_at
    if not changed:
        return _Decision(Outcome.UNCHANGED, stored, save=newer)
    for name, value in write.values.items():
        setattr(stored, name, value)
    stored.confirmed = stored.confirmed or confirmed
    stored.deleted_at = None
    stored.profile = profile
    return _Decision(Outcome.UPDATED, stored)


def write_book(
    *,
    practice: Practice,
    system: str,
    writes: list[AppointmentWrite],
    profiles: dict[str, int | None],
    actor: Actor,
    savepoint: bool = True,
) -> list[Written | ActionError]:
    """Apply the writes (at most one per appointment id) in one transaction; each
    answers what it did, or the ActionError that refused it. `profiles` gives
    the id of each chart's linked profile (None: not linked, kept until it is),
    as read before this call; one merged since is written to its survivor.

    The writes go in a savepoint of their own, tried again after a racing
    creation or a merge. `savepoint=False` is for a caller that runs the whole
    transaction through `retried`: the writes are then part of it, and what
    would be tried again ends the transaction for `retried` to run it again,
    two statements fewer a call (BENCHMARKS.md, "The write's savepoint")."""
    if not savepoint:
        return _write_book(practice, system, writes, profiles, actor, savepoint=False)
    merged: Merged | None = None
    for _ in range(1 + MAX_MERGES_FOLLOWED):
        try:
            try:
                return _write_book(practice, system, writes, profiles, actor)
            except IntegrityError:
                # Another call created one of these appointments at the same moment
                # (PostgreSQL); on the second try the hub finds it and updates it.
                return _write_book(practice, system, writes, profiles, actor)
        except Merged as exc:
            merged = exc
            profiles = to_survivors(profiles, exc.survivors)
    assert merged is not None
    raise merge_storm(merged)


def _write_book(
    practice: Practice,
    system: str,
    writes: list[AppointmentWrite],
    profiles: dict[str, int | None],
    actor: Actor,
    *,
    savepoint: bool = True,
) -> list[Written | ActionError]:
    now = timezone.now()
    with ExitStack() as held:
        linked = sorted({pk for pk in profiles.values() if pk is not None})
        # One round trip on PostgreSQL for every read (together.py), and for the
        # transaction's savepoint, sent first, with them.
        with Together() as reads:
            held.enter_context(transaction.atomic(savepoint=savepoint))
            rules_sent = send_rules(reads, practice)
            states_sent = send_states(reads, practice, linked)
            stored_sent = _STORED.later(
                reads, practice.pk, system, ids=[w.appointment_id for w in writes]
            )
        rules = rules_sent()
        states = states_sent(rules)
        check_not_merged(states)
        stored = {a.appointment_id: a for a in stored_sent()}
        # Whose appointment each stored one was, before this call moves it.
        was_with = {a.pk: a.profile_id for a in stored.values()}
        decided: list[_Decision | ActionError] = []
        for write in writes:
            pk = profiles.get(write.chart_id)
            profile = states[pk].profile if pk in states else None  # the locked row
            decided.append(_decide(write, stored.get(write.appointment_id), profile, now))
        done = [d for d in decided if isinstance(d, _Decision)]
        # One write's statements go out in two round trips on PostgreSQL: the
        # INSERTs whose ids later rows need, then the rest (together.py).
        with Together(enabled=len(writes) == 1):
            _create(
                practice, system, [d.appointment for d in done if d.outcome == Outcome.CREATED], now
            )
            changed = [d.appointment for d in done if d.save and d.outcome != Outcome.CREATED]
            if changed:
                for appointment in changed:
                    appointment.updated_at = now
                Appointment.objects.bulk_update(changed, [*_STORED_FIELDS, "updated_at"])
            written = [d for d in done if d.outcome in WRITES]
            audits = EventRows(practice_id=practice.pk, actor=actor, created_at=now)
            for d in written:
                detail = {
                    "appointment": str(d.appointment.public_id),
                    "status": d.appointment.status,
                    "outcome": d.outcome,
                }
                audits.add(d.appointment.profile_id, "appointment.write", AuditOutcome.OK, detail)
            touched: set[int] = set()
            for d in written:
                appointment = d.appointment
                before = was_with.get(appointment.pk)
                if before in states:
                    states[before].appointments.pop(appointment.pk, None)
                    touched.add(before)
                if appointment.profile_id in states:
                    states[appointment.profile_id].appointments[appointment.pk] = appointment
                    touched.add(appointment.profile_id)
            changes = [c for pk in sorted(touched) for c in plan(rules, states[pk])]
            # The appointments' events and the points' in one write, last: a
            # batch's holds its chain's head only from there to its COMMIT.
            write_plans(practice, changes, actor=actor, zone=rules.zone, audits=audits)
            audits.write()
    # Each change is answered by the write of its appointment; a change of
    # another appointment (a visit that now has its next one booked) by the
    # last write of the same patient.
    written_pks = {d.appointment.pk for d in written}
    last_of = {d.appointment.profile_id: d.appointment.pk for d in written}
    by_appointment: dict[int, list[Change]] = {}
    for change in changes:
        assert change.appointment is not None and change.profile is not None
        pk = change.appointment.pk
        if pk not in written_pks:
            pk = last_of.get(change.profile.pk, pk)
        by_appointment.setdefault(pk, []).append(change)
    return [
        d
        if isinstance(d, ActionError)
        else Written(
            d.outcome,
            d.appointment,
            by_appointment.get(d.appointment.pk, []) if d.outcome in WRITES else [],
            STALE_MESSAGE if d.outcome == Outcome.STALE else "",
            _profile(states, profiles.get(write.chart_id)),
        )
        for write, d in zip(writes, decided, strict=True)
    ]


def _profile(states: dict[int, ProfileState], profile_id: int | None) -> Profile | None:
    state = states.get(profile_id) if profile_id is not None else None
    return state.profile if state is not None else None


def _create(
    practice: Practice, system: str, created: list[Appointment], now: dt.datetime
) -> None:
    """INSERT new appointments in one statement and give each the id it returns."""
    if not created:
        return
    rows = Rows(
        Appointment,
        {"practice_id": practice.pk, "system": system, "created_at": now, "updated_at": now},
        _NEW_COLUMNS,
    )
    for appointment in created:
        appointment.practice = practice
        appointment.system = system
        appointment.created_at = appointment.updated_at = now
        rows.add(*[getattr(appointment, name) for name in _NEW_COLUMNS])
    ids = rows.write_ids("appointment_id")
    for appointment, pk in zip(created, ids, strict=True):
        appointment.pk = pk
        appointment._state.adding = False
        appointment._state.db = "default"


def _stored(practice_id: int, system: str, ids: list[str]) -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        practice_id=practice_id, system=system, appointment_id__in=ids
    ).select_for_update()


# A single write's reads compiled once, as load_states' are.
_STORED = ForIds(_stored, int, str, item=str, kind="models")
_STORED_FIELDS = (*FIELDS, "confirmed", "pms_updated_at", "deleted_at", "profile")
# A new appointment's own values, as plain values (the rest is the call's).
_NEW_COLUMNS = (
    "public_id",
    "chart_id",
    "appointment_id",
    "profile_id",
    *FIELDS,
    "confirmed",
    "pms_updated_at",
)
WRITES = (Outcome.CREATED, Outcome.UPDATED, Outcome.DELETED)
