"""Django's SQLite backend, sealing the audit chain before each COMMIT (see the
package), and waiting for the write lock in short steps.

Every transaction takes SQLite's one write lock at BEGIN (IMMEDIATE). A
writer that finds it taken waits in SQLite's busy handler, which sleeps 1, 2,
5, 10, 15, 20, 25, 25, 25, 50, 50 and then 100 ms between tries: a lock held
for two or three milliseconds at a time by a busy hub then keeps a waiter
asleep for tens of milliseconds after it was freed, and a waiter whose
neighbours keep taking it back can wait seconds (BENCHMARKS.md, "Waiting for
SQLite's write lock"). Here BEGIN IMMEDIATE is tried again every few hundred
microseconds instead, until the same timeout; everything else keeps SQLite's
own busy handler.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from django.db.backends.sqlite3 import base

from rewardshub.backends import SealBeforeCommit

# The wait between tries of BEGIN IMMEDIATE: from the first to the longest.
FIRST_WAIT_S = 0.0001
LONGEST_WAIT_S = 0.001


def begin_immediate(connection: sqlite3.Connection, timeout_s: float) -> None:
    """BEGIN IMMEDIATE, tried again in short steps while another writer holds the
    lock; "database is locked" (sqlite3.OperationalError) after `timeout_s`."""
    busy_ms = connection.execute("PRAGMA busy_timeout").fetchone()[0]
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + timeout_s
        wait = FIRST_WAIT_S
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:  # type: ignore[attr-defined]
                    raise
                if time.monotonic() >= deadline:
                    raise
            time.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT_S)
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")


class DatabaseWrapper(SealBeforeCommit, base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self) -> None:
        if self.transaction_mode != "IMMEDIATE":  # type: ignore[attr-defined]
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        options: dict[str, Any] = self.settings_dict["OPTIONS"]
        begin_immediate(self.connection, float(options.get("timeout", 5)))
