"""The reports on automatic points: points by rule, and how often a completed
visit earned any points. Appointments and points go through the actions; the
times of entries in the past are set on the rows afterwards."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.conftest import SYSTEM, staff_client

from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind, AuditEvent
from rewardshub.automations import reports
from rewardshub.automations.actions import Where, delete_appointment, record_appointment
from rewardshub.automations.models import AutoAward, AutoRule
from rewardshub.automations.settings_actions import save_rule, save_settings
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_items, award_misc, reverse_entry
from rewardshub.points.models import EntryKind, LedgerEntry, Prize, RewardCategory, RewardItem
from rewardshub.points.orders import order_prize
from rewardshub.points.reports import Period
from rewardshub.practices.models import Location, Practice, Role

pytestmark = pytest.mark.django_db

FRONTDESK = Actor(kind=ActorKind.STAFF, label="frontdesk")
OWNER = Actor(kind=ActorKind.STAFF, label="owner")
ZONE = zoneinfo.ZoneInfo("America/New_York")
RULES_URL = "/reports/automatic/rules/"
VISITS_URL = "/reports/automatic/visits/"


def rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZONE)  # type: ignore[misc]


def visit(
    profile: Profile | None,
    appointment_id: str,
    status: str,
    starts_at: dt.datetime,
    *,
    practice: Practice | None = None,
    chart: str = "",
    **values: Any,
) -> Any:
    """The PMS's appointment, written as the appointment calls write it."""
    practice = practice or (profile.practice if profile else None)
    assert practice is not None
    where = Where(practice, "orthotrac", chart or f"OT-{profile.pk if profile else 0}", profile)
    body: dict[str, Any] = {
        "starts_at": starts_at,
        "length_minutes": 30,
        "type_code": "ADJ",
        "type_label": "Adjustment",
        "office": "",
        "provider": "",
        "status": status,
        "arrived_at": None,
        "completed_at": None,
        "booked_at": None,
        **values,
    }
    return record_appointment(
        where=where,
        appointment_id=appointment_id,
        values=body,
        pms_updated_at=None,
        confirmed=False,
        actor=SYSTEM,
    )


def move(entries: Any, when: dt.datetime) -> None:
    """Date entries (and the automatic awards that made them) to `when`."""
    ids = [entry.pk for entry in entries]
    LedgerEntry.objects.filter(pk__in=ids).update(created_at=when)
    AutoAward.objects.filter(entry_id__in=ids).update(created_at=when)


def auto_entries(appointment_id: str) -> list[LedgerEntry]:
    return [
        award.entry
        for award in AutoAward.objects.filter(appointment__appointment_id=appointment_id)
        if award.entry is not None
    ]


@pytest.fixture
def member(
    acworth: Practice, make_profile: Callable[..., Profile], issue_cards: Any
) -> Callable[..., Profile]:
    """A patient with a connected card, at a location of Acworth (or none)."""

    def make(first: str, location: str | None = None, practice: Practice = acworth) -> Profile:
        where = Location.objects.get(practice=practice, name=location) if location else None
        return make_profile(practice, first=first, card=issue_cards(practice, 1)[0], location=where)

    return make


def rule(practice: Practice, trigger: str, points: int, **values: Any) -> AutoRule:
    return save_rule(
        practice=practice, trigger=trigger, enabled=True, actor=SYSTEM, points=points, **values
    )


# --- Points by rule -------------------------------------------------------------


@pytest.fixture
def rule_activity(acworth: Practice, member: Callable[..., Profile]) -> dict[str, Profile]:
    """This month, by the rules kept 5, on time 3, late 2, missed 7 (pks in that order):

    Emma: A1 on time (+3) and kept (+5); A2 missed (-7 of 8), then completed on
    time: kept +5, on time +3, the deduction given back (+7); staff reverse A1's
    on time (-3). Olivia: B1 on time (+3) and kept (+5); a sticker (-5); B1
    deleted: kept takes back 3 and cannot take 2, on time cannot take 3; B2
    late with nothing left (cannot take 2), then on time after all: the 2
    forgiven, on time +3.
    """
    for trigger, points in (("kept", 5), ("on_time", 3), ("late", 2), ("missed", 7)):
        rule(acworth, trigger, points)
    emma, olivia = member("Emma"), member("Olivia")
    soon = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    after = dt.timedelta(minutes=1)
    visit(emma, "A1", "arrived", soon, arrived_at=soon + after)
    visit(emma, "A1", "completed", soon, arrived_at=soon + after, completed_at=soon + 30 * after)
    later = soon + dt.timedelta(days=1)
    visit(emma, "A2", "missed", later)
    visit(emma, "A2", "completed", later, arrived_at=later, completed_at=later + 30 * after)
    [on_time] = [e for e in auto_entries("A1") if e.points == 3]
    reverse_entry(practice=acworth, entry=on_time, reason="Came late", actor=FRONTDESK)
    visit(olivia, "B1", "completed", soon, arrived_at=soon, completed_at=soon + 30 * after)
    sticker = Prize.objects.create(practice=acworth, name="Sticker pack", cost=5)
    order_prize(practice=acworth, profile=olivia, prize=sticker, actor=FRONTDESK)
    where = Where(acworth, "orthotrac", f"OT-{olivia.pk}", olivia)
    delete_appointment(where=where, appointment_id="B1", pms_updated_at=None, actor=SYSTEM)
    visit(olivia, "B2", "arrived", later, arrived_at=later + 10 * after)
    visit(olivia, "B2", "arrived", later, arrived_at=later + 2 * after)
    return {"emma": emma, "olivia": olivia}


RULE_ROWS = [
    # Rule, patients, paid, taken back, deducted, given back, reversed, net, unpaid, forgiven
    ("Appointment kept", 2, 15, 3, 0, 0, 0, 12, 2, 0),
    ("On time", 2, 12, 0, 0, 0, -3, 9, 3, 0),
    ("Late", 1, 0, 0, 0, 0, 0, 0, 2, 2),
    ("Missed appointment", 1, 0, 0, 7, 7, 0, 0, 0, 0),
]
RULE_TOTAL = ("All rules", 2, 27, 3, 7, 7, -3, 21, 7, 2)


class TestPointsByRule:
    def test_it_shows_each_rule_this_month(
        self, owner_client: Client, acworth: Practice, rule_activity: dict[str, Profile]
    ) -> None:
        response = owner_client.get(RULES_URL)
        assert response.status_code == 200
        report = response.context["report"]
        assert [row.cells() for row in report.rows] == RULE_ROWS
        assert report.total.cells() == RULE_TOTAL
        # The net agrees with the ledger: automatic entries and their reversals.
        ledger = LedgerEntry.objects.filter(practice=acworth).exclude(kind__in=[EntryKind.REDEEM])
        assert ledger.aggregate(total=Sum("points"))["total"] == RULE_TOTAL[7]
        today = timezone.now().astimezone(ZONE).date()
        period = response.context["period"]
        assert (period.start, period.end) == (today.replace(day=1), today)
        event = AuditEvent.objects.get(action="report.view")
        assert event.detail == {
            "start": str(period.start),
            "end": str(period.end),
            "report": "auto_rules",
        }
        content = response.content.decode()
        assert "Emma" not in content and "Olivia" not in content

    def test_it_downloads_the_table_as_csv(
        self, financial_client: Client, rule_activity: dict[str, Profile]
    ) -> None:
        today = timezone.now().astimezone(ZONE).date()
        start = today.replace(day=1)
        response = financial_client.get(
            "/reports/automatic/rules.csv", {"start": str(start), "end": str(today)}
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="acworth-automatic-points-{start}-to-{today}.csv"'
        )
        assert rows(response) == [
            list(reports.RULE_HEADERS),
            *[[str(cell) for cell in row] for row in [*RULE_ROWS, RULE_TOTAL]],
        ]
        event = AuditEvent.objects.get(action="report.export")
        assert event.detail["table"] == "auto_rules" and event.detail["rows"] == "4"

    def test_it_counts_days_in_the_practice_time_zone(
        self, acworth: Practice, rule_activity: dict[str, Profile]
    ) -> None:
        # 23:30 on March 31 in New York is 03:30 UTC on April 1.
        move(auto_entries("A1"), local(2026, 3, 31, 23, 30))
        march = reports.by_rule(
            acworth, Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31), ZONE.key)
        )
        april = reports.by_rule(
            acworth, Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30), ZONE.key)
        )
        assert march.total.cells() == ("All rules", 1, 8, 0, 0, 0, 0, 8, 0, 0)
        assert april.total.cells() == ("All rules", 0, 0, 0, 0, 0, 0, 0, 0, 0)

    def test_it_lists_rules_that_are_on_when_nothing_happened(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        empty = owner_client.get(RULES_URL)
        assert empty.context["report"].rows == []
        assert b"No rule is on" in empty.content
        rule(acworth, "missed", 7)
        rule(acworth, "kept", 5)
        response = owner_client.get(RULES_URL)
        assert [row.cells() for row in response.context["report"].rows] == [
            ("Appointment kept", 0, 0, 0, 0, 0, 0, 0, 0, 0),
            ("Missed appointment", 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ]

    def test_it_never_counts_another_practice(
        self,
        outsider_client: Client,
        riverside: Practice,
        member: Callable[..., Profile],
        rule_activity: dict[str, Profile],
    ) -> None:
        rule(riverside, "kept", 9)
        rita = member("Rita", "Riverside", practice=riverside)
        soon = timezone.now() + dt.timedelta(hours=1)
        visit(rita, "R1", "completed", soon, completed_at=soon)
        report = outsider_client.get(RULES_URL).context["report"]
        assert [row.cells() for row in report.rows] == [
            ("Appointment kept", 1, 9, 0, 0, 0, 0, 9, 0, 0)
        ]
        assert report.total.patients == 1

    def test_it_shows_automatic_entries_in_the_points_reports(
        self, owner_client: Client, rule_activity: dict[str, Profile]
    ) -> None:
        response = owner_client.get("/reports/")
        summary = response.context["summary"]
        assert (summary.awarded, summary.redeemed, summary.reversed, summary.automatic) == (
            0,
            5,
            -3,
            24,
        )
        assert summary.net == 16
        tables = {table.key: table.rows for table in response.context["tables"]}
        assert ("Automatic", 10, 24) in tables["kinds"]
        assert ("Automatic points", 10, 0, 0, 0, 24, 24) in tables["staff"]
        assert b"Automatic (net)" in response.content


# --- How often are patients rewarded? --------------------------------------------


@dataclass
class Study:
    weeks: reports.Weeks
    practice: Practice


@pytest.fixture
def study(acworth: Practice, riverside: Practice, member: Callable[..., Profile]) -> Study:
    """Three weeks from Monday March 2, 2026 (New York; summer time starts on
    Sunday March 8). Rules: kept 5 for type KEEP, missed 7 for type MISS; any
    visit from January 1 earns them. 8 visits count, 4 of them rewarded:

    week 1: V1 Emma (Smith), menu points by frontdesk: rewarded. V2 Olivia
      (Jones), points the next day: not. V3 Noah (no provider), Sunday 23:30,
      kept paid at 23:50 (03:50 UTC on Monday): rewarded.
    week 2: V4 Emma (Smith), points at 23:55 the night before (UTC: the same
      day): not. V5 and V6 Olivia the same day (Jones, Smith), misc points by
      the owner and menu points by frontdesk that day: both rewarded, by both
      of them. V7 Noah missed,
      V8 Emma deleted: not counted.
    week 3: V9 Noah (Jones), points staff reversed: not. V10 Emma (Smith),
      missed then kept: only the deduction given back: not.
    Not counted: Emma's visit on Sunday March 1 (23:30, Monday in UTC) and on
    Monday March 23 (00:30), a visit of a chart with no profile, Riverside's.
    """
    rule(acworth, "kept", 5, appointment_types=["KEEP"])
    rule(acworth, "missed", 7, appointment_types=["MISS"])
    AutoRule.objects.filter(practice=acworth).update(active_from=None)
    save_settings(
        practice=acworth, excluded_tags=[], visits_since=dt.date(2026, 1, 1), actor=SYSTEM
    )
    category = RewardCategory.objects.create(practice=acworth, name="Visit")
    item = RewardItem.objects.create(practice=acworth, category=category, name="Smile", points=3)
    emma, olivia, noah = member("Emma", "Acworth"), member("Olivia", "Marietta"), member("Noah")

    def by_hand(profile: Profile, when: dt.datetime, actor: Actor = FRONTDESK) -> LedgerEntry:
        if actor is OWNER:
            entry = award_misc(
                practice=acworth,
                profile=profile,
                points=10,
                description="Great",
                actor=actor,
                role=Role.OWNER,
            )
        else:
            [entry] = award_items(practice=acworth, profile=profile, items=[item], actor=actor)
        assert isinstance(entry, LedgerEntry)
        move([entry], when)
        return entry

    def done(
        profile: Profile, key: str, when: dt.datetime, provider: str = "", **values: Any
    ) -> None:
        visit(profile, key, "completed", when, provider=provider, completed_at=when, **values)

    done(emma, "V1", local(2026, 3, 2, 10), "Dr. Smith")
    by_hand(emma, local(2026, 3, 2, 10, 30))
    done(olivia, "V2", local(2026, 3, 3, 11), "Dr. Jones")
    by_hand(olivia, local(2026, 3, 4, 9))
    done(noah, "V3", local(2026, 3, 8, 23, 30), type_code="KEEP")
    move(auto_entries("V3"), local(2026, 3, 8, 23, 50))
    done(emma, "V4", local(2026, 3, 9, 9), "Dr. Smith")
    by_hand(emma, local(2026, 3, 8, 23, 55))
    done(olivia, "V5", local(2026, 3, 11, 10), "Dr. Jones")
    done(olivia, "V6", local(2026, 3, 11, 15), "Dr. Smith")
    by_hand(olivia, local(2026, 3, 11, 10, 20), OWNER)
    by_hand(olivia, local(2026, 3, 11, 15, 40))
    visit(noah, "V7", "missed", local(2026, 3, 12, 9), provider="Dr. Jones")
    done(emma, "V8", local(2026, 3, 13, 9), "Dr. Smith")
    where = Where(acworth, "orthotrac", f"OT-{emma.pk}", emma)
    delete_appointment(where=where, appointment_id="V8", pms_updated_at=None, actor=SYSTEM)
    done(noah, "V9", local(2026, 3, 16, 9), "Dr. Jones")
    mistake = by_hand(noah, local(2026, 3, 16, 9, 30))
    reverse_entry(practice=acworth, entry=mistake, reason="Wrong patient", actor=FRONTDESK)
    visit(emma, "V10", "missed", local(2026, 3, 17, 9), type_code="MISS")
    done(emma, "V10", local(2026, 3, 17, 9), "Dr. Smith", type_code="MISS")
    given_back = [entry for entry in auto_entries("V10") if entry.points > 0]
    assert [entry.description[:10] for entry in given_back] == ["Given back"]
    move(given_back, local(2026, 3, 17, 9, 45))
    done(emma, "V0", local(2026, 3, 1, 23, 30), "Dr. Smith")
    by_hand(emma, local(2026, 3, 1, 23, 45))
    done(emma, "V11", local(2026, 3, 23, 0, 30), "Dr. Smith")
    by_hand(emma, local(2026, 3, 23, 0, 45))
    visit(None, "V12", "completed", local(2026, 3, 17, 10), practice=acworth, chart="OT-NEW")
    rita = member("Rita", "Riverside", practice=riverside)
    done(rita, "R1", local(2026, 3, 10, 10), "Dr. Smith")
    award_misc(
        practice=riverside, profile=rita, points=5, description="x", actor=OWNER, role=Role.OWNER
    )
    move(LedgerEntry.objects.filter(practice=riverside), local(2026, 3, 10, 10, 30))
    return Study(
        reports.Weeks.covering(dt.date(2026, 3, 2), dt.date(2026, 3, 22), ZONE.key), acworth
    )


def tallies(line: reports.Line) -> list[tuple[int, int]]:
    return [(t.rewarded, t.visits) for t in (*line.weeks, line.total)]


class TestHowOftenRewarded:
    def test_it_counts_rewarded_visits_by_week_location_provider_and_giver(
        self, study: Study
    ) -> None:
        report = reports.frequency(study.practice, study.weeks)
        assert report.weeks.mondays == [
            dt.date(2026, 3, 2),
            dt.date(2026, 3, 9),
            dt.date(2026, 3, 16),
        ]
        assert tallies(report.overall) == [(2, 3), (2, 3), (0, 2), (4, 8)]
        assert report.overall.total.percent == "50 %"
        assert {line.name: tallies(line) for line in report.locations} == {
            "Acworth": [(1, 1), (0, 1), (0, 1), (1, 3)],
            "Marietta": [(0, 1), (2, 2), (0, 0), (2, 3)],
            "No location": [(1, 1), (0, 0), (0, 1), (1, 2)],
        }
        assert [line.name for line in report.locations][-1] == "No location"
        assert {line.name: tallies(line) for line in report.providers} == {
            "Dr. Jones": [(0, 1), (1, 1), (0, 1), (1, 3)],
            "Dr. Smith": [(1, 1), (1, 2), (0, 1), (2, 4)],
            "No provider": [(1, 1), (0, 0), (0, 0), (1, 1)],
        }
        assert {line.name: tallies(line) for line in report.givers} == {
            "frontdesk": [(1, 3), (2, 3), (0, 2), (3, 8)],
            "owner": [(0, 3), (2, 3), (0, 2), (2, 8)],
        }

    def test_it_shows_the_weeks_asked_for(self, financial_client: Client, study: Study) -> None:
        # Thursday to Wednesday: widened to the weeks of March 2 and 9.
        response = financial_client.get(VISITS_URL, {"start": "2026-03-05", "end": "2026-03-11"})
        assert response.status_code == 200
        report = response.context["report"]
        assert (report.weeks.first, report.weeks.count) == (dt.date(2026, 3, 2), 2)
        assert tallies(report.overall) == [(2, 3), (2, 3), (4, 6)]
        content = response.content.decode()
        assert "67 %" in content and "4 of 6" in content
        for name in ("Emma", "Olivia", "Noah"):
            assert name not in content
        event = AuditEvent.objects.get(action="report.view")
        assert event.detail == {
            "start": "2026-03-02",
            "end": "2026-03-15",
            "report": "rewarded_visits",
        }

    def test_it_downloads_the_report_as_csv(self, owner_client: Client, study: Study) -> None:
        response = owner_client.get(
            "/reports/automatic/visits.csv", {"start": "2026-03-02", "end": "2026-03-22"}
        )
        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            'attachment; filename="acworth-rewarded-visits-2026-03-02-to-2026-03-22.csv"'
        )
        found = rows(response)
        assert found[0] == ["Group", "Name", "Week from", "Visits", "Rewarded visits", "Rewarded %"]
        assert found[1:5] == [
            ["All visits", "All visits", "2026-03-02", "3", "2", "66.7"],
            ["All visits", "All visits", "2026-03-09", "3", "2", "66.7"],
            ["All visits", "All visits", "2026-03-16", "2", "0", "0.0"],
            ["All visits", "All visits", "All", "8", "4", "50.0"],
        ]
        assert ["By location", "Marietta", "2026-03-16", "0", "0", ""] in found
        assert ["Rewarded by hand, by staff member", "owner", "All", "8", "2", "25.0"] in found
        assert len(found) == 1 + 4 * (1 + 3 + 3 + 2)
        event = AuditEvent.objects.get(action="report.export")
        assert event.detail["table"] == "rewarded_visits" and event.detail["rows"] == "36"

    def test_it_shows_an_empty_range(self, owner_client: Client, study: Study) -> None:
        response = owner_client.get(VISITS_URL, {"start": "2025-03-03", "end": "2025-03-09"})
        report = response.context["report"]
        assert tallies(report.overall) == [(0, 0), (0, 0)]
        assert report.overall.total.percent == "—"
        assert (report.locations, report.providers, report.givers) == ([], [], [])
        assert b"No completed visits in these weeks." in response.content
        export = owner_client.get(
            "/reports/automatic/visits.csv", {"start": "2025-03-03", "end": "2025-03-09"}
        )
        assert rows(export)[1:] == [
            ["All visits", "All visits", "2025-03-03", "0", "0", ""],
            ["All visits", "All visits", "All", "0", "0", ""],
        ]

    def test_it_shows_the_last_twelve_weeks_by_default(self, owner_client: Client) -> None:
        response = owner_client.get(VISITS_URL)
        assert response.status_code == 200
        weeks = response.context["weeks"]
        today = timezone.now().astimezone(ZONE).date()
        assert weeks.count == 12 and weeks.first.weekday() == 0
        assert weeks.last_day - dt.timedelta(days=6) <= today <= weeks.last_day
        assert len(response.context["report"].overall.weeks) == 12

    def test_it_refuses_a_range_it_cannot_show(self, owner_client: Client) -> None:
        backwards = owner_client.get(VISITS_URL, {"start": "2026-03-09", "end": "2026-03-02"})
        assert backwards.status_code == 422
        assert backwards.context["form"].non_field_errors() == [
            "The start date is after the end date."
        ]
        long = owner_client.get(
            "/reports/automatic/visits.csv", {"start": "2025-01-01", "end": "2026-03-02"}
        )
        assert long.status_code == 422
        assert long.context["form"].non_field_errors() == [
            "Pick at most 53 weeks (about a year): every visit of the weeks is counted."
        ]
        bad = owner_client.get(RULES_URL, {"start": "soon", "end": "2026-03-02"})
        assert bad.status_code == 422
        assert not AuditEvent.objects.filter(action__startswith="report.").exists()

    def test_it_never_counts_another_practice(self, outsider_client: Client, study: Study) -> None:
        response = outsider_client.get(VISITS_URL, {"start": "2026-03-02", "end": "2026-03-22"})
        report = response.context["report"]
        assert tallies(report.overall) == [(0, 0), (1, 1), (0, 0), (1, 1)]
        assert [line.name for line in report.locations] == ["Riverside"]
        assert [line.name for line in report.givers] == ["owner"]

    def test_its_queries_do_not_grow_with_the_visits(
        self, study: Study, member: Callable[..., Profile]
    ) -> None:
        with CaptureQueriesContext(connection) as before:
            reports.frequency(study.practice, study.weeks)
        ava = member("Ava", "Acworth")
        for day in range(2, 20):
            visit(ava, f"X{day}", "completed", local(2026, 3, day, 12), provider=f"Dr. {day}")
        with CaptureQueriesContext(connection) as after:
            report = reports.frequency(study.practice, study.weeks)
        assert report.overall.total.visits == 8 + 18
        assert len(after.captured_queries) == len(before.captured_queries) <= 2


# --- Who may open them ------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [RULES_URL, "/reports/automatic/rules.csv", VISITS_URL, "/reports/automatic/visits.csv"]
)
class TestAccess:
    def test_it_opens_for_owners_admins_and_financial_staff(
        self, url: str, acworth: Practice, owner_client: Client, financial_client: Client
    ) -> None:
        admin_client = staff_client(acworth, "admin", Role.ADMIN)
        for client in (owner_client, financial_client, admin_client):
            assert client.get(url).status_code == 200

    @pytest.mark.parametrize("role", [Role.REWARDS, Role.MARKETING])
    def test_it_refuses_staff_who_cannot_read_reports(
        self, url: str, role: str, acworth: Practice
    ) -> None:
        response = staff_client(acworth, "desk", role).get(url)
        assert response.status_code == 403
        assert b"Your role in this practice cannot open this page." in response.content
        assert not AuditEvent.objects.filter(action__startswith="report.").exists()

    def test_it_sends_a_stranger_to_sign_in(self, url: str, acworth: Practice) -> None:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_reports_page_links_both_reports(owner_client: Client) -> None:
    content = owner_client.get("/reports/").content.decode()
    assert f'href="{RULES_URL}"' in content and f'href="{VISITS_URL}"' in content
    page = owner_client.get(VISITS_URL).content.decode()
    assert 'href="/reports/"' in page and 'aria-current="page">How often' in page
