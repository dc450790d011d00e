"""The practice dashboard: its weekly numbers match the ledger week by week in
the practice's time zone, it counts one practice only, it opens for report
roles only and is audited, and every chart draws the numbers of its table."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone
from tests.conftest import SYSTEM
from tests.points.dashboard_scene import ledger_weeks, make_weeks, read_charts

from rewardshub.audit.models import AuditEvent
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_misc
from rewardshub.points.dashboard import Week, by_week, last_weeks, mondays, top_prizes
from rewardshub.points.models import Prize, RewardItem
from rewardshub.points.reports import Period
from rewardshub.practices.models import Practice, Role

# US summer time starts on Sunday, March 8 2026: week 0 ends an hour short.
MARCH = [dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16)]
EXPECTED = [
    Week(MARCH[0], awarded=3, redeemed=0, automatic=20, active=2, new_cards=1),
    Week(MARCH[1], awarded=405, redeemed=315, automatic=0, active=1, new_cards=1),
    Week(MARCH[2], awarded=10, redeemed=0, automatic=-5, active=2, new_cards=0),
]


@pytest.fixture
def weeks_of(
    menu: dict[str, RewardItem],
    prizes: dict[str, Prize],
    make_profile: Callable[..., Profile],
    issue_cards: Callable[[Practice, int], list[str]],
) -> Callable[[Practice, list[dt.date]], None]:
    def make(practice: Practice, first: list[dt.date]) -> None:
        make_weeks(practice, first, menu, prizes, make_profile, issue_cards(practice, 2))

    return make


@pytest.fixture
def riverside_weeks(
    riverside: Practice, make_profile: Callable[..., Profile],
    issue_cards: Callable[[Practice, int], list[str]],
) -> Practice:
    """Another practice's patient, card and points in the same weeks."""
    ruth = make_profile(riverside, first="Ruth", card=issue_cards(riverside, 1)[0])
    award_misc(practice=riverside, profile=ruth, points=777, description="Welcome",
               actor=SYSTEM, role=Role.OWNER)
    return riverside


class TestWeeks:
    def test_the_weeks_match_the_ledger_in_the_practice_time_zone(
        self, acworth: Practice, weeks_of: Callable[[Practice, list[dt.date]], None]
    ) -> None:
        weeks_of(acworth, MARCH)
        period = Period(MARCH[0], dt.date(2026, 3, 22), acworth.time_zone)
        found = by_week(acworth, period)
        assert found == EXPECTED
        ledger = ledger_weeks(acworth)
        assert {w.monday: {"awarded": w.awarded, "redeemed": w.redeemed,
                           "automatic": w.automatic, "active": w.active} for w in found} == ledger
        assert top_prizes(acworth, period) == [("Sticker pack", 2), ("Headphones", 1)]

    def test_a_week_outside_the_period_is_left_out(
        self, acworth: Practice, weeks_of: Callable[[Practice, list[dt.date]], None]
    ) -> None:
        weeks_of(acworth, MARCH)
        period = Period(MARCH[1], dt.date(2026, 3, 15), acworth.time_zone)
        assert by_week(acworth, period) == [EXPECTED[1]]
        # The Sunday-night award of week 0 is 03:30 UTC on Monday: still week 0.
        assert by_week(acworth, Period(MARCH[0], MARCH[0] + dt.timedelta(days=6),
                                       acworth.time_zone)) == [EXPECTED[0]]

    def test_another_practice_never_shows(
        self, acworth: Practice, riverside_weeks: Practice,
        weeks_of: Callable[[Practice, list[dt.date]], None],
    ) -> None:
        weeks_of(acworth, MARCH)
        today = timezone.now().astimezone(zoneinfo.ZoneInfo(acworth.time_zone)).date()
        period = Period(MARCH[0], today, acworth.time_zone)
        found = by_week(acworth, period)
        assert found[:3] == EXPECTED
        assert all(w == Week(w.monday) for w in found[3:])
        theirs = by_week(riverside_weeks, period)
        assert sum(w.awarded for w in theirs) == 777
        assert sum(w.new_cards for w in theirs) == 1
        assert top_prizes(riverside_weeks, period) == []

    def test_the_last_weeks_end_today_in_the_practice_time_zone(self, acworth: Practice) -> None:
        # 03:00 UTC on Wednesday is still Tuesday evening in New York.
        now = dt.datetime(2026, 3, 11, 3, 0, tzinfo=dt.UTC)
        period = last_weeks(acworth, now)
        assert (period.start, period.end) == (dt.date(2025, 12, 22), dt.date(2026, 3, 10))
        assert len(mondays(period)) == 12
        assert mondays(period)[-1] == dt.date(2026, 3, 9)
        with pytest.raises(ValueError, match="at least one week"):
            last_weeks(acworth, now, weeks=0)


def recent(practice: Practice) -> list[dt.date]:
    """The Mondays of the three weeks before this one, in the practice's zone."""
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(days=7 * n) for n in (3, 2, 1)]


class TestPage:
    url = "/reports/dashboard/"

    def test_the_charts_draw_the_tables_numbers(
        self, owner_client: Client, acworth: Practice, riverside_weeks: Practice,
        weeks_of: Callable[[Practice, list[dt.date]], None],
    ) -> None:
        weeks_of(acworth, recent(acworth))
        response = owner_client.get(self.url)
        assert response.status_code == 200
        panels = {panel.key: panel for panel in response.context["panels"]}
        assert list(panels) == ["points", "sources", "active", "cards", "prizes"]
        weeks = {row[0]: row[1:] for row in panels["points"].table.rows}
        assert len(weeks) == 12
        ledger = ledger_weeks(acworth)
        for monday, sums in ledger.items():
            label = f"{monday:%b} {monday.day}"
            assert weeks[label] == (sums["awarded"], sums["redeemed"])
            active = dict(panels["active"].table.rows)
            assert active[label] == sums["active"]
        assert sum(row[1] for row in panels["points"].table.rows) == 418  # not Riverside's 777
        assert sum(row[1] for row in panels["cards"].table.rows) == 2
        assert panels["prizes"].table.rows == [("Sticker pack", 2), ("Headphones", 1)]
        page = read_charts(response.content.decode())
        assert set(page.bars) == set(panels)
        for key in panels:
            assert page.bars[key] == page.tables[key], key
            assert page.bars[key], key
        assert page.bars["sources"][(f"{recent(acworth)[2]:%b} {recent(acworth)[2].day}",
                                     "Automatic")] == -5
        event = AuditEvent.objects.get(action="report.view")
        period = response.context["period"]
        assert (event.actor_label, event.detail) == ("owner", {
            "start": period.start.isoformat(), "end": period.end.isoformat(), "report": "dashboard",
        })

    def test_it_opens_for_financial_staff_and_not_for_the_front_desk(
        self, financial_client: Client, frontdesk_client: Client, acworth: Practice,
        weeks_of: Callable[[Practice, list[dt.date]], None],
    ) -> None:
        weeks_of(acworth, recent(acworth))
        assert financial_client.get(self.url).status_code == 200
        assert AuditEvent.objects.filter(action="report.view").count() == 1
        refused = frontdesk_client.get(self.url)
        assert refused.status_code == 403
        assert b"Your role in this practice cannot open this page." in refused.content
        assert AuditEvent.objects.filter(action="report.view").count() == 1
        assert Client().get(self.url).status_code == 302

    def test_another_practice_sees_only_its_own(
        self, outsider_client: Client, acworth: Practice, riverside_weeks: Practice,
        weeks_of: Callable[[Practice, list[dt.date]], None],
    ) -> None:
        weeks_of(acworth, recent(acworth))
        response = outsider_client.get(self.url)
        assert response.status_code == 200
        panels = {panel.key: panel for panel in response.context["panels"]}
        assert sum(row[1] for row in panels["points"].table.rows) == 777
        assert sum(row[2] for row in panels["points"].table.rows) == 0
        assert panels["prizes"].table.rows == []
        assert b"Sticker pack" not in response.content
        event = AuditEvent.objects.get(action="report.view")
        assert event.practice_id == riverside_weeks.pk

    def test_the_reports_page_charts_its_days(
        self, owner_client: Client, acworth: Practice,
        weeks_of: Callable[[Practice, list[dt.date]], None],
    ) -> None:
        weeks_of(acworth, MARCH)
        response = owner_client.get("/reports/", {"start": "2026-03-01", "end": "2026-03-31"})
        assert response.status_code == 200
        page = read_charts(response.content.decode())
        dates = {t.key: t for t in response.context["tables"]}["dates"]
        assert page.bars["dates"] == {
            (row[0], column): row[n]
            for row in dates.rows for n, column in ((1, "Awarded"), (2, "Redeemed"))
        }
        assert page.bars["dates"][("2026-03-08", "Awarded")] == 3
        assert page.bars["dates"][("2026-03-12", "Redeemed")] == 315
        assert b'href="/reports/dashboard/"' in response.content
