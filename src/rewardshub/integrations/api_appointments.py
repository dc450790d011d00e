"""The appointment calls of the integration API (docs/integration-api.md): the
PMS's appointment book, one appointment at a time or up to 1,000 in a batch.

An appointment is kept whether or not its chart is linked; the practice's
automatic-point rules (rewardshub.automations) pay from it once the chart is
linked to a profile with a card. Each call answers what it did and what
points it moved.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import AwareDatetime, BeforeValidator, Field, StringConstraints, ValidationError
from pydantic_core import PydanticCustomError

from rewardshub.automations.actions import (
    FIELDS,
    Outcome,
    Where,
    Written,
    delete_appointment,
    record_appointment,
)
from rewardshub.automations.models import Appointment, AppointmentStatus, AutoAward
from rewardshub.errors import ActionError
from rewardshub.integrations import sync
from rewardshub.integrations.api_patients import ERRORS, ChartIdPath, IdempotencyHeader, SystemPath
from rewardshub.integrations.api_support import Result, pms_call, validation_message
from rewardshub.integrations.models import SyncAction, SyncOutcome
from rewardshub.integrations.schemas import (
    CHART_ID_PATTERN,
    MAX_BATCH,
    NO_NUL,
    STRIP,
    BodyIn,
    ChartId,
    Short,
    whole_number,
)
from rewardshub.wording import count_of

router = Router(tags=["appointments"])

AppointmentIdPath = Path(
    ..., pattern=CHART_ID_PATTERN, description="The PMS's id of the appointment."
)
Label = Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL), STRIP]
Code = Annotated[str, StringConstraints(max_length=40, pattern=NO_NUL), STRIP]
Status = Literal["scheduled", "confirmed", "arrived", "seated", "completed", "missed", "cancelled"]


ISO_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}")


def _iso_text(value: Any) -> Any:
    # Only ISO 8601 text: pydantic would also read a number (or a number in a
    # string, as a query parameter always is) as seconds since 1970.
    if value is not None and not (isinstance(value, str) and ISO_TIME.match(value)):
        raise PydanticCustomError(
            "datetime_type", "Input should be a time written as ISO 8601 with its UTC offset"
        )
    return value


# A time with its UTC offset, as ISO 8601 text (2026-12-04T09:30:00-05:00).
When = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


class AppointmentIn(BodyIn):
    starts_at: When = Field(
        description="Scheduled start, ISO 8601 with its UTC offset (2026-12-04T09:30:00-05:00)."
    )
    length_minutes: Annotated[
        int, Field(ge=0, le=24 * 60, strict=True), BeforeValidator(whole_number)
    ] = 0
    type_code: Code = Field("", description="Appointment type or procedure code.")
    type_label: Label = Field("", description="The type's name, e.g. Adjustment.")
    office: Code = ""
    provider: Label = ""
    status: Status
    confirmed: bool = Field(
        False, description="The patient confirmed (kept once set, through arrival and check-out)."
    )
    arrived_at: When | None = None
    completed_at: When | None = None
    booked_at: When | None = Field(
        None, description="When the PMS booked it (for 'next visit booked before leaving')."
    )
    pms_updated_at: When | None = Field(
        None,
        description="The PMS's time of this version; an update not newer than the hub's "
        "changes nothing (answered as outcome 'stale').",
    )
    pms_user: Short | None = None

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


class BatchAppointmentIn(AppointmentIn):
    chart_id: ChartId
    appointment_id: ChartId
    deleted: bool = Field(False, description="The PMS deleted it: take back what it earned.")


class AppointmentBatchIn(BodyIn):
    appointments: list[dict[str, Any]] = Field(max_length=MAX_BATCH)
    pms_user: Short | None = None


class AppointmentDeleteQuery(Schema):
    pms_updated_at: When | None = None


class PointsMoved(Schema):
    rule: str
    points: int
    uncollected: int


class AppointmentOut(Schema):
    id: str
    starts_at: str
    length_minutes: int
    type_code: str
    type_label: str
    office: str
    provider: str
    status: str
    confirmed: bool
    arrived_at: str | None
    completed_at: str | None
    booked_at: str | None
    deleted: bool
    points: int


class AppointmentWrittenOut(Schema):
    outcome: str
    message: str
    linked: bool
    appointment: AppointmentOut
    points: list[PointsMoved]
    balance: int | None


class AppointmentsOut(Schema):
    linked: bool
    appointments: list[AppointmentOut]


class AppointmentBatchResult(Schema):
    chart_id: str
    appointment_id: str
    outcome: str
    message: str = ""
    error: str | None = None
    points: int = 0


class AppointmentBatchOut(Schema):
    results: list[AppointmentBatchResult]


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


def _earned(appointments: list[Appointment]) -> dict[int, int]:
    """Points in effect per appointment (what its rules paid, less what they took back)."""
    rows = (
        AutoAward.objects.filter(appointment__in=appointments)
        .values("appointment_id")
        .annotate(moved=Sum("points"))
    )
    return {row["appointment_id"]: row["moved"] or 0 for row in rows}


def _where(caller: sync.Caller, chart_id: str) -> Where:
    link = sync.chart_link(caller, chart_id)
    return Where(caller.practice, caller.system, chart_id, link.profile if link else None)


_SYNC_OUTCOME = {
    Outcome.CREATED: SyncOutcome.CREATED,
    Outcome.UPDATED: SyncOutcome.UPDATED,
    Outcome.UNCHANGED: SyncOutcome.UNCHANGED,
    Outcome.STALE: SyncOutcome.UNCHANGED,
    Outcome.DELETED: SyncOutcome.UPDATED,
}


def _log_message(written: Written, where: Where) -> str:
    moved = sum(change.points for change in written.changes)
    status = AppointmentStatus(written.appointment.status).label.lower()
    text = {
        Outcome.CREATED: f"Appointment added ({status})",
        Outcome.UPDATED: f"Appointment updated ({status})",
        Outcome.UNCHANGED: "Appointment unchanged",
        Outcome.STALE: "Older appointment update ignored",
        Outcome.DELETED: "Appointment deleted",
    }[written.outcome]
    if where.profile is None:
        return f"{text}; kept until the chart is linked."
    if moved:
        return f"{text}; automatic points {moved:+d}."
    return f"{text}."


def _written_body(written: Written, where: Where) -> dict[str, Any]:
    profile = where.profile
    if profile is not None:
        profile.refresh_from_db(fields=["points_balance"])
    earned = _earned([written.appointment]).get(written.appointment.pk, 0)
    return {
        "outcome": written.outcome,
        "message": written.message or _log_message(written, where),
        "linked": profile is not None,
        "appointment": appointment_json(written.appointment, earned),
        "points": [
            {"rule": c.rule.trigger, "points": c.points, "uncollected": c.uncollected}
            for c in written.changes
        ],
        "balance": profile.points_balance if profile is not None else None,
    }


def _log(caller: sync.Caller, written: Written, where: Where) -> None:
    sync.record_sync(
        caller,
        where.chart_id,
        SyncAction.APPOINTMENT,
        _SYNC_OUTCOME[written.outcome],
        where.profile,
        _log_message(written, where),
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
    with transaction.atomic():
        where = _where(caller, chart_id)
        written = record_appointment(
            where=where,
            appointment_id=appointment_id,
            values=payload.values(),
            pms_updated_at=payload.pms_updated_at,
            confirmed=payload.confirmed,
            actor=caller.actor,
        )
        _log(caller, written, where)
        status = 201 if written.outcome == Outcome.CREATED else 200
        return status, _written_body(written, where)


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
    with transaction.atomic():
        where = _where(caller, chart_id)
        written = delete_appointment(
            where=where, appointment_id=appointment_id, pms_updated_at=sent, actor=caller.actor
        )
        _log(caller, written, where)
        return 200, _written_body(written, where)


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
        where = _where(caller, chart_id)
        appointments = list(
            Appointment.objects.filter(
                practice=caller.practice, system=caller.system, chart_id=chart_id
            ).order_by("starts_at", "id")
        )
        earned = _earned(appointments)
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


def _batch_row(caller: sync.Caller, row: Any) -> dict[str, Any]:
    ids = row if isinstance(row, dict) else {}
    chart_id = str(ids.get("chart_id", ""))[:64]
    appointment_id = str(ids.get("appointment_id", ""))[:64]
    result: dict[str, Any] = {"chart_id": chart_id, "appointment_id": appointment_id}
    try:
        parsed = BatchAppointmentIn.model_validate(row)
    except ValidationError as exc:
        message = validation_message(exc.errors(include_url=False))  # type: ignore[arg-type]
        return {**result, "outcome": "error", "error": "validation_error", "message": message}
    try:
        with transaction.atomic():
            where = _where(caller, parsed.chart_id)
            if parsed.deleted:
                written = delete_appointment(
                    where=where,
                    appointment_id=parsed.appointment_id,
                    pms_updated_at=parsed.pms_updated_at,
                    actor=caller.actor,
                )
            else:
                written = record_appointment(
                    where=where,
                    appointment_id=parsed.appointment_id,
                    values=parsed.values(),
                    pms_updated_at=parsed.pms_updated_at,
                    confirmed=parsed.confirmed,
                    actor=caller.actor,
                )
            _log(caller, written, where)
    except ActionError as exc:
        return {**result, "outcome": "error", "error": exc.code, "message": exc.message}
    return {
        **result,
        "outcome": written.outcome,
        "message": written.message or _log_message(written, where),
        "points": sum(change.points for change in written.changes),
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
    seen: set[tuple[str, str]] = set()
    results = []
    for row in payload.appointments:
        ids = row if isinstance(row, dict) else {}
        pair = (str(ids.get("chart_id", "")), str(ids.get("appointment_id", "")))
        if pair in seen:
            results.append(
                {
                    "chart_id": pair[0][:64],
                    "appointment_id": pair[1][:64],
                    "outcome": "error",
                    "error": "duplicate_appointment",
                    "message": "This appointment appears more than once in the batch; "
                    "only its first row was used.",
                }
            )
            continue
        seen.add(pair)
        results.append(_batch_row(caller, row))
    return 200, {"results": results}
