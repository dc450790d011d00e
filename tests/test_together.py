"""Statements sent together (together.py) and new rows' ids (fastsql.Rows.write_ids).

On PostgreSQL `Together` sends its statements in one pipeline; on SQLite it runs
each at once. Either way each read must give the rows it gives alone, a write
in the block must land, an error must come out as Django's and roll back what
its transaction wrote, and many rows must still be written while a pipeline is
open (where a COPY cannot run).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rewardshub import fastsql
from rewardshub.automations import state
from rewardshub.integrations.models import SyncEvent
from rewardshub.patients.models import Profile, Tag
from rewardshub.points.models import EntryKind, LedgerEntry
from rewardshub.practices.models import Practice
from rewardshub.practices.reads import _read
from rewardshub.together import Together


def _pipelined() -> bool:
    raw = connection.connection
    return connection.vendor == "postgresql" and raw is not None and raw._pipeline is not None


def test_reads_sent_together_give_the_rows_each_gives_alone(
    acworth: Practice, riverside: Practice, make_profile: Callable[..., Profile]
) -> None:
    emma = make_profile(acworth)
    make_profile(riverside, "Noah", "Smith")
    alone = [
        _read("time_zone").rows(acworth.pk),
        state._LOCKED.one.rows(acworth.pk, emma.pk),
        state._LOCKED.one.rows(riverside.pk, emma.pk),
        _read("name").rows(riverside.pk),
    ]
    with transaction.atomic():
        with Together() as reads:
            sent = [
                reads.rows(_read("time_zone"), acworth.pk),
                reads.rows(state._LOCKED.one, acworth.pk, emma.pk),
                reads.rows(state._LOCKED.one, riverside.pk, emma.pk),
                reads.rows(_read("name"), riverside.pk),
            ]
            assert _pipelined() == (connection.vendor == "postgresql")
        assert not _pipelined()
        together = [later() for later in sent]
    assert [[_plain(row) for row in rows] for rows in together] == [
        [_plain(row) for row in rows] for rows in alone
    ]
    assert together[1] and not together[2]  # emma is acworth's, not riverside's
    assert together[3] == [(riverside.name,)]


def _plain(row: Any) -> Any:
    if isinstance(row, Profile):
        return {f.attname: getattr(row, f.attname) for f in Profile._meta.concrete_fields}
    return row


def test_an_error_in_the_block_is_djangos_and_nothing_of_its_transaction_stays(
    acworth: Practice,
) -> None:
    taken = Tag.objects.filter(practice=acworth).first()
    assert taken is not None
    before = (Tag.objects.count(), SyncEvent.objects.count())
    with pytest.raises(IntegrityError), transaction.atomic(), Together():
        _sync_rows(acworth, ["C1"]).write()
        fastsql.insert([Tag(practice=acworth, name=taken.name)])  # the name is taken
    assert (Tag.objects.count(), SyncEvent.objects.count()) == before


def _sync_rows(practice: Practice, charts: list[str]) -> fastsql.Rows:
    rows = fastsql.Rows(
        SyncEvent,
        {"practice_id": practice.pk, "system": "orthotrac", "created_at": timezone.now()},
        ("chart_id",),
    )
    for chart in charts:
        rows.add(chart)
    return rows


def test_many_rows_are_written_while_a_pipeline_is_open(acworth: Practice) -> None:
    count = fastsql.COPY_FROM * 3
    with transaction.atomic(), Together():
        written = _sync_rows(acworth, [f"MANY{n}" for n in range(count)]).write()
    assert written == count
    assert SyncEvent.objects.filter(chart_id__startswith="MANY").count() == count


@pytest.mark.parametrize("count", [1, fastsql.COPY_FROM - 1, fastsql.COPY_FROM * 5])
@pytest.mark.parametrize("open_pipeline", [False, True])
def test_write_ids_gives_each_row_its_own_id_in_order(
    acworth: Practice, make_profile: Callable[..., Profile], count: int, open_pipeline: bool
) -> None:
    emma = make_profile(acworth)
    public_ids = [uuid.uuid4() for _ in range(count)]
    with transaction.atomic():
        # Ids the sequence gave before: the new rows' must come after them.
        before = fastsql.Rows(
            LedgerEntry,
            {"practice_id": acworth.pk, "kind": EntryKind.ADJUST, "actor_kind": "system",
             "created_at": timezone.now()},
            ("public_id", "profile_id", "points"),
        )
        before.add(uuid.uuid4(), emma.pk, 1)
        (last,) = before.write_ids("public_id")
        rows = fastsql.Rows(
            LedgerEntry,
            {"practice_id": acworth.pk, "kind": EntryKind.ADJUST, "actor_kind": "system",
             "created_at": timezone.now()},
            ("public_id", "profile_id", "points"),
        )
        for n, public_id in enumerate(public_ids):
            rows.add(public_id, emma.pk, n + 2)
        with CaptureQueriesContext(connection) as sent, Together(enabled=open_pipeline):
            ids = rows.write_ids("public_id")
    assert len(set(ids)) == count and min(ids) > last
    stored = dict(LedgerEntry.objects.filter(pk__in=ids).values_list("pk", "public_id"))
    assert [stored[pk] for pk in ids] == public_ids
    points = dict(LedgerEntry.objects.filter(pk__in=ids).values_list("pk", "points"))
    assert [points[pk] for pk in ids] == list(range(2, count + 2))
    # Only many rows on PostgreSQL, with no pipeline open, go by COPY, their
    # ids taken from the sequence first; the rest as INSERT ... RETURNING.
    copied = connection.vendor == "postgresql" and count >= fastsql.COPY_FROM and not open_pipeline
    kinds = [query["sql"].split()[0] for query in sent.captured_queries]
    assert kinds == (["SELECT", "COPY"] if copied else ["INSERT"])


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="an in-process SQLite connection does not break so"
)
@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_that_broke_is_replaced_before_the_block_sends(
    acworth: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where health checks are on (CONN_HEALTH_CHECKS), the block checks a kept
    # connection as Django's first cursor of a request does.
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    connection.close()
    connection.ensure_connection()
    connection.connection.close()  # the database went away under the kept connection
    connection.health_check_done = False  # as at the start of the next request
    with Together() as reads:
        name = reads.rows(_read("name"), acworth.pk)
    assert name() == [(acworth.name,)]
