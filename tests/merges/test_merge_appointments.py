"""Appointments from the PMS racing a merge: a write that read the chart's link
before the merge committed lands on the survivor, never on the tombstone.

The appointment book locks the profiles the chart links named (in id order,
as the merge does) and finds one of them merged meanwhile: it starts again on
the survivor, in the same call. So no appointment, AutoAward or ledger entry
lands on a tombstone after its merge, and every balance equals its ledger.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from tests.conftest import SYSTEM
from tests.integrations.conftest import CHART
from tests.race import run_together

from rewardshub.automations.actions import Where, record_appointment
from rewardshub.automations.book import AppointmentWrite, write_book
from rewardshub.automations.models import Appointment, AutoAward
from rewardshub.integrations.models import SyncEvent
from rewardshub.merges.actions import merge_profiles
from rewardshub.patients.models import Profile
from rewardshub.points.models import EntryKind, LedgerEntry

from .conftest import Pair

# The kept rule of the pair fixture: 5 points a completed visit.
KEPT = 5


def _visit(pair: Pair) -> dict[str, Any]:
    return pair.book.completed_visit()


def _merge(pair: Pair) -> None:
    merge_profiles(practice=pair.practice, survivor=pair.kept, merged=pair.dupe, actor=SYSTEM)


def _ledger_sum(profile: Profile) -> int:
    return LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0


def assert_nothing_on_the_tombstone(pair: Pair) -> None:
    """Nothing written to the merged profile after its merge, and every balance
    equal to its ledger."""
    kept = Profile.objects.get(pk=pair.kept.pk)
    dupe = Profile.objects.get(pk=pair.dupe.pk)
    assert dupe.merged_into_id == kept.pk
    assert not Appointment.objects.filter(profile=dupe).exists()
    assert not AutoAward.objects.filter(profile=dupe).exists()
    merge_out = LedgerEntry.objects.get(profile=dupe, kind=EntryKind.MERGE_OUT)
    assert not LedgerEntry.objects.filter(profile=dupe, pk__gt=merge_out.pk).exists()
    assert dupe.points_balance == _ledger_sum(dupe) == 0
    assert kept.points_balance == _ledger_sum(kept) >= 0


class TestAfterTheMergeCommitted:
    """The call read the link before the merge; it writes after (both databases)."""

    @pytest.mark.django_db
    def test_a_batch_lands_on_the_survivor(self, pair: Pair) -> None:
        read_before = {CHART: pair.dupe.pk}
        _merge(pair)
        (written,) = write_book(
            practice=pair.practice,
            system="orthotrac",
            writes=[AppointmentWrite(CHART, "A2", _visit(pair))],
            profiles=read_before,
            actor=SYSTEM,
        )
        assert not isinstance(written, Exception), written
        assert written.appointment.profile_id == pair.kept.pk
        assert written.profile is not None and written.profile.pk == pair.kept.pk
        assert [c.points for c in written.changes] == [KEPT]
        assert written.profile.points_balance == 70 + KEPT
        assert_nothing_on_the_tombstone(pair)
        assert Profile.objects.get(pk=pair.kept.pk).points_balance == 70 + KEPT

    @pytest.mark.django_db
    def test_a_single_appointment_lands_on_the_survivor(self, pair: Pair) -> None:
        stale = Profile.objects.get(pk=pair.dupe.pk)
        _merge(pair)
        where = Where(pair.practice, "orthotrac", CHART, stale)
        with transaction.atomic():
            written = record_appointment(
                where=where,
                appointment_id="A2",
                values=_visit(pair),
                pms_updated_at=None,
                confirmed=False,
                actor=SYSTEM,
            )
        assert written.appointment.profile_id == pair.kept.pk
        assert written.profile is not None and written.profile.pk == pair.kept.pk
        assert written.profile.points_balance == 70 + KEPT
        # The stale profile the caller held is not given the survivor's balance.
        assert stale.points_balance == 40
        assert_nothing_on_the_tombstone(pair)


def _merging_slowly(pair: Pair, merged: threading.Event) -> Callable[[], str]:
    """A merge that holds its locks a moment after it wrote: the PMS calls read
    the chart's link (still the merged profile's) and wait for its locks."""

    def work() -> str:
        with transaction.atomic():
            merge_profiles(
                practice=pair.practice, survivor=pair.kept, merged=pair.dupe, actor=SYSTEM
            )
            merged.set()
            time.sleep(0.5)
        return "merged"

    return work


def _after(merged: threading.Event, call: Callable[[], Any]) -> Callable[[], str]:
    def work() -> str:
        assert merged.wait(timeout=30)
        response = call()
        assert response.status_code in (200, 201), response.content
        return f"answered {response.status_code}"

    return work


@pytest.mark.django_db(transaction=True)
def test_pms_calls_racing_a_merge_write_to_the_survivor(pair: Pair) -> None:
    """The batch and the single PUT, through the API, while a merge holds its locks.

    On PostgreSQL each call reads the chart's link (still the merged
    profile's: the merge has not committed) and then waits for the profile's
    lock. On SQLite a call's transaction takes the database's write lock
    before it reads the link, so it reads after the merge: the race is
    PostgreSQL's, and the same outcome is checked on both.
    """
    merged = threading.Event()
    logged_before = SyncEvent.objects.latest("id").pk
    batch = {
        "appointments": [
            {
                "chart_id": CHART,
                "appointment_id": appointment_id,
                "starts_at": pair.book.at(0),
                "length_minutes": 30,
                "type_code": "ADJ",
                "status": "completed",
                "completed_at": pair.book.at(30),
            }
            for appointment_id in ("B1", "B2")
        ]
    }
    outcomes = Counter(run_together(
        [
            _merging_slowly(pair, merged),
            _after(
                merged,
                lambda: pair.api.call("POST", "/api/v1/pms/orthotrac/appointments:batch", batch),
            ),
            _after(merged, lambda: pair.book.put("P1", "completed", completed_at=pair.book.at(30))),
        ]
    ))
    print(f"\nappointments racing a merge on {connection.vendor}: {dict(outcomes)}")
    assert outcomes["merged"] == 1
    assert_nothing_on_the_tombstone(pair)
    on_survivor = Appointment.objects.filter(profile=pair.kept).values_list(
        "appointment_id", flat=True
    )
    assert sorted(on_survivor) == ["A1", "B1", "B2", "P1"]
    paid = AutoAward.objects.filter(profile=pair.kept).values_list(
        "appointment__appointment_id", "points"
    )
    assert sorted(paid) == [("A1", KEPT), ("B1", KEPT), ("B2", KEPT), ("P1", KEPT)]
    assert Profile.objects.get(pk=pair.kept.pk).points_balance == 70 + 3 * KEPT
    # The Sync log names the profile the visits went to.
    logged = SyncEvent.objects.filter(pk__gt=logged_before, action="appointment", chart_id=CHART)
    assert sorted(logged.values_list("outcome", "profile_id")) == [("created", pair.kept.pk)] * 3
