"""The simulator's appointment book, as a PMS keeps it, and the front desk's steps.

Times are ISO 8601 text with the sim machine's UTC offset. `updated_at` is
the sim's own clock at each change: it goes to the hub as `pms_updated_at`,
so the hub can tell a newer version from an older one.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import asdict, dataclass, fields, replace

__all__ = [
    "Appointment",
    "STEPS",
    "init_db",
    "get",
    "day_book",
    "for_chart",
    "insert",
    "save",
    "apply_step",
    "next_visit",
    "now",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS appointments (
    appointment_id TEXT PRIMARY KEY,
    chart_id TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    length_minutes INTEGER NOT NULL DEFAULT 30,
    type_code TEXT NOT NULL DEFAULT '',
    type_label TEXT NOT NULL DEFAULT '',
    office TEXT NOT NULL DEFAULT '',
    provider TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'scheduled',
    confirmed INTEGER NOT NULL DEFAULT 0,
    arrived_at TEXT NOT NULL DEFAULT '',
    completed_at TEXT NOT NULL DEFAULT '',
    booked_at TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
)
"""

# Step (the button) -> what it says in the schedule.
STEPS = {
    "check-in": "Check in",
    "seat": "Seat",
    "check-out": "Check out",
    "missed": "Missed",
    "book-next": "Book next visit",
}
CAME_IN = ("arrived", "seated", "completed")
# Orthotrac books the next adjustment six weeks out by default.
NEXT_VISIT_AFTER = dt.timedelta(weeks=6)


def now() -> dt.datetime:
    """The sim's clock: local time with its UTC offset."""
    return dt.datetime.now().astimezone()


@dataclass(frozen=True)
class Appointment:
    appointment_id: str
    chart_id: str
    starts_at: str
    updated_at: str
    length_minutes: int = 30
    type_code: str = ""
    type_label: str = ""
    office: str = ""
    provider: str = ""
    status: str = "scheduled"
    confirmed: bool = False
    arrived_at: str = ""  # "" while unknown
    completed_at: str = ""
    booked_at: str = ""

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.starts_at)

    def for_hub(self) -> dict[str, object]:
        """The contract's appointment fields (pms_updated_at goes separately)."""
        values = asdict(self)
        for name in ("appointment_id", "chart_id", "updated_at"):
            del values[name]
        # An empty time is "not known": sent as absent, which the hub reads as none.
        return {name: value for name, value in values.items() if value != ""}


_COLUMNS = ", ".join(f.name for f in fields(Appointment))


def init_db(conn: sqlite3.Connection) -> None:
    conn.execute(SCHEMA)


def _row(row: sqlite3.Row) -> Appointment:
    values = dict(row)
    values["confirmed"] = bool(values["confirmed"])
    return Appointment(**values)


def get(conn: sqlite3.Connection, appointment_id: str) -> Appointment | None:
    sql = f"SELECT {_COLUMNS} FROM appointments WHERE appointment_id = ?"  # noqa: S608
    row = conn.execute(sql, (appointment_id,)).fetchone()
    return _row(row) if row else None


def day_book(conn: sqlite3.Connection, day: dt.date, office: str) -> list[Appointment]:
    """The office's appointments that start on `day` (the sim's local date), by time."""
    sql = f"SELECT {_COLUMNS} FROM appointments WHERE office = ?"  # noqa: S608
    found = [_row(row) for row in conn.execute(sql, (office,))]
    on_day = [a for a in found if a.start.astimezone().date() == day]
    return sorted(on_day, key=lambda a: (a.start, a.appointment_id))


def for_chart(conn: sqlite3.Connection, chart_id: str) -> list[Appointment]:
    sql = f"SELECT {_COLUMNS} FROM appointments WHERE chart_id = ?"  # noqa: S608
    found = [_row(row) for row in conn.execute(sql, (chart_id,))]
    return sorted(found, key=lambda a: (a.start, a.appointment_id))


def insert(conn: sqlite3.Connection, appointment: Appointment) -> bool:
    """Insert unless the id exists; True when inserted."""
    values = asdict(appointment)
    placeholders = ", ".join("?" for _ in values)
    sql = f"INSERT OR IGNORE INTO appointments ({_COLUMNS}) VALUES ({placeholders})"  # noqa: S608
    return conn.execute(sql, tuple(values.values())).rowcount == 1


def save(conn: sqlite3.Connection, appointment: Appointment) -> None:
    values = asdict(appointment)
    key = values.pop("appointment_id")
    assignments = ", ".join(f"{name} = ?" for name in values)
    sql = f"UPDATE appointments SET {assignments} WHERE appointment_id = ?"  # noqa: S608
    conn.execute(sql, (*values.values(), key))


def apply_step(appointment: Appointment, step: str, at: dt.datetime) -> Appointment:
    """The appointment after the front desk's step at time `at`.

    Steps only move forward: checking in a patient who is already seated, or
    checking out twice, keeps the first times (a double click changes nothing).
    Missed clears the visit's times: it corrects a check-in made by mistake.
    """
    stamp = at.isoformat()
    status = appointment.status
    if step == "check-in" and status not in CAME_IN:
        changed = replace(appointment, status="arrived", arrived_at=stamp)
    elif step == "seat" and status not in ("seated", "completed"):
        changed = replace(appointment, status="seated", arrived_at=appointment.arrived_at or stamp)
    elif step == "check-out" and status != "completed":
        changed = replace(
            appointment,
            status="completed",
            arrived_at=appointment.arrived_at or stamp,
            completed_at=stamp,
        )
    elif step == "missed" and status != "missed":
        changed = replace(appointment, status="missed", arrived_at="", completed_at="")
    else:
        return appointment
    return replace(changed, updated_at=_later(appointment.updated_at, at))


def next_visit(appointment: Appointment, appointment_id: str, at: dt.datetime) -> Appointment:
    """The patient's next adjustment, booked at `at`, six weeks after this one."""
    stamp = at.isoformat()
    return Appointment(
        appointment_id=appointment_id,
        chart_id=appointment.chart_id,
        starts_at=(appointment.start + NEXT_VISIT_AFTER).isoformat(),
        updated_at=stamp,
        length_minutes=appointment.length_minutes,
        type_code="ADJ",
        type_label="Adjustment",
        office=appointment.office,
        provider=appointment.provider,
        status="scheduled",
        booked_at=stamp,
    )


def _later(previous: str, at: dt.datetime) -> str:
    # Each version strictly newer than the last, even if the clock stepped back.
    before = dt.datetime.fromisoformat(previous)
    return max(at, before + dt.timedelta(microseconds=1)).isoformat()
