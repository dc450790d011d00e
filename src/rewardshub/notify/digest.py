"""What a points-earned mail tells: one day's awards to a profile that no mail told of yet.

Awards of a visit come one after another (a menu with three items ticked, the
appointment's automatic points a minute later), so the mail waits a little
(REWARDSHUB_MAIL_DIGEST_SECONDS, 30 minutes by default) and then tells all of
the day's awards at once. Each entry is told in one mail only (NotifiedEntry);
entries reversed meanwhile, and the birthday and referral points that have a
mail of their own, are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rewardshub.automations.models import Trigger
from rewardshub.notify.models import NotifiedEntry
from rewardshub.patients.models import Profile
from rewardshub.points.models import EntryKind, LedgerEntry
from rewardshub.practices.models import Practice

EARNING_KINDS = (EntryKind.AWARD, EntryKind.AUTO)
# Points whose mail is their own (notify.kinds BIRTHDAY, REFERRAL_BONUS).
OWN_MAIL_TRIGGERS = (Trigger.BIRTHDAY, Trigger.REFERRAL)


@dataclass(frozen=True)
class Line:
    entry_id: int
    points: int
    what: str


def day_bounds(day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def untold_awards(
    practice: Practice, profile: Profile, day: dt.date, zone: dt.tzinfo
) -> list[Line]:
    """The day's awards to the profile, oldest first, that no mail told of yet."""
    start, end = day_bounds(day, zone)
    told = NotifiedEntry.objects.filter(
        practice=practice, entry__profile=profile, entry__created_at__gte=start
    ).values("entry_id")
    entries = (
        LedgerEntry.objects.filter(
            practice=practice,
            profile=profile,
            kind__in=EARNING_KINDS,
            points__gt=0,
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(pk__in=told)
        .exclude(reversed_by__isnull=False)
        .exclude(auto_award__rule__trigger__in=OWN_MAIL_TRIGGERS)
        .select_related("reward_item")
        .order_by("created_at", "id")
    )
    return [
        Line(entry.pk, entry.points, _what(entry)) for entry in entries
    ]


def _what(entry: LedgerEntry) -> str:
    if entry.reward_item is not None:
        return entry.reward_item.name
    return entry.description or "Points"
