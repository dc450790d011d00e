"""On PostgreSQL, times are read by psycopg's compiled loader, not Django's
Python one (backends/postgresql/base.py says why): the same instants, in UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from rewardshub.backends.postgresql.base import UtcTimestampLoader
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db

OID = 1184  # timestamptz


def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's times are Django's own converters")


def test_the_cursors_read_times_with_the_compiled_loader(acworth: Practice) -> None:
    _postgresql()
    with connection.cursor() as cursor:
        cursor.execute("SELECT created_at FROM practices_practice WHERE id = %s", [acworth.pk])
        (read,) = cursor.fetchone()
        loader = cursor.cursor.adapters.get_loader(OID, 0)
    assert loader is UtcTimestampLoader
    assert read == Practice.objects.get(pk=acworth.pk).created_at
    assert read.tzinfo is dt.UTC


@pytest.mark.parametrize("sent", [
    dt.datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 31, 11, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
])
def test_an_instant_reads_back_as_the_same_instant_in_utc(sent: dt.datetime) -> None:
    _postgresql()
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [sent])
        (read,) = cursor.fetchone()
    assert read == sent and read.utcoffset() == dt.timedelta(0)


def test_a_session_in_another_time_zone_still_reads_the_right_instant() -> None:
    # Django's own loader set UTC on the session's wall time: the wrong instant
    # whenever something (a pooler's other client) left the session elsewhere.
    _postgresql()
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'America/New_York'")
        cursor.execute("SELECT %s::timestamptz", [now])
        (read,) = cursor.fetchone()
    assert read == now
