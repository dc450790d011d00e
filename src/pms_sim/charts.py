"""The simulator's patient charts, as a PMS keeps them (and its database,
whose other table is the appointment book, pms_sim.appointments).

The sim stores no hub data (no usernames, no sync flags): the hub is the
source of truth and is asked through the API whenever a screen needs it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from pms_sim import appointments

__all__ = ["Chart", "DEMOGRAPHIC_FIELDS", "connect", "init_db", "get", "search", "insert", "create"]

CHART_PREFIX = "OT-"
FIRST_CHART_NUMBER = 10001

SCHEMA = """
CREATE TABLE IF NOT EXISTS charts (
    chart_id TEXT PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    preferred_name TEXT NOT NULL DEFAULT '',
    birth_date TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone_mobile TEXT NOT NULL DEFAULT '',
    phone_home TEXT NOT NULL DEFAULT '',
    responsible_party TEXT NOT NULL DEFAULT '',
    pms_status TEXT NOT NULL DEFAULT '',
    office TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True)
class Chart:
    chart_id: str
    first_name: str
    last_name: str
    preferred_name: str = ""
    birth_date: str = ""  # YYYY-MM-DD or ""
    email: str = ""
    phone_mobile: str = ""
    phone_home: str = ""
    responsible_party: str = ""
    pms_status: str = ""
    office: str = ""

    def demographics(self) -> dict[str, str]:
        """The contract's demographics; blanks are left out, since they mean "unknown"."""
        return {name: value for name, value in asdict(self).items() if name != "chart_id" and value}

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


DEMOGRAPHIC_FIELDS = tuple(f.name for f in fields(Chart) if f.name != "chart_id")
# SQL below is assembled only from these constant column names and "?"
# placeholders (hence the S608 waivers); every value is a bound parameter.
_COLUMNS = ", ".join(f.name for f in fields(Chart))


@contextmanager
def connect(db_path: Path | str) -> Iterator[sqlite3.Connection]:
    """One short-lived connection per request: the server is threaded."""
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: transactions are explicit (see create()).
    with closing(sqlite3.connect(path, timeout=10, isolation_level=None)) as conn:
        conn.row_factory = sqlite3.Row
        yield conn


def init_db(db_path: Path | str) -> None:
    with connect(db_path) as conn:
        conn.execute(SCHEMA)
        appointments.init_db(conn)


def get(conn: sqlite3.Connection, chart_id: str) -> Chart | None:
    sql = f"SELECT {_COLUMNS} FROM charts WHERE chart_id = ?"  # noqa: S608
    row = conn.execute(sql, (chart_id,)).fetchone()
    return Chart(**dict(row)) if row else None


def search(conn: sqlite3.Connection, query: str = "", limit: int = 200) -> list[Chart]:
    """Charts whose chart id or any name contains the query, by last name."""
    words = query.split()
    clauses = []
    params: list[str] = []
    for word in words:
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            "(chart_id LIKE ? ESCAPE '\\' OR first_name LIKE ? ESCAPE '\\'"
            " OR last_name LIKE ? ESCAPE '\\' OR preferred_name LIKE ? ESCAPE '\\')"
        )
        params.extend([like] * 4)
    where = " AND ".join(clauses) or "1"
    sql = (
        f"SELECT {_COLUMNS} FROM charts WHERE {where}"  # noqa: S608
        " ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, chart_id LIMIT ?"
    )
    rows = conn.execute(sql, (*params, limit)).fetchall()
    return [Chart(**dict(row)) for row in rows]


def insert(conn: sqlite3.Connection, chart: Chart) -> bool:
    """Insert the chart unless its id exists; True when inserted."""
    values = asdict(chart)
    placeholders = ", ".join("?" for _ in values)
    sql = f"INSERT OR IGNORE INTO charts ({_COLUMNS}) VALUES ({placeholders})"  # noqa: S608
    cursor = conn.execute(sql, tuple(values.values()))
    return cursor.rowcount == 1


def create(conn: sqlite3.Connection, demographics: dict[str, str]) -> Chart:
    """Create a chart with the next free "OT-1xxxx" id."""
    # IMMEDIATE takes the write lock first, so two Patient Adds can't pick the same id.
    conn.execute("BEGIN IMMEDIATE")
    try:
        chart = Chart(chart_id=_next_chart_id(conn), **demographics)
        insert(conn, chart)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return chart


def _next_chart_id(conn: sqlite3.Connection) -> str:
    highest = FIRST_CHART_NUMBER - 1
    pattern = re.compile(re.escape(CHART_PREFIX) + r"(\d+)")
    for (chart_id,) in conn.execute("SELECT chart_id FROM charts WHERE chart_id LIKE 'OT-%'"):
        match = pattern.fullmatch(chart_id)
        if match:
            highest = max(highest, int(match.group(1)))
    return f"{CHART_PREFIX}{highest + 1}"
