"""The points history as a patient reads it: what each visit earned, together.

Automatic points for an appointment are one ledger entry per rule ("On time:
Adjustment on Dec 5, 2026", "Appointment kept: Adjustment on Dec 5, 2026").
Entries of the same visit that follow each other in the history become one
line: the visit, then what each rule gave or took. Nothing internal is shown:
no rule or appointment ids, no amount a take-back could not take.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext

from rewardshub.automations.models import DEDUCTIONS, AutoAward
from rewardshub.automations.queries import next_visit
from rewardshub.patients.models import Profile
from rewardshub.points.models import EntryKind, LedgerEntry
from rewardshub.practices.models import Practice
from rewardshub.practices.reads import practice_zone


@dataclass(frozen=True)
class Part:
    label: str  # "On time", "Taken back: Appointment kept"
    points: int


@dataclass
class HistoryItem:
    """One line of the patient's history: an entry, or a visit's automatic entries."""

    what: str
    points: int
    created_at: dt.datetime
    parts: list[Part] = field(default_factory=list)
    # The visit's appointment (None for a line that is not a visit), to group by.
    visit_key: int | None = None


def with_visits(history: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """The history with each automatic entry's rule and appointment, in the same query."""
    return history.select_related("auto_award__rule", "auto_award__appointment")


def _award(entry: LedgerEntry) -> AutoAward | None:
    if entry.kind != EntryKind.AUTO:
        return None
    try:
        award: AutoAward = entry.auto_award  # type: ignore[attr-defined]
    except AutoAward.DoesNotExist:
        return None
    return award if award.appointment is not None else None


def _part(award: AutoAward, points: int) -> Part:
    # The rule's kind, in the patient's language (automations.models marks the words).
    label = gettext(award.rule.get_trigger_display())
    if award.rule.trigger in DEDUCTIONS and points > 0:
        label = gettext("Given back: %(what)s") % {"what": label}
    elif award.rule.trigger not in DEDUCTIONS and points < 0:
        label = gettext("Taken back: %(what)s") % {"what": label}
    return Part(label, points)


def _plain(entry: LedgerEntry) -> str:
    if entry.description:
        return entry.description
    if entry.reward_item is not None:
        return entry.reward_item.name
    return gettext(entry.get_kind_display())


def history_items(entries: Iterable[LedgerEntry], practice: Practice) -> list[HistoryItem]:
    """The entries (newest first, read through `with_visits`) as the patient's lines."""
    zone = practice_zone(practice)
    items: list[HistoryItem] = []
    for entry in entries:
        award = _award(entry)
        if award is None:
            items.append(HistoryItem(_plain(entry), entry.points, entry.created_at))
            continue
        appointment = award.appointment
        assert appointment is not None
        last = items[-1] if items else None
        if last is not None and last.visit_key == appointment.pk:
            last.points += entry.points
            # Newest first in the history; a visit's rules read in the order they were paid.
            last.parts.insert(0, _part(award, entry.points))
            continue
        day = appointment.starts_at.astimezone(zone)
        what = appointment.type_label or gettext("Visit")
        items.append(
            HistoryItem(
                what=gettext("%(what)s on %(day)s")
                % {"what": what, "day": date_format(day, "M j, Y")},
                points=entry.points,
                created_at=entry.created_at,
                parts=[_part(award, entry.points)],
                visit_key=appointment.pk,
            )
        )
    return items


def next_visit_time(profile: Profile) -> dt.datetime | None:
    found = next_visit(profile)
    return found.starts_at if found is not None else None
