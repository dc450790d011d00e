"""Statements sent together: on PostgreSQL in one round trip, not one each.

An appointment write reads its practice's rules, locks the profile and reads
what the rules look at: nine statements, none waiting for another's rows.
Sent one at a time, each costs a round trip, and on a busy server a round
trip is two wake-ups (the database's process, then the server's thread) that
each wait for a free core. `Together` sends them in psycopg's pipeline mode:
every statement goes out at once, PostgreSQL runs them in order (a lock one
of them waits for is held before the next starts, and each later read sees
what was committed before it), and the rows are there when the block ends.
A write in the block whose rows nobody reads (an UPDATE, an INSERT) goes out
with the rest; one whose rows are read (INSERT ... RETURNING) sends what was
queued before it and waits for its own rows. A COPY cannot run in a
pipeline: fastsql.Rows sends its rows as one INSERT instead while one is
open. On SQLite, which is in the server's own process, each statement runs
at once.

    with Together() as reads:
        rules = reads.rows(_RULES, practice.pk)
        profiles = reads.rows(_LOCKED, practice.pk, profile.pk)
    rules(), profiles()  # the rows, after the block

A statement's error is raised by the end of the block at the latest, as
Django's error (IntegrityError, OperationalError), like one raised by the
statement itself; the transaction it was in is then rolled back as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.db import connections

from rewardshub import cursors
from rewardshub.statement import Statement

Later = Callable[[], list[Any]]


class Together:
    """Statements sent together; see the module's text. `enabled=False` runs each
    at once (a batch's thousands of rows go by COPY, and their round trips are few)."""

    def __init__(self, using: str = "default", *, enabled: bool = True) -> None:
        self.using = using
        self.enabled = enabled
        self._stack: ExitStack | None = None
        self._sent: list[Any] = []

    def __enter__(self) -> Together:
        connection = connections[self.using]
        # As Django's own first cursor of a request would: a kept connection that
        # broke (the database restarted) is replaced before the pipeline opens on it.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        raw = connection.connection
        if self.enabled and connection.vendor == "postgresql" and raw._pipeline is None:
            self._stack = ExitStack()
            self._stack.enter_context(connection.wrap_database_errors)
            self._stack.enter_context(raw.pipeline())
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: Any) -> None:
        stack, self._stack = self._stack, None
        sent, self._sent = self._sent, []
        try:
            if stack is not None:
                stack.__exit__(kind, *exc)
            if kind is None:
                for statement, compiled, cursor, box in sent:
                    box.append(statement.convert(compiled, cursor.fetchall(), self.using))
        finally:
            for _statement, _compiled, cursor, _box in sent:
                cursor.close()

    def rows(self, statement: Statement, *args: Any) -> Later:
        """Send the statement with these arguments; its rows, once the block has ended."""
        if self._stack is None:
            found = statement.rows(*args, using=self.using)
            return lambda: found
        compiled, params = statement._execute(args, self.using)
        cursor = cursors.open_cursor(self.using)
        box: list[list[Any]] = []
        self._sent.append((statement, compiled, cursor, box))
        cursor.execute(compiled.sql, params)

        def later() -> list[Any]:
            assert box, "the rows are there once the block has ended"
            return box[0]

        return later
