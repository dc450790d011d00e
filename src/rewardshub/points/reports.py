"""Report tables: points by day or month, kind, staff member, location and menu item; orders.

Each table is one aggregate query (GROUP BY in the database) over the ledger
or the orders of one practice inside a period. A period is a range of whole
days in the practice's time zone, both ends included.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth

from rewardshub.points.models import EntryKind, LedgerEntry, OrderStatus, PrizeOrder
from rewardshub.practices.models import Practice

# "Awarded" is points given to patients: menu awards and misc adjustments.
# "Redeemed" is points spent on prizes. Reversals are shown on their own, and
# so are automatic points: what the practice's rules paid, less what they took
# back or deducted (kind "auto"; the automatic reports break it down by rule).
AWARD_KINDS = (EntryKind.AWARD, EntryKind.ADJUST)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    time_zone: str

    @classmethod
    def this_month(cls, practice: Practice, now: dt.datetime) -> Period:
        today = now.astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()
        return cls(start=today.replace(day=1), end=today, time_zone=practice.time_zone)

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        zone = zoneinfo.ZoneInfo(self.time_zone)
        since = dt.datetime.combine(self.start, dt.time.min, tzinfo=zone)
        until = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return since, until


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[object, ...]]


def entries(practice: Practice, period: Period) -> QuerySet[LedgerEntry]:
    since, until = period.bounds
    return LedgerEntry.objects.filter(
        practice=practice, created_at__gte=since, created_at__lt=until
    ).order_by()


def _awarded() -> Coalesce:
    return Coalesce(Sum("points", filter=Q(kind__in=AWARD_KINDS)), 0)


def _redeemed() -> Coalesce:
    # Stored negative; reported as the positive number of points spent.
    return Coalesce(Sum("points", filter=Q(kind=EntryKind.REDEEM)), 0)


def _reversed() -> Coalesce:
    return Coalesce(Sum("points", filter=Q(kind=EntryKind.REVERSAL)), 0)


def _automatic() -> Coalesce:
    return Coalesce(Sum("points", filter=Q(kind=EntryKind.AUTO)), 0)


def by_kind(practice: Practice, period: Period) -> Table:
    found = (
        entries(practice, period)
        .values("kind")
        .annotate(n=Count("id"), total=Sum("points"))
        .order_by("kind")
    )
    labels = dict(EntryKind.choices)
    rows: list[tuple[object, ...]] = [
        (labels.get(row["kind"], row["kind"]), row["n"], row["total"]) for row in found
    ]
    return Table("kinds", "Points by kind", ("Kind", "Entries", "Points"), rows)


def _by(practice: Practice, period: Period, field: str, empty: str) -> list[tuple[object, ...]]:
    found = (
        entries(practice, period)
        .values(field)
        .annotate(
            n=Count("id"), awarded=_awarded(), redeemed=_redeemed(), reversed=_reversed(),
            automatic=_automatic(), net=Sum("points"),
        )
        # "No location" last on both databases (they sort NULL differently).
        .order_by(F(field).asc(nulls_last=True))
    )
    return [
        (row[field] or empty, row["n"], row["awarded"], -row["redeemed"], row["reversed"],
         row["automatic"], row["net"])
        for row in found
    ]


POINT_HEADERS = ("Entries", "Awarded", "Redeemed", "Reversed", "Automatic", "Net")


def by_staff(practice: Practice, period: Period) -> Table:
    rows = _by(practice, period, "actor_label", "—")
    return Table("staff", "Points by staff member", ("Staff member", *POINT_HEADERS), rows)


def by_location(practice: Practice, period: Period) -> Table:
    rows = _by(practice, period, "location__name", "No location")
    return Table("locations", "Points by location", ("Location", *POINT_HEADERS), rows)


def by_item(practice: Practice, period: Period) -> Table:
    found = (
        entries(practice, period)
        .filter(reward_item__isnull=False)
        .values("reward_item__name")
        .annotate(
            given=Count("id", filter=Q(kind=EntryKind.AWARD)),
            awarded=_awarded(),
            reversed=_reversed(),
            net=Sum("points"),
        )
        .order_by("reward_item__name")
    )
    rows: list[tuple[object, ...]] = [
        (row["reward_item__name"], row["given"], row["awarded"], row["reversed"], row["net"])
        for row in found
    ]
    headers = ("Menu item", "Times given", "Awarded", "Reversed", "Net")
    return Table("items", "Points by menu item", headers, rows)


# Up to this many days a period is shown day by day, longer ones month by month.
DAILY_UP_TO = 62


def by_date(practice: Practice, period: Period) -> Table:
    daily = (period.end - period.start).days < DAILY_UP_TO
    zone = zoneinfo.ZoneInfo(period.time_zone)
    trunc = TruncDate("created_at", tzinfo=zone) if daily else TruncMonth(
        "created_at", tzinfo=zone
    )
    found = (
        entries(practice, period)
        .annotate(when=trunc)
        .values("when")
        .annotate(awarded=_awarded(), redeemed=_redeemed(), reversed=_reversed(),
                  automatic=_automatic(), net=Sum("points"))
        .order_by("when")
    )
    rows: list[tuple[object, ...]] = []
    for row in found:
        when = row["when"]
        if isinstance(when, dt.datetime):
            when = when.astimezone(zone).date()
        label = when.isoformat() if daily else when.strftime("%Y-%m")
        rows.append(
            (label, row["awarded"], -row["redeemed"], row["reversed"], row["automatic"], row["net"])
        )
    headers = ("Day" if daily else "Month", "Awarded", "Redeemed", "Reversed", "Automatic", "Net")
    return Table("dates", "Points by day" if daily else "Points by month", headers, rows)


def orders(practice: Practice, period: Period) -> QuerySet[PrizeOrder]:
    since, until = period.bounds
    return PrizeOrder.objects.filter(
        practice=practice, created_at__gte=since, created_at__lt=until
    ).order_by()


def orders_by_status(practice: Practice, period: Period) -> Table:
    found = dict(
        (row["status"], (row["n"], row["points"]))
        for row in orders(practice, period)
        .values("status")
        .annotate(n=Count("id"), points=Sum("cost"))
    )
    rows: list[tuple[object, ...]] = [
        (label, *found.get(status, (0, 0))) for status, label in OrderStatus.choices
    ]
    return Table("order_status", "Orders by status", ("Status", "Orders", "Points"), rows)


def orders_by_prize(practice: Practice, period: Period) -> Table:
    found = (
        orders(practice, period)
        .values("prize__name")
        .annotate(
            todo=Count("id", filter=Q(status=OrderStatus.TODO)),
            fulfilled=Count("id", filter=Q(status=OrderStatus.FULFILLED)),
            cancelled=Count("id", filter=Q(status=OrderStatus.CANCELLED)),
            points=Coalesce(Sum("cost", filter=~Q(status=OrderStatus.CANCELLED)), 0),
        )
        .order_by("prize__name")
    )
    rows: list[tuple[object, ...]] = [
        (row["prize__name"], row["todo"], row["fulfilled"], row["cancelled"], row["points"])
        for row in found
    ]
    headers = ("Prize", "To do", "Fulfilled", "Cancelled", "Points spent")
    return Table("order_prizes", "Orders by prize", headers, rows)


TABLES = {
    "dates": by_date,
    "kinds": by_kind,
    "staff": by_staff,
    "locations": by_location,
    "items": by_item,
    "order_status": orders_by_status,
    "order_prizes": orders_by_prize,
}


@dataclass(frozen=True)
class Summary:
    awarded: int
    redeemed: int
    reversed: int
    automatic: int
    net: int


def summary(practice: Practice, period: Period) -> Summary:
    totals = entries(practice, period).aggregate(
        awarded=_awarded(), redeemed=_redeemed(), reversed=_reversed(), automatic=_automatic(),
        net=Coalesce(Sum("points"), 0),
    )
    return Summary(
        awarded=totals["awarded"],
        redeemed=-totals["redeemed"],
        reversed=totals["reversed"],
        automatic=totals["automatic"],
        net=totals["net"],
    )


# Spreadsheet programs run a cell that starts with one of these as a formula,
# also after leading blanks, and some read the full-width forms as the same.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FULL_WIDTH_STARTS = ("\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: object) -> str:
    """A cell safe to open in a spreadsheet. Numbers stay numbers (negative
    ones included); text that could be read as a formula gets a leading quote."""
    if isinstance(value, int):
        return str(value)
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(
        FORMULA_STARTS + FULL_WIDTH_STARTS
    ):
        return "'" + text
    return text
