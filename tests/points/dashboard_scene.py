"""Three weeks of a practice's points, made with real awards, orders and
automatic points, then moved in time to the weeks asked for (points entries,
orders and card activations are stamped "now" when made)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from django.db import transaction
from tests.conftest import SYSTEM

from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind
from rewardshub.cards.models import Card
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_items, award_misc
from rewardshub.points.ledger import lock_profile, post
from rewardshub.points.models import EntryKind, LedgerEntry, Prize, PrizeOrder, RewardItem
from rewardshub.points.orders import cancel_order, order_prize
from rewardshub.practices.models import Practice, Role

FRONTDESK = Actor(kind=ActorKind.STAFF, label="frontdesk")


def _moved(when: dt.datetime, make: Callable[[], Any]) -> Any:
    """Run `make`, then stamp what it wrote (entries, orders) with `when`."""
    last_entry = LedgerEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_order = PrizeOrder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    made = make()
    LedgerEntry.objects.filter(pk__gt=last_entry).update(created_at=when)
    PrizeOrder.objects.filter(pk__gt=last_order).update(created_at=when)
    return made


def _automatic(practice: Practice, profile: Profile, points: int) -> None:
    with transaction.atomic():
        locked = lock_profile(practice, profile)
        post(practice=practice, profile=locked, points=points, kind=EntryKind.AUTO,
             actor=SYSTEM, description="Automatic points")


def make_weeks(
    practice: Practice,
    mondays: list[dt.date],
    menu: dict[str, RewardItem],
    prizes: dict[str, Prize],
    make_profile: Callable[..., Profile],
    cards: list[str],
) -> None:
    """Week 0: Emma on time (3) late on Sunday night; Liam 20 automatic points.
    Week 1: Emma elastics (5) just after midnight Monday, a misc 400; orders of
    headphones (300) and three sticker packs (5 each), one cancelled; Liam's card
    connected late on Sunday night. Week 2: Liam -5 automatic; Emma a misc 10.
    Emma's card is connected in week 0."""
    zone = zoneinfo.ZoneInfo(practice.time_zone)

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)

    week0, week1, week2 = mondays
    sunday0 = week0 + dt.timedelta(days=6)
    emma = make_profile(practice, card=cards[0])
    Card.objects.filter(number=cards[0]).update(activated_at=at(week0 + dt.timedelta(days=1), 9))
    liam = make_profile(practice, first="Liam", card=cards[1])
    Card.objects.filter(number=cards[1]).update(
        activated_at=at(week1 + dt.timedelta(days=6), 23, 30)
    )
    _moved(at(sunday0, 23, 30), lambda: award_items(
        practice=practice, profile=emma, items=[menu["on_time"]], actor=FRONTDESK))
    _moved(at(week0 + dt.timedelta(days=2), 10), lambda: _automatic(practice, liam, 20))
    _moved(at(week1, 0, 30), lambda: award_items(
        practice=practice, profile=emma, items=[menu["elastics"]], actor=FRONTDESK))
    _moved(at(week1 + dt.timedelta(days=1), 12), lambda: award_misc(
        practice=practice, profile=emma, points=400, description="Contest", actor=SYSTEM,
        role=Role.OWNER))
    for prize in ("headphones", "sticker", "sticker"):
        _moved(at(week1 + dt.timedelta(days=3), 15), lambda prize=prize: order_prize(
            practice=practice, profile=emma, prize=prizes[prize], actor=FRONTDESK))
    extra = _moved(at(week1 + dt.timedelta(days=3), 16), lambda: order_prize(
        practice=practice, profile=emma, prize=prizes["sticker"], actor=FRONTDESK))
    _moved(at(week1 + dt.timedelta(days=4), 9), lambda: cancel_order(
        practice=practice, order=extra, actor=FRONTDESK, reason="Duplicate"))
    _moved(at(week2 + dt.timedelta(days=2), 11), lambda: _automatic(practice, liam, -5))
    _moved(at(week2 + dt.timedelta(days=6), 23, 59), lambda: award_misc(
        practice=practice, profile=emma, points=10, description="Birthday", actor=SYSTEM,
        role=Role.OWNER))


def ledger_weeks(practice: Practice) -> dict[dt.date, dict[str, int]]:
    """The ledger summed week by week in Python, entry by entry: what the dashboard must say."""
    zone = zoneinfo.ZoneInfo(practice.time_zone)
    weeks: dict[dt.date, dict[str, Any]] = defaultdict(
        lambda: {"awarded": 0, "redeemed": 0, "automatic": 0, "active": set()}
    )
    for entry in LedgerEntry.objects.filter(practice=practice):
        day = entry.created_at.astimezone(zone).date()
        week = weeks[day - dt.timedelta(days=day.weekday())]
        if entry.kind in (EntryKind.AWARD, EntryKind.ADJUST):
            week["awarded"] += entry.points
        elif entry.kind == EntryKind.REDEEM:
            week["redeemed"] -= entry.points
        elif entry.kind == EntryKind.AUTO:
            week["automatic"] += entry.points
        week["active"].add(entry.profile_id)
    return {
        monday: {**sums, "active": len(sums["active"])} for monday, sums in weeks.items()
    }


class ChartReader(HTMLParser):
    """The bars of each chart (<svg data-chart>) and the cells of each table
    (<table data-chart>) of a page, as {chart: {(row label, column): value}}."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
        self.tables: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
        self._svg: str | None = None
        self._table: str | None = None
        self._headers: list[str] = []
        self._row: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "svg":
            self._svg = found.get("data-chart")
        elif tag == "rect" and self._svg:
            key = (found["data-category"] or "", found["data-series"] or "")
            self.bars[self._svg][key] = int(found["data-value"] or "")
        elif tag == "table":
            self._table, self._headers = found.get("data-chart"), []
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td") and self._table:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg = None
        elif tag == "table":
            self._table = None
        elif tag in ("th", "td") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._table:
            if not self._headers:
                self._headers = self._row
            else:
                for header, cell in zip(self._headers[1:], self._row[1:], strict=True):
                    self.tables[self._table][(self._row[0], header)] = int(cell)


def read_charts(html: str) -> ChartReader:
    reader = ChartReader()
    reader.feed(html)
    return reader
