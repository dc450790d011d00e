"""A practice's own settings, read where a caller holds only a reference to it.

A PMS call's practice comes as a reference by id (integrations.keys.find_key
keeps only the key's row in its cache, so no setting is ever served stale).
The ORM's load of a deferred field compiles its query on every call (about
0.25 ms on SQLite, more on PostgreSQL); here each field's read is compiled
once (statement.Statement) and the value kept on the instance for the rest of
the request.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from functools import cache
from typing import Any

from rewardshub.practices.models import Practice
from rewardshub.statement import Statement
from rewardshub.together import Together


@cache
def _read(name: str) -> Statement:
    return Statement(lambda pk: Practice.objects.filter(pk=pk).values_list(name), int)


def setting(practice: Practice, name: str) -> Any:
    """The practice's field `name`: as loaded, or read from the database (and kept
    on the instance) when the instance was loaded without it."""
    return send_setting(_AT_ONCE, practice, name)()


def send_setting(reads: Together, practice: Practice, name: str) -> Callable[[], Any]:
    """`setting` as one of several reads sent together (together.py); its value,
    after the block."""
    if name not in practice.get_deferred_fields():
        value = getattr(practice, name)
        return lambda: value
    rows = reads.rows(_read(name), practice.pk)

    def done() -> Any:
        found = rows()
        if not found:
            raise Practice.DoesNotExist("No such practice.")
        setattr(practice, name, found[0][0])
        return found[0][0]

    return done


# A Together never entered runs each read at once: `setting` alone, no pipeline.
_AT_ONCE = Together()


def practice_zone(practice: Practice) -> dt.tzinfo:
    """The practice's time zone (UTC if its name is not one this machine knows)."""
    return _zone(setting(practice, "time_zone"))


def send_zone(reads: Together, practice: Practice) -> Callable[[], dt.tzinfo]:
    """`practice_zone` as one of several reads sent together (together.py)."""
    name = send_setting(reads, practice, "time_zone")
    return lambda: _zone(name())


def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC
