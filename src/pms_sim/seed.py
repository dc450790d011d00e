"""Demo charts for the simulator: new patients, plus one the hub already knows.

Emma Johnson (OT-10004) matches the hub demo's existing profile by name, for
the seed's "already in the Hub with a card but not sync'd" workflow. The
others have never been in the hub.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pms_sim import charts

__all__ = ["DEMO_CHARTS", "EMMA_CHART_ID", "seed"]

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


def seed(db_path: Path | str) -> int:
    """Create the table and any missing demo chart; returns how many were added.

    Safe to run again: existing charts (demo or not) are left as they are.
    """
    charts.init_db(db_path)
    added = 0
    with charts.connect(db_path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        for row in DEMO_CHARTS:
            added += charts.insert(conn, charts.Chart(**row))
        conn.execute("COMMIT")
    return added
