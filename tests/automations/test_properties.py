"""Random sequences of appointment updates for a few patients (hypothesis).

Whatever order the PMS sends things in (status changes back and forth,
deletions, revivals, bookings), the ledger ends where the rules say:
- with deductions off, each patient has exactly what the rules give for the
  final states, computed here from the rules' own words, independently of
  automations/rules.py;
- with deductions on, no balance ever goes below zero;
- always, every balance equals its ledger sum, and no (appointment, rule)
  pair has more in effect than its rule's points.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import SYSTEM

from rewardshub.automations.actions import Where, delete_appointment, record_appointment
from rewardshub.automations.models import AutoAward, AutoRule
from rewardshub.automations.settings_actions import save_rule
from rewardshub.patients.actions import create_profile
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db

POINTS = {"kept": 5, "on_time": 3, "early": 4, "confirmed": 1, "next_booked": 6}
DEDUCT = {"late": 2, "missed": 7}
GRACE, EARLY, WINDOW = 5, 10, 24
STATUSES = ["scheduled", "confirmed", "arrived", "seated", "completed", "missed", "cancelled"]
_serial = itertools.count()


@dataclass
class Put:
    patient: int
    appointment: int
    status: str
    arrival: int | None  # minutes after the start
    booked_after: int | None  # the booking, minutes after the start of the visit before


@dataclass
class Delete:
    patient: int
    appointment: int


operation = st.one_of(
    st.builds(
        Put,
        patient=st.integers(0, 2),
        appointment=st.integers(0, 3),
        status=st.sampled_from(STATUSES),
        arrival=st.one_of(st.none(), st.sampled_from([-30, -10, -9, 0, 5, 6, 40])),
        booked_after=st.one_of(st.none(), st.sampled_from([-5, 10, 60 * 30])),
    ),
    st.builds(Delete, patient=st.integers(0, 2), appointment=st.integers(0, 3)),
)


def _start(base: dt.datetime, appointment: int) -> dt.datetime:
    return base + dt.timedelta(days=appointment)


def _apply(practice: Practice, profiles: list[Profile], base: dt.datetime, op: Any) -> None:
    profile = profiles[op.patient]
    where = Where(practice, "orthotrac", f"P{profile.pk}", profile)
    appointment_id = f"{profile.pk}-{op.appointment}"
    if isinstance(op, Delete):
        from rewardshub.automations.models import Appointment

        if Appointment.objects.filter(practice=practice, appointment_id=appointment_id).exists():
            delete_appointment(
                where=where, appointment_id=appointment_id, pms_updated_at=None, actor=SYSTEM
            )
        return
    start = _start(base, op.appointment)
    arrived = start + dt.timedelta(minutes=op.arrival) if op.arrival is not None else None
    booked = None
    if op.booked_after is not None and op.appointment > 0:
        booked = _start(base, op.appointment - 1) + dt.timedelta(minutes=op.booked_after)
    record_appointment(
        where=where,
        appointment_id=appointment_id,
        values={
            "starts_at": start,
            "length_minutes": 30,
            "type_code": "ADJ",
            "type_label": "Adjustment",
            "office": "",
            "provider": "",
            "status": op.status,
            "arrived_at": arrived,
            "completed_at": None,
            "booked_at": booked,
        },
        pms_updated_at=None,
        confirmed=False,
        actor=SYSTEM,
    )


def _expected(ops: list[Any], base: dt.datetime) -> dict[int, int]:
    """What the rules give each patient for the final states, from their words."""
    final: dict[tuple[int, int], Put | None] = {}
    confirmed: set[tuple[int, int]] = set()
    for op in ops:
        key = (op.patient, op.appointment)
        if isinstance(op, Delete):
            if key in final:
                final[key] = None
            continue
        final[key] = op
        if op.status == "confirmed":
            confirmed.add(key)  # stays confirmed through check-out
    total: dict[int, int] = defaultdict(int)
    for (patient, number), put in final.items():
        if put is None or put.status in ("missed", "cancelled"):
            continue
        start = _start(base, number)
        if put.status == "completed":
            total[patient] += POINTS["kept"]
        if put.arrival is not None and put.status in ("arrived", "seated", "completed"):
            if put.arrival <= -EARLY:
                total[patient] += POINTS["early"]
            elif put.arrival <= GRACE:
                total[patient] += POINTS["on_time"]
        if (patient, number) in confirmed:
            total[patient] += POINTS["confirmed"]
        if put.status == "completed":
            # A later visit (not cancelled) booked from the start of this one to a
            # day after it ends.
            ends = start + dt.timedelta(minutes=30 + 60 * WINDOW)
            for (other_patient, other_number), other in final.items():
                if (
                    other_patient == patient
                    and other is not None
                    and other_number > number
                    and other.status != "cancelled"
                    and other.booked_after is not None
                    and other_number > 0
                ):
                    booked = _start(base, other_number - 1) + dt.timedelta(
                        minutes=other.booked_after
                    )
                    if start <= booked <= ends:
                        total[patient] += POINTS["next_booked"]
                        break
    return total


def _setup(acworth: Practice, deductions: bool) -> tuple[list[Profile], dt.datetime]:
    for trigger, points in POINTS.items():
        if not AutoRule.objects.filter(practice=acworth, trigger=trigger).exists():
            save_rule(
                practice=acworth,
                trigger=trigger,
                enabled=True,
                points=points,
                grace_minutes=GRACE,
                early_minutes=EARLY,
                window_hours=WINDOW,
                actor=SYSTEM,
            )
    for trigger, points in DEDUCT.items():
        save_rule(
            practice=acworth,
            trigger=trigger,
            enabled=deductions,
            points=points,
            grace_minutes=GRACE,
            actor=SYSTEM,
        )
    profiles = [
        create_profile(
            practice=acworth,
            data={"first_name": f"P{next(_serial)}", "last_name": "Prop"},
            actor=SYSTEM,
        )
        for _ in range(3)
    ]
    base = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    return profiles, base


def _check_ledger(profiles: list[Profile]) -> None:
    for profile in profiles:
        profile.refresh_from_db()
        ledger = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
        assert profile.points_balance == ledger
        assert profile.points_balance >= 0
        per_pair = (
            AutoAward.objects.filter(profile=profile)
            .values("appointment_id", "rule__trigger", "rule__points")
            .annotate(moved=Sum("points"), owed=Sum("uncollected"))
        )
        for pair in per_pair:
            in_effect = pair["moved"] - pair["owed"]
            assert abs(in_effect) in (0, pair["rule__points"]), pair


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_without_deductions_each_patient_has_what_the_rules_give(
    acworth: Practice, ops: list[Any]
) -> None:
    profiles, base = _setup(acworth, deductions=False)
    for op in ops:
        _apply(acworth, profiles, base, op)
    _check_ledger(profiles)
    expected = _expected(ops, base)
    assert [p.points_balance for p in profiles] == [expected[i] for i in range(3)]


@SETTINGS
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_with_deductions_no_balance_goes_below_zero(acworth: Practice, ops: list[Any]) -> None:
    profiles, base = _setup(acworth, deductions=True)
    for op in ops:
        _apply(acworth, profiles, base, op)
        _check_ledger(profiles)
