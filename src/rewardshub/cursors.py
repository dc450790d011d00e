"""The cursor the hub's compiled statements run on: on PostgreSQL, while no one
logs queries, psycopg's own, without Django's wrapper around it.

Django's cursor layer (a wrapper made for each cursor, the connection checked
again, each statement passed through its execute wrappers) costs about 25 µs
of client CPU a statement on PostgreSQL here, of about 90 (BENCHMARKS.md,
"Django's cursor layer"); an appointment PUT sends about twenty. The
statements of statement.py, together.py, fastsql.py and audit/link_sql.py
therefore run on psycopg's cursor with what Django's wrapper does that
matters kept: the connection opened (and a kept one checked, CONN_HEALTH_CHECKS)
as Django's first cursor would, a transaction that failed refused
(`validate_no_broken_transaction`), and psycopg's errors raised as Django's.
Where statements are logged (DEBUG, a test's CaptureQueriesContext), where an
execute wrapper is installed, and on SQLite (whose wrapper turns `%s` into
`?`), Django's cursor is used, so every statement is seen as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections


def plain(using: str = "default") -> bool:
    """Whether statements on this connection may skip Django's cursor wrapper."""
    connection = connections[using]
    return (
        connection.vendor == "postgresql"
        and not connection.queries_logged
        and not connection.execute_wrappers
    )


def open_cursor(using: str = "default") -> Any:
    """A cursor to close when done: psycopg's own where `plain`, else Django's."""
    connection = connections[using]
    if not plain(using):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    return _Plain(connection)


@contextmanager
def cursor(using: str = "default") -> Iterator[Any]:
    """`open_cursor` as a block, closed at its end."""
    opened = open_cursor(using)
    try:
        yield opened
    finally:
        opened.close()


class _Plain:
    """psycopg's cursor, its errors raised as Django's (as Django's wrapper raises them)."""

    # As Django's wrapper names them (fastsql's COPY reads both).
    __slots__ = ("cursor", "db")

    def __init__(self, connection: Any) -> None:
        self.db = connection
        with connection.wrap_database_errors:
            self.cursor = connection.connection.cursor()

    def execute(self, sql: str, params: Any = None) -> Any:
        with self.db.wrap_database_errors:
            return self.cursor.execute(sql, params)

    def executemany(self, sql: str, param_list: Any) -> Any:
        with self.db.wrap_database_errors:
            return self.cursor.executemany(sql, param_list)

    def fetchall(self) -> list[Any]:
        with self.db.wrap_database_errors:
            return self.cursor.fetchall()

    def fetchone(self) -> Any:
        with self.db.wrap_database_errors:
            return self.cursor.fetchone()

    @property
    def rowcount(self) -> int:
        return int(self.cursor.rowcount)

    def close(self) -> None:
        self.cursor.close()
