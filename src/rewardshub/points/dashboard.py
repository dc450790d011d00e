"""The practice dashboard's numbers: points, patients, cards and prizes by week.

Weeks start on Monday in the practice's time zone. Each function is one
aggregate query scoped to one practice; weeks without activity are filled in
with zeros so every chart has the same weeks. The panels pair each chart's
geometry (points.chart_geometry) with the table of the same numbers.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncWeek

from rewardshub.cards.models import Card
from rewardshub.points.chart_geometry import Chart, bar_chart
from rewardshub.points.models import EntryKind, OrderStatus
from rewardshub.points.reports import AWARD_KINDS, Period, Table, entries, orders
from rewardshub.practices.models import Practice

WEEKS = 12  # the dashboard shows this many weeks, the current one last
TOP_PRIZES = 5


def last_weeks(practice: Practice, now: dt.datetime, weeks: int = WEEKS) -> Period:
    """From the Monday `weeks - 1` weeks before this week's to today, in the practice's zone."""
    if weeks < 1:
        raise ValueError("A dashboard shows at least one week.")
    today = now.astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()
    monday = today - dt.timedelta(days=today.weekday() + 7 * (weeks - 1))
    return Period(start=monday, end=today, time_zone=practice.time_zone)


def mondays(period: Period) -> list[dt.date]:
    first = period.start - dt.timedelta(days=period.start.weekday())
    return [
        first + dt.timedelta(days=7 * n)
        for n in range((period.end - first).days // 7 + 1)
    ]


def week_label(monday: dt.date) -> str:
    return f"{monday:%b} {monday.day}"


@dataclass(frozen=True)
class Week:
    monday: dt.date
    awarded: int = 0  # menu awards and adjustments by staff
    redeemed: int = 0  # points spent on prizes, as a positive number
    automatic: int = 0  # automatic points, net of what the rules took back
    active: int = 0  # patients with any points entry in the week
    new_cards: int = 0  # cards connected to a patient in the week


def _week_of(value: dt.date | dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).date()
    return value


def by_week(practice: Practice, period: Period) -> list[Week]:
    """Every week of the period, oldest first, with its points, active patients and new cards."""
    zone = zoneinfo.ZoneInfo(period.time_zone)
    points = (
        entries(practice, period)
        .annotate(week=TruncWeek("created_at", tzinfo=zone))
        .values("week")
        .annotate(
            awarded=Coalesce(Sum("points", filter=Q(kind__in=AWARD_KINDS)), 0),
            redeemed=Coalesce(Sum("points", filter=Q(kind=EntryKind.REDEEM)), 0),
            automatic=Coalesce(Sum("points", filter=Q(kind=EntryKind.AUTO)), 0),
            active=Count("profile", distinct=True),
        )
        .order_by("week")
    )
    found = {
        _week_of(row["week"], zone): (row["awarded"], -row["redeemed"], row["automatic"],
                                      row["active"])
        for row in points
    }
    since, until = period.bounds
    cards = (
        Card.objects.filter(practice=practice, activated_at__gte=since, activated_at__lt=until)
        .order_by()
        .annotate(week=TruncWeek("activated_at", tzinfo=zone))
        .values("week")
        .annotate(n=Count("id"))
    )
    new_cards = {_week_of(row["week"], zone): row["n"] for row in cards}
    weeks = []
    for monday in mondays(period):
        awarded, redeemed, automatic, active = found.get(monday, (0, 0, 0, 0))
        weeks.append(Week(monday, awarded, redeemed, automatic, active, new_cards.get(monday, 0)))
    return weeks


def top_prizes(
    practice: Practice, period: Period, limit: int = TOP_PRIZES
) -> list[tuple[str, int]]:
    """The prizes ordered most in the period (cancelled orders left out), most first."""
    found = (
        orders(practice, period)
        .exclude(status=OrderStatus.CANCELLED)
        .values("prize__name")
        .annotate(n=Count("id"))
        .order_by("-n", "prize__name")[:limit]
    )
    return [(row["prize__name"], row["n"]) for row in found]


@dataclass(frozen=True)
class Panel:
    """One chart and the table of its numbers: the first column names the bars'
    groups, each further column is one series of bars."""

    key: str
    title: str
    note: str
    table: Table
    chart: Chart


def _number(cell: object) -> int:
    if not isinstance(cell, int):
        raise TypeError(f"A chart draws whole numbers, not {cell!r}.")
    return cell


def panel(key: str, title: str, note: str, headers: Sequence[str],
          rows: Sequence[tuple[object, ...]]) -> Panel:
    table = Table(key, title, tuple(headers), [tuple(row) for row in rows])
    categories = [str(row[0]) for row in rows]
    series = [
        (header, [_number(row[n]) for row in rows])
        for n, header in enumerate(headers[1:], start=1)
    ]
    return Panel(key, title, note, table, bar_chart(categories, series))


def table_panel(table: Table, columns: Sequence[str], key: str, title: str) -> Panel:
    """A chart of some number columns of a report table (its first column names the rows)."""
    picks = [table.headers.index(column) for column in columns]
    rows = [(row[0], *(row[n] for n in picks)) for row in table.rows]
    return panel(key, title, "", (table.headers[0], *columns), rows)


def panels(practice: Practice, period: Period) -> list[Panel]:
    weeks = by_week(practice, period)
    label = "Week of"

    def rows(*fields: str) -> list[tuple[object, ...]]:
        return [(week_label(w.monday), *(getattr(w, f) for f in fields)) for w in weeks]

    return [
        panel("points", "Points awarded and redeemed by week",
              "Awarded: menu awards and adjustments. Redeemed: points spent on prizes.",
              (label, "Awarded", "Redeemed"), rows("awarded", "redeemed")),
        panel("sources", "Automatic and staff-given points by week",
              "Automatic points are net of what the rules took back.",
              (label, "By staff", "Automatic"), rows("awarded", "automatic")),
        panel("active", "Active patients by week",
              "Patients who were given or spent points in the week.",
              (label, "Patients"), rows("active")),
        panel("cards", "New cards by week", "Cards connected to a patient in the week.",
              (label, "Cards"), rows("new_cards")),
        panel("prizes", "Top prizes", "Orders in these weeks, cancelled ones left out.",
              ("Prize", "Orders"), top_prizes(practice, period)),
    ]
