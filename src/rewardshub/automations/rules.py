"""What the rules give: plain functions over plain values, no Django.

`qualifying` says which (appointment, rule) pairs a profile's appointments
earn under the practice's appointment rules; the actions turn that into
ledger entries. Keeping the decision here lets the API, the batch, the link
of a chart and the property tests all ask the same question.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

KEPT, ON_TIME, EARLY, LATE, MISSED, CONFIRMED, NEXT_BOOKED = (
    "kept",
    "on_time",
    "early",
    "late",
    "missed",
    "confirmed",
    "next_booked",
)
# Statuses in which the patient has come in.
CAME_IN = frozenset({"arrived", "seated", "completed"})


@dataclass(frozen=True)
class Visit:
    """One appointment as the rules see it."""

    key: int
    starts_at: dt.datetime
    status: str
    length_minutes: int = 0
    type_code: str = ""
    confirmed: bool = False
    arrived_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    booked_at: dt.datetime | None = None
    deleted: bool = False

    @property
    def ended_at(self) -> dt.datetime:
        return self.completed_at or self.starts_at + dt.timedelta(minutes=self.length_minutes)


@dataclass(frozen=True)
class Rule:
    """One switched-on appointment rule."""

    key: int
    trigger: str
    points: int
    appointment_types: frozenset[str] = field(default_factory=frozenset)
    daily_limit: int | None = None
    grace_minutes: int = 5
    early_minutes: int = 10
    window_hours: int = 24
    active_from: dt.datetime | None = None

    def applies_to(self, visit: Visit) -> bool:
        if self.appointment_types and visit.type_code not in self.appointment_types:
            return False
        return self.active_from is None or visit.starts_at >= self.active_from


def _grace(rules: Iterable[Rule]) -> dt.timedelta:
    """One grace for on time and late, so no arrival is both: the on-time rule's if there is one."""
    by_trigger = {rule.trigger: rule for rule in rules}
    rule = by_trigger.get(ON_TIME) or by_trigger.get(LATE)
    return dt.timedelta(minutes=rule.grace_minutes if rule else 5)


def _meets(rule: Rule, visit: Visit, visits: list[Visit], grace: dt.timedelta) -> bool:
    """Whether the visit meets the rule's trigger (type and dates aside)."""
    trigger = rule.trigger
    if trigger == MISSED:
        return visit.status == "missed"
    if visit.status in ("missed", "cancelled"):
        return False
    if trigger == KEPT:
        return visit.status == "completed"
    if trigger == CONFIRMED:
        return visit.confirmed
    arrived = visit.arrived_at if visit.status in CAME_IN else None
    if trigger == EARLY:
        return arrived is not None and arrived <= visit.starts_at - dt.timedelta(
            minutes=rule.early_minutes
        )
    if trigger == ON_TIME:
        return arrived is not None and arrived <= visit.starts_at + grace
    if trigger == LATE:
        return arrived is not None and arrived > visit.starts_at + grace
    if trigger == NEXT_BOOKED:
        if visit.status != "completed":
            return False
        until = visit.ended_at + dt.timedelta(hours=rule.window_hours)
        return any(
            other.key != visit.key
            and not other.deleted
            and other.status != "cancelled"
            and other.starts_at > visit.starts_at
            and other.booked_at is not None
            and visit.starts_at <= other.booked_at <= until
            for other in visits
        )
    return False


def qualifying(
    rules: Iterable[Rule],
    visits: Iterable[Visit],
    zone: dt.tzinfo,
    payable_from: dt.date | None,
) -> set[tuple[int, int]]:
    """The (visit key, rule key) pairs that earn their rule's points (or deduction).

    A visit earns nothing if it was deleted or cancelled, or if it falls on a
    day (in the practice's time zone) before `payable_from` (None: nothing is
    payable, e.g. the profile has no card yet). Early replaces on time when
    both apply; late and on time share one grace. A rule with a daily limit
    pays the first visits of each day, by start time.
    """
    rules = list(rules)
    visits = [visit for visit in visits if not visit.deleted]
    if payable_from is None:
        return set()
    grace = _grace(rules)
    payable = [visit for visit in visits if visit.starts_at.astimezone(zone).date() >= payable_from]
    met: dict[int, list[Visit]] = {}
    for rule in rules:
        met[rule.key] = sorted(
            (v for v in payable if rule.applies_to(v) and _meets(rule, v, visits, grace)),
            key=lambda v: (v.starts_at, v.key),
        )
    early = [rule for rule in rules if rule.trigger == EARLY]
    early_visits = {v.key for rule in early for v in met[rule.key]}
    pairs: set[tuple[int, int]] = set()
    for rule in rules:
        chosen = met[rule.key]
        if rule.trigger == ON_TIME:
            chosen = [v for v in chosen if v.key not in early_visits]
        if rule.daily_limit is not None:
            per_day: dict[dt.date, int] = defaultdict(int)
            limited = []
            for visit in chosen:
                day = visit.starts_at.astimezone(zone).date()
                if per_day[day] < rule.daily_limit:
                    per_day[day] += 1
                    limited.append(visit)
            chosen = limited
        pairs.update((visit.key, rule.key) for visit in chosen)
    return pairs


def birthday_in(year: int, born: dt.date) -> dt.date:
    """The birthday in `year`; 29 February counts as 28 February in other years."""
    if born.month == 2 and born.day == 29:
        try:
            return dt.date(year, 2, 29)
        except ValueError:
            return dt.date(year, 2, 28)
    return born.replace(year=year)


# Birthday points are paid in the week around the birthday: from three days
# before to three days after, so a job that did not run for a few days still
# pays, once (the year is the period).
BIRTHDAY_DAYS_EACH_SIDE = 3


def birthday_due(born: dt.date, today: dt.date) -> int | None:
    """The year whose birthday is due on `today`, or None."""
    for year in (today.year - 1, today.year, today.year + 1):
        day = birthday_in(year, born)
        if abs((today - day).days) <= BIRTHDAY_DAYS_EACH_SIDE:
            return year
    return None


def same_status(one: str, other: str) -> bool:
    """PMS statuses compare trimmed and without regard to case ("Debond " is "DEBOND")."""
    return one.strip().casefold() == other.strip().casefold()


def milestone_reached(
    status: str,
    changed_at: dt.datetime | None,
    milestone_status: str,
    active_from: dt.datetime | None,
) -> bool:
    """Whether a chart whose PMS status moved to `status` at `changed_at` reached the
    milestone the practice names: the same status, moved to no earlier than the
    rule was switched on (a chart already there before then earns nothing)."""
    if not milestone_status.strip() or not same_status(status, milestone_status):
        return False
    if active_from is None:
        return True
    return changed_at is not None and changed_at >= active_from
