"""Django's PostgreSQL backend, sealing the audit chain before each COMMIT (see the
package), preparing only the statements that look the same from call to call,
sending a long `__in` list as one array (lookups.py), reading times with
psycopg's compiled loader and checking a kept connection without a round trip
where its socket says enough."""

import datetime as dt
import select
from functools import cache
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg import adapt
from psycopg.pq import Format, TransactionStatus
from psycopg.types.datetime import TimestamptzLoader

from rewardshub.backends import SealBeforeCommit
from rewardshub.backends.postgresql import lookups

lookups.register()

# Statements with more values than this are a batch's: a thousand ids (an
# array's elements count one each), many rows in one INSERT. They are not prepared. Their text
# changes with the batch's size, so most would never run again; and a
# prepared statement soon runs on PostgreSQL's generic plan, made once for
# any values. Planned on statistics taken while a table was still empty, a
# 1,000-id read by the unique key then scanned every appointment of the
# practice, 130 ms a call against 5 ms (BENCHMARKS.md, "Prepared statements").
# The same line as a long `__in` list's (lookups.py), so its array goes unprepared.
MAX_PREPARED_PARAMS = lookups.MANY


class PreparingCursor(base.ServerBindingCursor):  # type: ignore[misc,name-defined]
    """Server-side binding, prepared as psycopg decides unless the statement is a batch's."""

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                binary: bool | None = None) -> Any:
        if prepare is None and params is not None and _values(params) > MAX_PREPARED_PARAMS:
            prepare = False
        return super().execute(query, params, prepare=prepare, binary=binary)


def _values(params: Any) -> int:
    """How many values a statement sends: an array's count as many (lookups.py)."""
    return sum(len(p) if isinstance(p, list) else 1 for p in params)


class UtcTimestampLoader(TimestamptzLoader):
    """A timestamptz read by psycopg's compiled loader, in UTC.

    Django registers a loader of its own that parses each value in Python and
    then sets its zone: about 10 µs a value, 175 ms of a 1,000-event batch's
    reads (BENCHMARKS.md, "Times read by psycopg's own loader"). The compiled
    loader gives the same instant in the session's time zone, which Django
    sets to UTC on every new connection; `timezone` is what Django's cursor
    compares to decide whether to register its own."""

    timezone = dt.UTC

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self.load = _COMPILED(oid, context).load  # type: ignore[method-assign]


# psycopg's own timestamptz loader: compiled where psycopg's C module is installed.
_COMPILED: type[adapt.Loader] = psycopg.adapters.get_loader(  # type: ignore[assignment]
    psycopg.adapters.types["timestamptz"].oid, Format.TEXT
)


@cache
def _with_utc_loader(django_context: adapt.AdaptersMap) -> adapt.AdaptersMap:
    context = adapt.AdaptersMap(django_context)
    context.register_loader("timestamptz", UtcTimestampLoader)
    return context


class DatabaseWrapper(SealBeforeCommit, base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        if params.get("cursor_factory") is base.ServerBindingCursor:  # type: ignore[attr-defined]
            params["cursor_factory"] = PreparingCursor
        if self.timezone == dt.UTC and "context" in params:
            params["context"] = _with_utc_loader(params["context"])
        return params

    def is_usable(self) -> bool:
        """Whether the kept connection still reaches its server (CONN_HEALTH_CHECKS,
        at a request's first statement). An idle connection's socket has nothing
        to read: a server that ends it (a restart, an administrator) first sends
        why, and then closes it, and either makes the socket readable. So a
        closed or readable one is asked with Django's `SELECT 1`, and an idle one
        with nothing to read is taken as it is: a statement and a round trip
        less a request (BENCHMARKS.md, "The kept connection's check")."""
        raw = self.connection
        if raw is None or raw.closed or raw.broken:
            return False
        if raw.info.transaction_status == TransactionStatus.IDLE:
            try:
                readable, _, _ = select.select([raw.fileno()], [], [], 0)
            except (OSError, ValueError):
                return False
            if not readable:
                return True
        return bool(super().is_usable())
