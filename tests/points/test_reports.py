"""Reports: points by kind, staff, location and menu item; orders; CSV exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from tests.conftest import SYSTEM

from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind, AuditEvent
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_items, award_misc, reverse_entry
from rewardshub.points.models import EntryKind, LedgerEntry, Prize, RewardItem
from rewardshub.points.orders import cancel_order, fulfil_order, order_prize
from rewardshub.points.reports import csv_cell
from rewardshub.practices.models import Location, Practice, Role

FRONTDESK = Actor(kind=ActorKind.STAFF, label="frontdesk")


def rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def activity(
    acworth: Practice,
    make_profile: Callable[..., Profile],
    menu: dict[str, RewardItem],
    prizes: dict[str, Prize],
) -> Profile:
    """Emma: on time + elastics at Acworth (8), misc 400 by the owner, a reversed
    hygiene award; headphones ordered and fulfilled, two stickers, one cancelled."""
    marietta = Location.objects.get(practice=acworth, name="Marietta")
    emma = make_profile(acworth)
    award_items(
        practice=acworth, profile=emma, items=[menu["on_time"], menu["elastics"]],
        actor=FRONTDESK, location=Location.objects.get(practice=acworth, name="Acworth"),
    )
    award_misc(
        practice=acworth, profile=emma, points=400, description="Contest", actor=SYSTEM,
        role=Role.OWNER,
    )
    [hygiene] = award_items(
        practice=acworth, profile=emma, items=[menu["hygiene"]], actor=FRONTDESK,
        location=marietta,
    )
    reverse_entry(practice=acworth, entry=hygiene, reason="Wrong patient", actor=FRONTDESK)
    fulfil_order(
        practice=acworth,
        order=order_prize(
            practice=acworth, profile=emma, prize=prizes["headphones"], actor=FRONTDESK
        ),
        actor=FRONTDESK,
    )
    order_prize(practice=acworth, profile=emma, prize=prizes["sticker"], actor=FRONTDESK)
    cancel_order(
        practice=acworth,
        order=order_prize(practice=acworth, profile=emma, prize=prizes["sticker"], actor=SYSTEM),
        actor=FRONTDESK,
        reason="Duplicate",
    )
    return emma


class TestReportPage:
    url = "/reports/"

    def test_it_shows_this_month_by_default(
        self, owner_client: Client, acworth: Practice, activity: Profile
    ) -> None:
        response = owner_client.get(self.url)
        assert response.status_code == 200
        today = timezone.now().astimezone(zoneinfo.ZoneInfo(acworth.time_zone)).date()
        period = response.context["period"]
        assert (period.start, period.end) == (today.replace(day=1), today)
        summary = response.context["summary"]
        # Awarded 3 + 5 + 400 + 3; redeemed 300 + 5 + 5; reversed -3 + 5.
        assert (summary.awarded, summary.redeemed, summary.reversed, summary.net) == (
            411, 310, 2, 103
        )
        tables = {table.key: table.rows for table in response.context["tables"]}
        assert tables["dates"] == [(today.isoformat(), 411, 310, 2, 0, 103)]
        assert tables["kinds"] == [
            ("Adjustment", 1, 400), ("Award", 3, 11), ("Redeem", 3, -310), ("Reversal", 2, 2),
        ]
        assert tables["staff"] == [
            ("frontdesk", 7, 11, 305, 2, 0, -292),
            ("tests", 2, 400, 5, 0, 0, 395),
        ]
        assert tables["locations"] == [
            ("Acworth", 2, 8, 0, 0, 0, 8),
            ("Marietta", 2, 3, 0, -3, 0, 0),
            ("No location", 5, 400, 310, 5, 0, 95),
        ]
        assert tables["items"] == [
            ("Good oral hygiene", 1, 3, -3, 0),
            ("On time", 1, 3, 0, 3),
            ("Wearing elastics", 1, 5, 0, 5),
        ]
        assert tables["order_status"] == [
            ("To do", 1, 5), ("Fulfilled", 1, 300), ("Cancelled", 1, 5),
        ]
        assert tables["order_prizes"] == [
            ("Headphones", 0, 1, 0, 300), ("Sticker pack", 1, 0, 1, 5),
        ]
        event = AuditEvent.objects.get(action="report.view")
        assert event.actor_label == "owner"
        assert event.detail == {"start": period.start.isoformat(), "end": period.end.isoformat()}

    def test_it_opens_for_financial_staff(
        self, financial_client: Client, activity: Profile
    ) -> None:
        response = financial_client.get(self.url)
        assert response.status_code == 200
        assert response.context["summary"].awarded == 411
        assert financial_client.get(f"/patients/{activity.public_id}/").status_code == 403

    def test_it_refuses_front_desk_staff(self, frontdesk_client: Client) -> None:
        response = frontdesk_client.get(self.url)
        assert response.status_code == 403
        assert b"Your role in this practice cannot open this page." in response.content
        assert not AuditEvent.objects.filter(action="report.view").exists()

    def test_it_counts_days_in_the_practice_time_zone(
        self, owner_client: Client, acworth: Practice, activity: Profile
    ) -> None:
        zone = zoneinfo.ZoneInfo(acworth.time_zone)
        late = dt.datetime(2026, 3, 31, 23, 30, tzinfo=zone)  # 03:30 UTC on April 1
        early = dt.datetime(2026, 4, 1, 0, 30, tzinfo=zone)
        entries = list(LedgerEntry.objects.filter(kind=EntryKind.ADJUST))
        LedgerEntry.objects.filter(pk=entries[0].pk).update(created_at=late)
        LedgerEntry.objects.filter(kind=EntryKind.AWARD, points=5).update(created_at=early)
        march = owner_client.get(self.url, {"start": "2026-03-01", "end": "2026-03-31"})
        april = owner_client.get(self.url, {"start": "2026-04-01", "end": "2026-04-30"})
        assert march.context["summary"].awarded == 400
        assert april.context["summary"].awarded == 5
        dates = {t.key: t for t in march.context["tables"]}["dates"]
        assert (dates.title, dates.rows) == ("Points by day", [("2026-03-31", 400, 0, 0, 0, 400)])
        dates = {t.key: t for t in april.context["tables"]}["dates"]
        assert dates.rows == [("2026-04-01", 5, 0, 0, 0, 5)]
        spring = owner_client.get(self.url, {"start": "2026-01-01", "end": "2026-04-30"})
        dates = {t.key: t for t in spring.context["tables"]}["dates"]
        assert (dates.title, dates.headers[0]) == ("Points by month", "Month")
        assert dates.rows == [("2026-03", 400, 0, 0, 0, 400), ("2026-04", 5, 0, 0, 0, 5)]

    def test_it_refuses_a_backwards_period(self, owner_client: Client) -> None:
        response = owner_client.get(self.url, {"start": "2026-05-02", "end": "2026-05-01"})
        assert response.status_code == 422
        assert response.context["form"].non_field_errors() == [
            "The start date is after the end date."
        ]
        assert not AuditEvent.objects.filter(action="report.view").exists()

    def test_it_only_counts_this_practice(
        self, outsider_client: Client, activity: Profile
    ) -> None:
        response = outsider_client.get(self.url)
        assert response.status_code == 200
        assert response.context["summary"].awarded == 0
        assert all(table.rows == [] or table.key == "order_status"
                   for table in response.context["tables"])

    def test_it_keeps_the_query_count_bounded(
        self, owner_client: Client, activity: Profile, django_assert_max_num_queries: Any
    ) -> None:
        with django_assert_max_num_queries(14):
            response = owner_client.get(self.url)
        assert response.status_code == 200


class TestExport:
    def test_it_downloads_a_table_as_csv(
        self, financial_client: Client, activity: Profile
    ) -> None:
        today = timezone.localdate()
        response = financial_client.get(
            "/reports/staff.csv", {"start": "2020-01-01", "end": (today + dt.timedelta(days=2))}
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="acworth-staff-2020-01-01-to-{today + dt.timedelta(days=2)}.csv"'
        )
        assert rows(response) == [
            ["Staff member", "Entries", "Awarded", "Redeemed", "Reversed", "Automatic", "Net"],
            ["frontdesk", "7", "11", "305", "2", "0", "-292"],
            ["tests", "2", "400", "5", "0", "0", "395"],
        ]
        event = AuditEvent.objects.get(action="report.export")
        assert event.detail["table"] == "staff" and event.detail["rows"] == "2"
        assert event.actor_label == "books"

    def test_it_downloads_every_table(self, owner_client: Client, activity: Profile) -> None:
        for key, header in [
            ("dates", "Day"), ("kinds", "Kind"), ("locations", "Location"), ("items", "Menu item"),
            ("order_status", "Status"), ("order_prizes", "Prize"),
        ]:
            response = owner_client.get(f"/reports/{key}.csv")
            assert response.status_code == 200
            assert rows(response)[0][0] == header
        assert AuditEvent.objects.filter(action="report.export").count() == 6

    def test_it_quotes_cells_a_spreadsheet_would_run(
        self, owner_client: Client, acworth: Practice, make_profile: Callable[..., Profile],
    ) -> None:
        profile = make_profile(acworth)
        evil = Actor(kind=ActorKind.INTEGRATION, label='=HYPERLINK("http://x","y")')
        award_misc(
            practice=acworth, profile=profile, points=10, description="x", actor=evil,
            role=Role.OWNER,
        )
        response = owner_client.get("/reports/staff.csv")
        assert rows(response)[1] == [
            "'=HYPERLINK(\"http://x\",\"y\")", "1", "10", "0", "0", "0", "10",
        ]

    def test_it_gives_an_unknown_table_a_404(self, owner_client: Client) -> None:
        assert owner_client.get("/reports/patients.csv").status_code == 404

    def test_it_refuses_front_desk_staff(self, frontdesk_client: Client) -> None:
        assert frontdesk_client.get("/reports/staff.csv").status_code == 403
        assert not AuditEvent.objects.filter(action="report.export").exists()


def test_it_quotes_every_formula_start() -> None:
    assert [csv_cell(v) for v in ["=1", "+1", "-1", "@x", "plain", -5, 7, None]] == [
        "'=1", "'+1", "'-1", "'@x", "plain", "-5", "7", "",
    ]


def test_it_matches_the_ledger_on_the_demo_data(tmp_path: Path, db: Any) -> None:
    call_command("demo", "--out", str(tmp_path / "demo.json"))
    practice = Practice.objects.get(slug="acworth")
    emma = Profile.objects.get(practice=practice, first_name="Emma")
    olivia = Profile.objects.get(practice=practice, first_name="Olivia")
    staff = Actor(kind=ActorKind.STAFF, label="owner")
    for profile in (emma, olivia):
        award_misc(
            practice=practice, profile=profile, points=200, description="Demo", actor=staff,
            role=Role.OWNER,
        )
    prizes = {p.name: p for p in Prize.objects.filter(practice=practice)}
    assert set(prizes) >= {"Sticker pack", "Fidget toy", "Movie tickets", "Headphones",
                           "Gift card"}
    order_prize(practice=practice, profile=emma, prize=prizes["Movie tickets"], actor=staff)
    order_prize(practice=practice, profile=olivia, prize=prizes["Fidget toy"], actor=staff)

    client = Client()
    client.login(username="owner", password="rewardshub-demo")
    start, end = "2020-01-01", str(timezone.localdate() + dt.timedelta(days=2))
    response = client.get("/reports/", {"start": start, "end": end})
    assert response.status_code == 200
    ledger = LedgerEntry.objects.filter(practice=practice)

    def total(**filters: Any) -> int:
        return ledger.filter(**filters).aggregate(s=Sum("points"))["s"] or 0

    summary = response.context["summary"]
    assert summary.awarded == total(kind__in=[EntryKind.AWARD, EntryKind.ADJUST])
    assert summary.redeemed == -total(kind=EntryKind.REDEEM)
    assert summary.net == total()
    assert summary.redeemed >= 175
    tables = {table.key: table for table in response.context["tables"]}
    assert sum(row[2] for row in tables["kinds"].rows) == total()
    assert sum(row[2] for row in tables["staff"].rows) == summary.awarded
    assert sum(row[3] for row in tables["locations"].rows) == summary.redeemed
    export = client.get("/reports/kinds.csv", {"start": start, "end": end})
    assert sum(int(row[2]) for row in rows(export)[1:]) == total()
