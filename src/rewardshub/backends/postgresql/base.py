"""Django's PostgreSQL backend, sealing the audit chain before each COMMIT (see the
package), and preparing only the statements that look the same from call to call."""

from typing import Any

from django.db.backends.postgresql import base

from rewardshub.backends import SealBeforeCommit

# Statements with more parameters than this are a batch's: an IN list of a
# thousand ids, many rows in one INSERT. They are not prepared. Their text
# changes with the batch's size, so most would never run again; and a
# prepared statement soon runs on PostgreSQL's generic plan, made once for
# any values. Planned on statistics taken while a table was still empty, a
# 1,000-id read by the unique key then scanned every appointment of the
# practice, 130 ms a call against 5 ms (BENCHMARKS.md, "Prepared statements").
MAX_PREPARED_PARAMS = 64


class PreparingCursor(base.ServerBindingCursor):  # type: ignore[misc,name-defined]
    """Server-side binding, prepared as psycopg decides unless the statement is a batch's."""

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                binary: bool | None = None) -> Any:
        if prepare is None and params is not None and len(params) > MAX_PREPARED_PARAMS:
            prepare = False
        return super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseWrapper(SealBeforeCommit, base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        if params.get("cursor_factory") is base.ServerBindingCursor:  # type: ignore[attr-defined]
            params["cursor_factory"] = PreparingCursor
        return params
