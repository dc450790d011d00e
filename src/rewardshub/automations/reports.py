"""Reports on automatic points: what each rule paid and took back, and how
often a completed visit earned any points at all.

Counts and sums only: no patient appears in either report (financial staff
read them and never see patients). Days and weeks are the practice's, in its
time zone; weeks start on Monday.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from rewardshub.automations.models import (
    DEDUCTIONS,
    Appointment,
    AppointmentStatus,
    AutoAward,
    AutoRule,
    Trigger,
)
from rewardshub.points.models import EntryKind, LedgerEntry
from rewardshub.points.reports import Period
from rewardshub.practices.models import Practice

# --- Points by rule ------------------------------------------------------------

RULE_HEADERS = (
    "Rule",
    "Patients",
    "Paid",
    "Taken back",
    "Deducted",
    "Given back",
    "Reversed by staff",
    "Net",
    "Could not take back",
    "Forgiven",
)


@dataclass(frozen=True)
class RuleRow:
    """One rule's changes in a period, in points, all positive but `reversed`
    (signed, as the ledger has it) and `net`.

    A rule that gives (kept, on time, ...) has paid and taken back; a deduction
    (late, missed) has deducted and given back. Reversed: what staff reversed by
    hand of the rule's entries. Could not take back: what a take-back or a
    deduction found already spent; forgiven: such points a later change in the
    patient's favour cancelled instead of paying."""

    rule: str
    patients: int
    paid: int = 0
    taken_back: int = 0
    deducted: int = 0
    given_back: int = 0
    reversed: int = 0
    net: int = 0
    uncollected: int = 0
    forgiven: int = 0

    def cells(self) -> tuple[object, ...]:
        return (
            self.rule,
            self.patients,
            self.paid,
            self.taken_back,
            self.deducted,
            self.given_back,
            self.reversed,
            self.net,
            self.uncollected,
            self.forgiven,
        )


@dataclass(frozen=True)
class RuleReport:
    rows: list[RuleRow]
    total: RuleRow
    headers: tuple[str, ...] = RULE_HEADERS


_TRIGGER_ORDER = {value: n for n, value in enumerate(Trigger.values)}


def by_rule(practice: Practice, period: Period) -> RuleReport:
    """Every rule that is on or changed someone's points in the period, in the
    order of the settings page; four queries whatever the number of rows.
    An AutoAward counts on the day it was made (its ledger entry's day)."""
    since, until = period.bounds
    awards = AutoAward.objects.filter(
        practice=practice, created_at__gte=since, created_at__lt=until
    ).order_by()
    sums = {
        row["rule_id"]: row
        for row in awards.values("rule_id").annotate(
            gained=Coalesce(Sum("points", filter=Q(points__gt=0)), 0),
            lost=Coalesce(Sum("points", filter=Q(points__lt=0)), 0),
            owed=Coalesce(Sum("uncollected", filter=Q(uncollected__gt=0)), 0),
            forgiven=Coalesce(Sum("uncollected", filter=Q(uncollected__lt=0)), 0),
            patients=Count("profile_id", distinct=True),
        )
    }
    reversed_by_staff: dict[int, int] = dict(
        LedgerEntry.objects.filter(
            practice=practice,
            kind=EntryKind.REVERSAL,
            created_at__gte=since,
            created_at__lt=until,
            reverses__auto_award__isnull=False,
        )
        .order_by()
        .values("reverses__auto_award__rule_id")
        .annotate(total=Sum("points"))
        .values_list("reverses__auto_award__rule_id", "total")
    )
    shown = AutoRule.objects.filter(
        Q(enabled=True) | Q(pk__in=list(sums)) | Q(pk__in=list(reversed_by_staff)),
        practice=practice,
    )
    rows = [
        _rule_row(rule, sums.get(rule.pk, {}), reversed_by_staff.get(rule.pk, 0))
        for rule in sorted(shown, key=lambda rule: _TRIGGER_ORDER.get(rule.trigger, 99))
    ]
    patients = awards.aggregate(n=Count("profile_id", distinct=True))["n"]
    return RuleReport(rows, _total(rows, patients))


def _rule_row(rule: AutoRule, sums: dict[str, int], reversed_by_staff: int) -> RuleRow:
    gained, lost = sums.get("gained", 0), -sums.get("lost", 0)
    deduction = rule.trigger in DEDUCTIONS
    return RuleRow(
        rule=rule.get_trigger_display(),
        patients=sums.get("patients", 0),
        paid=0 if deduction else gained,
        taken_back=0 if deduction else lost,
        deducted=lost if deduction else 0,
        given_back=gained if deduction else 0,
        reversed=reversed_by_staff,
        net=gained - lost + reversed_by_staff,
        uncollected=sums.get("owed", 0),
        forgiven=-sums.get("forgiven", 0),
    )


def _total(rows: list[RuleRow], patients: int) -> RuleRow:
    def add(name: str) -> int:
        return sum(getattr(row, name) for row in rows)

    return RuleRow(
        rule="All rules",
        patients=patients,
        paid=add("paid"),
        taken_back=add("taken_back"),
        deducted=add("deducted"),
        given_back=add("given_back"),
        reversed=add("reversed"),
        net=add("net"),
        uncollected=add("uncollected"),
        forgiven=add("forgiven"),
    )


# --- How often are patients rewarded? ------------------------------------------

# Points that reward a patient: menu items and misc points given by hand, and
# what the rules pay. Not: reversals, transfers, and a deduction given back.
BY_HAND = (EntryKind.AWARD, EntryKind.ADJUST)
REWARDS = (*BY_HAND, EntryKind.AUTO)
NO_LOCATION = "No location"
NO_PROVIDER = "No provider"
DEFAULT_WEEKS = 12
MAX_WEEKS = 53


@dataclass(frozen=True)
class Weeks:
    """Whole weeks, Monday to Sunday, in the practice's time zone."""

    first: dt.date
    count: int
    time_zone: str

    @classmethod
    def covering(cls, start: dt.date, end: dt.date, time_zone: str) -> Weeks:
        first = monday(start)
        return cls(first, (monday(end) - first).days // 7 + 1, time_zone)

    @classmethod
    def last(cls, practice: Practice, now: dt.datetime, count: int = DEFAULT_WEEKS) -> Weeks:
        """The `count` weeks up to and including this one (which may have just begun)."""
        today = now.astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()
        return cls(monday(today) - dt.timedelta(weeks=count - 1), count, practice.time_zone)

    @property
    def mondays(self) -> list[dt.date]:
        return [self.first + dt.timedelta(weeks=n) for n in range(self.count)]

    @property
    def last_day(self) -> dt.date:
        return self.first + dt.timedelta(weeks=self.count, days=-1)

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        zone = zoneinfo.ZoneInfo(self.time_zone)
        since = dt.datetime.combine(self.first, dt.time.min, tzinfo=zone)
        until = dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return since, until


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Tally:
    visits: int = 0
    rewarded: int = 0

    @property
    def share(self) -> float | None:
        """Rewarded visits in percent; None with no visits."""
        return 100 * self.rewarded / self.visits if self.visits else None

    @property
    def percent(self) -> str:
        """The share as people read it: whole percents, halves rounded up."""
        share = self.share
        return "—" if share is None else f"{math.floor(share + 0.5)} %"


@dataclass
class Line:
    """One row of the report: a tally per week and for all the weeks."""

    name: str
    weeks: list[Tally]
    total: Tally = field(default_factory=Tally)

    @classmethod
    def empty(cls, name: str, count: int) -> Line:
        return cls(name, [Tally() for _ in range(count)])

    def add(self, week: int, rewarded: bool) -> None:
        for tally in (self.weeks[week], self.total):
            tally.visits += 1
            tally.rewarded += rewarded


@dataclass
class Frequency:
    """Completed visits and those that earned points, overall, by the patient's
    location, by the appointment's provider, and by who gave points by hand
    (whose visits are all the week's visits: the share is of every visit)."""

    weeks: Weeks
    overall: Line
    locations: list[Line]
    providers: list[Line]
    givers: list[Line]

    def groups(self) -> list[tuple[str, str, list[Line]]]:
        """(title, what a row names, rows) of each table."""
        return [
            ("All visits", "", [self.overall]),
            ("By location", "Location", self.locations),
            ("By provider", "Provider", self.providers),
            ("Rewarded by hand, by staff member", "Staff member", self.givers),
        ]


def frequency(practice: Practice, weeks: Weeks) -> Frequency:
    """Two queries, each bounded by the weeks, read once: the day's rewards by
    patient, then the visits. Local days are worked out here, in Python, so the
    result is the same on every database."""
    zone = zoneinfo.ZoneInfo(weeks.time_zone)
    since, until = weeks.bounds
    # (profile, local day) -> who gave points by hand that day; empty set:
    # only the rules paid.
    rewarded_on: dict[tuple[int, dt.date], set[str]] = defaultdict(set)
    for profile_id, created_at, kind, actor in _rewards(practice, since, until):
        givers = rewarded_on[(profile_id, created_at.astimezone(zone).date())]
        if kind in BY_HAND:
            givers.add(actor)
    overall = Line.empty("All visits", weeks.count)
    locations: dict[str, Line] = {}
    providers: dict[str, Line] = {}
    hands: dict[str, Line] = {}
    for profile_id, starts_at, provider, location in _visits(practice, since, until):
        day = starts_at.astimezone(zone).date()
        week = (day - weeks.first).days // 7
        rewarders = rewarded_on.get((profile_id, day))
        rewarded = rewarders is not None
        overall.add(week, rewarded)
        for lines, name in (
            (locations, location or NO_LOCATION),
            (providers, provider or NO_PROVIDER),
        ):
            if name not in lines:
                lines[name] = Line.empty(name, weeks.count)
            lines[name].add(week, rewarded)
        for giver in rewarders or ():
            if giver not in hands:
                hands[giver] = Line.empty(giver, weeks.count)
            hands[giver].weeks[week].rewarded += 1
            hands[giver].total.rewarded += 1
    for line in hands.values():
        for tally, all_visits in zip(line.weeks, overall.weeks, strict=True):
            tally.visits = all_visits.visits
        line.total.visits = overall.total.visits
    return Frequency(
        weeks,
        overall,
        _sorted(locations, NO_LOCATION),
        _sorted(providers, NO_PROVIDER),
        _sorted(hands, ""),
    )


def _sorted(lines: dict[str, Line], last: str) -> list[Line]:
    return [lines[name] for name in sorted(lines, key=lambda name: (name == last, name.lower()))]


def _rewards(
    practice: Practice, since: dt.datetime, until: dt.datetime
) -> Iterable[tuple[int, dt.datetime, str, str]]:
    """Positive reward entries in the range, but those staff reversed (a reward
    taken back by hand was a mistake, not a reward) and a deduction given back."""
    return (
        LedgerEntry.objects.filter(
            practice=practice,
            points__gt=0,
            kind__in=REWARDS,
            created_at__gte=since,
            created_at__lt=until,
            reversed_by__isnull=True,
        )
        .exclude(kind=EntryKind.AUTO, auto_award__rule__trigger__in=list(DEDUCTIONS))
        .order_by()
        .values_list("profile_id", "created_at", "kind", "actor_label")
        .iterator(chunk_size=2000)
    )


def _visits(
    practice: Practice, since: dt.datetime, until: dt.datetime
) -> Iterable[tuple[int, dt.datetime, str, str | None]]:
    return (
        Appointment.objects.filter(
            practice=practice,
            status=AppointmentStatus.COMPLETED,
            deleted_at__isnull=True,
            profile__isnull=False,
            starts_at__gte=since,
            starts_at__lt=until,
        )
        .order_by()
        .values_list("profile_id", "starts_at", "provider", "profile__location__name")
        .iterator(chunk_size=2000)
    )


FREQUENCY_HEADERS = ("Group", "Name", "Week from", "Visits", "Rewarded visits", "Rewarded %")


def frequency_rows(report: Frequency) -> list[tuple[object, ...]]:
    """The report as CSV rows: a row per line and week, then the line's total
    (week "All")."""
    rows: list[tuple[object, ...]] = []
    for group, _, lines in report.groups():
        for line in lines:
            for start, tally in zip(report.weeks.mondays, line.weeks, strict=True):
                rows.append((group, line.name, start.isoformat(), *_counts(tally)))
            rows.append((group, line.name, "All", *_counts(line.total)))
    return rows


def _counts(tally: Tally) -> tuple[object, ...]:
    share = tally.share
    return (tally.visits, tally.rewarded, "" if share is None else f"{share:.1f}")
