"""Demo charts for the simulator: new patients, plus one the hub already knows,
and a day of appointments for them.

Emma Johnson (OT-10004) matches the hub demo's existing profile by name, for
the seed's "already in the Hub with a card but not sync'd" workflow. The
others have never been in the hub.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from pms_sim import appointments, charts

__all__ = ["DEMO_CHARTS", "DEMO_DAY", "EMMA_CHART_ID", "seed", "seed_day"]

EMMA_CHART_ID = "OT-10004"

DEMO_CHARTS: list[dict[str, Any]] = [
    {
        "chart_id": "OT-10001",
        "first_name": "Liam",
        "last_name": "Carter",
        "preferred_name": "",
        "birth_date": "2011-03-14",
        "email": "carter.family@example.com",
        "phone_mobile": "770-555-0101",
        "phone_home": "770-555-0111",
        "responsible_party": "Megan Carter",
        "pms_status": "New Patient",
        "office": "ACW",
    },
    {
        "chart_id": "OT-10002",
        "first_name": "Sophia",
        "last_name": "Nguyen",
        "preferred_name": "Sophie",
        "birth_date": "2012-07-02",
        "email": "nguyen.home@example.com",
        "phone_mobile": "770-555-0102",
        "phone_home": "",
        "responsible_party": "Linh Nguyen",
        "pms_status": "Active Tx",
        "office": "MAR",
    },
    {
        "chart_id": "OT-10003",
        "first_name": "Noah",
        "last_name": "Patel",
        "preferred_name": "",
        "birth_date": "2009-11-23",
        "email": "patel.noah@example.com",
        "phone_mobile": "678-555-0103",
        "phone_home": "678-555-0113",
        "responsible_party": "Ravi Patel",
        "pms_status": "Retainer",
        "office": "ACW",
    },
    {
        "chart_id": EMMA_CHART_ID,
        "first_name": "Emma",
        "last_name": "Johnson",
        "preferred_name": "",
        "birth_date": "2010-05-09",
        "email": "johnson.family@example.com",
        "phone_mobile": "770-555-0104",
        "phone_home": "",
        "responsible_party": "Karen Johnson",
        "pms_status": "Active Tx",
        "office": "ACW",
    },
    {
        "chart_id": "OT-10005",
        "first_name": "Mason",
        "last_name": "Brooks",
        "preferred_name": "",
        "birth_date": "2013-01-30",
        "email": "brooks.mason@example.com",
        "phone_mobile": "404-555-0105",
        "phone_home": "",
        "responsible_party": "Dana Brooks",
        "pms_status": "New Patient",
        "office": "MAR",
    },
    {
        "chart_id": "OT-10006",
        "first_name": "Ava",
        "last_name": "Martinez",
        "preferred_name": "",
        "birth_date": "2012-09-18",
        "email": "martinez.ava@example.com",
        "phone_mobile": "678-555-0106",
        "phone_home": "678-555-0116",
        "responsible_party": "Luis Martinez",
        "pms_status": "Active Tx",
        "office": "ACW",
    },
]


# Today's book: (time, chart, office, type code, type, provider, minutes), 8:00 to 16:00.
DEMO_DAY: list[tuple[str, str, str, str, str, str, int]] = [
    ("08:00", "OT-10001", "ACW", "EXAM", "New patient exam", "Dr. Reyes", 60),
    ("08:30", "OT-10002", "MAR", "ADJ", "Adjustment", "Dr. Kim", 30),
    ("09:30", "OT-10003", "ACW", "RET", "Retainer check", "Dr. Reyes", 20),
    ("10:15", "OT-10005", "MAR", "EXAM", "New patient exam", "Dr. Kim", 60),
    ("11:00", EMMA_CHART_ID, "ACW", "ADJ", "Adjustment", "Dr. Reyes", 30),
    ("13:30", "OT-10006", "ACW", "ADJ", "Adjustment", "Dr. Reyes", 30),
    ("14:45", "OT-10002", "MAR", "REP", "Bracket repair", "Dr. Kim", 20),
    ("15:30", "OT-10006", "ACW", "XRAY", "Progress records", "Dr. Reyes", 30),
]


def seed(db_path: Path | str) -> int:
    """Create the tables, any missing demo chart and today's demo appointments;
    returns how many charts were added.

    Safe to run again: existing charts (demo or not) are left as they are, and
    a day that has its demo appointments gets none twice.
    """
    charts.init_db(db_path)
    added = 0
    with charts.connect(db_path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        for row in DEMO_CHARTS:
            added += charts.insert(conn, charts.Chart(**row))
        seed_day(conn, appointments.now())
        conn.execute("COMMIT")
    return added


def seed_day(conn: sqlite3.Connection, at: dt.datetime) -> int:
    """Book the demo day on `at`'s date (booked six weeks before); returns how many were added."""
    day = at.date()
    booked = (at - dt.timedelta(weeks=6)).isoformat()
    added = 0
    for number, (time, chart_id, office, code, label, provider, minutes) in enumerate(DEMO_DAY):
        hour, minute = (int(part) for part in time.split(":"))
        starts = at.replace(hour=hour, minute=minute, second=0, microsecond=0)
        added += appointments.insert(
            conn,
            appointments.Appointment(
                # One id per demo slot and day, so a second seed finds it there.
                appointment_id=f"AP-{day:%Y%m%d}-{number + 1:02d}",
                chart_id=chart_id,
                starts_at=starts.isoformat(),
                updated_at=booked,
                length_minutes=minutes,
                type_code=code,
                type_label=label,
                office=office,
                provider=provider,
                booked_at=booked,
            ),
        )
    return added
