"""The appointment calls of the integration API (docs/integration-api.md): the
PMS's appointment book, one appointment at a time or up to 1,000 in a batch.

An appointment is kept whether or not its chart is linked; the practice's
automatic-point rules (rewardshub.automations) pay from it once the chart is
linked to a profile with a card. Each call answers what it did and what
points it moved.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from ninja import Query, Router
from pydantic import ValidationError

from rewardshub.automations.actions import (
    WRITES,
    Outcome,
    Where,
    Written,
    delete_appointment,
    record_appointment,
    retried,
)
from rewardshub.automations.book import AppointmentWrite, write_book
from rewardshub.automations.models import Appointment, AppointmentStatus
from rewardshub.automations.state import lock_free_profiles
from rewardshub.errors import ActionError
from rewardshub.integrations import sync
from rewardshub.integrations.api_patients import ERRORS, ChartIdPath, IdempotencyHeader, SystemPath
from rewardshub.integrations.api_support import Result, pms_call, validation_message
from rewardshub.integrations.appointment_json import (
    appointment_json,
    points_earned,
    send_earned,
)
from rewardshub.integrations.appointment_schemas import (
    AppointmentBatchIn,
    AppointmentBatchOut,
    AppointmentDeleteQuery,
    AppointmentIdPath,
    AppointmentIn,
    AppointmentsOut,
    AppointmentWrittenOut,
    BatchAppointmentIn,
)
from rewardshub.integrations.models import PmsLink, SyncAction, SyncOutcome
from rewardshub.integrations.sync_log import SyncLogRows
from rewardshub.together import Together
from rewardshub.wording import count_of

router = Router(tags=["appointments"])


def chart_profiles(caller: sync.Caller, chart_ids: list[str]) -> dict[str, int | None]:
    """The id of each chart's linked profile (None: not linked), in one query."""
    found = dict(
        PmsLink.objects.filter(
            practice=caller.practice, system=caller.system, chart_id__in=set(chart_ids)
        ).values_list("chart_id", "profile_id")
    )
    return {chart_id: found.get(chart_id) for chart_id in chart_ids}


def chart_where(caller: sync.Caller, chart_id: str) -> Where:
    # The transaction's BEGIN goes with the read (together.py), not in a round trip of its own.
    with Together():
        link = sync.chart_link(caller, chart_id)
    return Where(caller.practice, caller.system, chart_id, link.profile if link else None)


_SYNC_OUTCOME = {
    Outcome.CREATED: SyncOutcome.CREATED,
    Outcome.UPDATED: SyncOutcome.UPDATED,
    Outcome.UNCHANGED: SyncOutcome.UNCHANGED,
    Outcome.STALE: SyncOutcome.UNCHANGED,
    Outcome.DELETED: SyncOutcome.UPDATED,
}


def _log_message(written: Written, linked: bool) -> str:
    moved = sum(change.points for change in written.changes)
    status = AppointmentStatus(written.appointment.status).label.lower()
    text = {
        Outcome.CREATED: f"Appointment added ({status})",
        Outcome.UPDATED: f"Appointment updated ({status})",
        Outcome.UNCHANGED: "Appointment unchanged",
        Outcome.STALE: "Older appointment update ignored",
        Outcome.DELETED: "Appointment deleted",
    }[written.outcome]
    if not linked:
        return f"{text}; kept until the chart is linked."
    if moved:
        return f"{text}; automatic points {moved:+d}."
    return f"{text}."


def _answer(caller: sync.Caller, written: Written, where: Where) -> dict[str, Any]:
    """Log the call (`log_written`) and answer it, in one round trip on PostgreSQL
    (together.py): the Sync log's INSERT and the read of what the appointment
    earned (appointment_json.send_earned)."""
    with Together() as reads:
        log_written(caller, written, where)
        earned = send_earned(reads, written)
    # The profile the write landed on: the survivor if the chart's profile was merged meanwhile.
    profile = written.profile
    return {
        "outcome": written.outcome,
        "message": written.message or _log_message(written, profile is not None),
        "linked": profile is not None,
        "appointment": appointment_json(written.appointment, earned()),
        "points": [
            {"rule": c.rule.trigger, "points": c.points, "uncollected": c.uncollected}
            for c in written.changes
        ],
        "balance": profile.points_balance if profile is not None else None,
    }


def log_written(caller: sync.Caller, written: Written, where: Where) -> None:
    """The call's Sync log row; its audit row only where nothing was written (an
    appointment written has its own "appointment.write" event)."""
    sync.record_sync(
        caller,
        where.chart_id,
        SyncAction.APPOINTMENT,
        _SYNC_OUTCOME[written.outcome],
        written.profile,
        _log_message(written, written.profile is not None),
        audited=written.outcome in WRITES,
    )


@router.put(
    "/pms/{system}/patients/{chart_id}/appointments/{appointment_id}",
    response={200: AppointmentWrittenOut, 201: AppointmentWrittenOut, **ERRORS},
    summary="Appointment: create or update one (automatic points follow its status)",
)
@pms_call(SyncAction.APPOINTMENT)
def put_appointment(
    caller: sync.Caller,
    request: HttpRequest,
    payload: AppointmentIn,
    system: str = SystemPath,
    chart_id: str = ChartIdPath,
    appointment_id: str = AppointmentIdPath,
    idempotency_key: str | None = IdempotencyHeader,
) -> Result:
    def write(survivors: dict[int, int]) -> Result:
        where = chart_where(caller, chart_id)
        written = record_appointment(
            where=where,
            appointment_id=appointment_id,
            values=payload.values(),
            pms_updated_at=payload.pms_updated_at,
            confirmed=payload.confirmed,
            actor=caller.actor,
            survivors=survivors,
        )
        status = 201 if written.outcome == Outcome.CREATED else 200
        return status, _answer(caller, written, where)

    return retried(write)


@router.delete(
    "/pms/{system}/patients/{chart_id}/appointments/{appointment_id}",
    response={200: AppointmentWrittenOut, **ERRORS},
    summary="Appointment: the PMS deleted it; what it earned is taken back",
)
@pms_call(SyncAction.APPOINTMENT)
def remove_appointment(
    caller: sync.Caller,
    request: HttpRequest,
    system: str = SystemPath,
    chart_id: str = ChartIdPath,
    appointment_id: str = AppointmentIdPath,
    query: AppointmentDeleteQuery = Query(...),  # noqa: B008 - ninja's way to declare query params
) -> Result:
    sent = query.pms_updated_at

    def write(survivors: dict[int, int]) -> Result:
        where = chart_where(caller, chart_id)
        written = delete_appointment(
            where=where,
            appointment_id=appointment_id,
            pms_updated_at=sent,
            actor=caller.actor,
            survivors=survivors,
        )
        return 200, _answer(caller, written, where)

    return retried(write)


@router.get(
    "/pms/{system}/patients/{chart_id}/appointments",
    response={200: AppointmentsOut, **ERRORS},
    summary="Appointments: what the hub knows of the chart's, with the points each earned",
)
@pms_call(SyncAction.APPOINTMENT)
def list_appointments(
    caller: sync.Caller, request: HttpRequest, system: str = SystemPath, chart_id: str = ChartIdPath
) -> Result:
    with transaction.atomic():
        where = chart_where(caller, chart_id)
        appointments = list(
            Appointment.objects.filter(
                practice=caller.practice, system=caller.system, chart_id=chart_id
            ).order_by("starts_at", "id")
        )
        earned = points_earned(appointments)
        sync.record_sync(
            caller,
            chart_id,
            SyncAction.APPOINTMENT,
            SyncOutcome.REPORTED,
            where.profile,
            f"Read {count_of(len(appointments), 'appointment')}.",
        )
        return 200, {
            "linked": where.profile is not None,
            "appointments": [appointment_json(a, earned.get(a.pk, 0)) for a in appointments],
        }


@router.post(
    "/pms/{system}/appointments:batch",
    response={200: AppointmentBatchOut, **ERRORS},
    summary="Appointments batch: up to 1,000 creates, updates or deletes, each with its outcome",
)
@pms_call(SyncAction.APPOINTMENT)
def batch(
    caller: sync.Caller,
    request: HttpRequest,
    payload: AppointmentBatchIn,
    system: str = SystemPath,
    idempotency_key: str | None = IdempotencyHeader,
) -> Result:
    results: list[dict[str, Any] | None] = []
    writes: list[tuple[int, AppointmentWrite]] = []
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(payload.appointments):
        ids = row if isinstance(row, dict) else {}
        chart_id = str(ids.get("chart_id", ""))[:64]
        appointment_id = str(ids.get("appointment_id", ""))[:64]
        head = {"chart_id": chart_id, "appointment_id": appointment_id}
        try:
            parsed = BatchAppointmentIn.model_validate(row)
        except ValidationError as exc:
            message = validation_message(exc.errors(include_url=False))  # type: ignore[arg-type]
            results.append({**head, **_error("validation_error", message)})
            continue
        if (parsed.chart_id, parsed.appointment_id) in seen:
            message = (
                "This appointment appears more than once in the batch; only its first row was used."
            )
            results.append({**head, **_error("duplicate_appointment", message)})
            continue
        seen.add((parsed.chart_id, parsed.appointment_id))
        values = None if parsed.deleted else parsed.values()
        writes.append(
            (
                index,
                AppointmentWrite(
                    parsed.chart_id,
                    parsed.appointment_id,
                    values,
                    parsed.pms_updated_at,
                    parsed.confirmed,
                ),
            )
        )
        results.append(None)
    # On PostgreSQL first the events of the patients no other call is writing,
    # then, in a second transaction, the rest, waiting for their locks: two
    # batches that share a few patients run side by side, not one after the other.
    left = _apply_batch(caller, writes, results, wait=not _skip_locked())
    if left:
        _apply_batch(caller, left, results, wait=True)
    return 200, {"results": results}


def _skip_locked() -> bool:
    return bool(connection.features.has_select_for_update_skip_locked)


def _apply_batch(
    caller: sync.Caller,
    writes: list[tuple[int, AppointmentWrite]],
    results: list[dict[str, Any] | None],
    *,
    wait: bool,
) -> list[tuple[int, AppointmentWrite]]:
    """Apply the batch's writes in one transaction, each answer at its index in
    `results`. Without `wait` the writes of profiles another transaction holds
    are left for a second call, and returned (all of a profile's, in order)."""
    with transaction.atomic():
        profiles = chart_profiles(caller, [write.chart_id for _, write in writes])
        left: list[tuple[int, AppointmentWrite]] = []
        if not wait:
            linked = {pk for pk in profiles.values() if pk is not None}
            busy = linked - lock_free_profiles(caller.practice, linked)
            left = [(i, w) for i, w in writes if profiles[w.chart_id] in busy]
            writes = [(i, w) for i, w in writes if profiles[w.chart_id] not in busy]
        done = write_book(
            practice=caller.practice,
            system=caller.system,
            writes=[write for _, write in writes],
            # Only this transaction's charts: write_book locks each one's profile.
            profiles={w.chart_id: profiles[w.chart_id] for _, w in writes},
            actor=caller.actor,
        )
        log = SyncLogRows(caller, SyncAction.APPOINTMENT)
        for (index, write), result in zip(writes, done, strict=True):
            head = {"chart_id": write.chart_id, "appointment_id": write.appointment_id}
            if isinstance(result, ActionError):
                results[index] = {**head, **_error(result.code, result.message)}
                log.keep(
                    log.rows(write.chart_id, SyncOutcome.ERROR, None, result.message, result.code)
                )
                continue
            profile_id = result.profile.pk if result.profile is not None else None
            message = _log_message(result, profile_id is not None)
            results[index] = {
                **head,
                "outcome": result.outcome,
                "message": result.message or message,
                "points": sum(change.points for change in result.changes),
            }
            log.keep(
                log.rows(
                    write.chart_id,
                    _SYNC_OUTCOME[result.outcome],
                    profile_id,
                    message,
                    audited=result.outcome in WRITES,
                )
            )
        log.write()
    return left


def _error(code: str, message: str) -> dict[str, Any]:
    return {"outcome": "error", "error": code, "message": message}
