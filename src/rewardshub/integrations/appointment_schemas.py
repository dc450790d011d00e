"""Request and response bodies of the appointment calls (api_appointments.py,
docs/integration-api.md "Appointments"). Limits live here, at the edge."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from ninja import Path, Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from rewardshub.automations.book import FIELDS
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


def _in_utc(value: dt.datetime) -> dt.datetime:
    # Kept in UTC: PostgreSQL refuses offsets beyond 15:59, which ISO 8601 allows.
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_range", "is outside the years 1 to 9999 once moved to its UTC offset"
        ) from None


# A time with its UTC offset, as ISO 8601 text (2026-12-04T09:30:00-05:00).
When = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_utc)]


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
        description="The PMS's time of this version; an update older than the hub's "
        "changes nothing (outcome 'stale'), the same version again is 'unchanged'.",
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


