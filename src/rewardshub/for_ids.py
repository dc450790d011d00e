"""Reads over a list of ids, compiled once for the usual single id.

An IN list's length changes the statement's text, so statement.Statement
(compiled once, run with each call's values) cannot hold a read over any
number of ids. Most writes touch one profile or one appointment, and a
batch touches hundreds: `ForIds` runs one QuerySet builder both ways, as a
compiled statement for one id and through the ORM for more, so the rows are
the same (tests/automations/test_state_reads.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet

from rewardshub.statement import Statement
from rewardshub.together import Later, Together


class ForIds:
    """A read over a list of ids, as `build(*args, ids)` makes it: compiled once
    for one id, built by the ORM for more. `kinds` are the types of `args`,
    `item` the ids' type, `kind` statement.Statement's ("rows" or "models")."""

    def __init__(
        self, build: Callable[..., QuerySet[Any]], *kinds: type, item: type = int,
        kind: str = "rows",
    ) -> None:
        self.build = build
        self.one = Statement(lambda *args: build(*args[:-1], [args[-1]]), *kinds, item, kind=kind)

    def later(self, reads: Together, *args: Any, ids: Sequence[Any]) -> Later:
        """`rows` as one of several reads sent together (together.py): for one id
        sent with the others, for more read at once through the ORM."""
        if len(ids) == 1:
            return reads.rows(self.one, *args, ids[0])
        found = list(self.build(*args, list(ids)))
        return lambda: found

    def rows(self, *args: Any, ids: Sequence[Any]) -> list[Any]:
        if len(ids) == 1:
            return self.one.rows(*args, ids[0])
        return list(self.build(*args, list(ids)))
