"""Reading contests, their participants and awards, always inside one practice."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from rewardshub.contests.models import Contest, ContestAward, ContestEntry, Prize
from rewardshub.patients.models import Profile, Tag
from rewardshub.practices.models import Practice


def today_in(practice: Practice, now: dt.datetime | None = None) -> dt.date:
    """The practice's date now (contests run in whole days of its time zone)."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()


def status(contest: Contest, today: dt.date) -> str:
    if today < contest.starts_on:
        return "Upcoming"
    if today > contest.ends_on:
        return "Ended"
    return "Open"


def contests(practice: Practice) -> QuerySet[Contest]:
    """The practice's contests with how many entered and how many won."""
    return Contest.objects.filter(practice=practice).annotate(
        participants=Count("entries"),
        winners=Count("entries", filter=Q(entries__won_at__isnull=False)),
    )


def get_contest(practice: Practice, public_id: object) -> Contest:
    return get_object_or_404(Contest, practice=practice, public_id=public_id)


def get_entry(contest: Contest, public_id: object) -> ContestEntry:
    return get_object_or_404(
        ContestEntry.objects.select_related("profile"),
        contest=contest,
        practice_id=contest.practice_id,
        public_id=public_id,
    )


@dataclass
class Participant:
    entry: ContestEntry
    # "Paid", "Pending", "Voided" or "" (no points), for taking part and for winning.
    taking_part: str
    winning: str


def _state(award: ContestAward | None) -> str:
    if award is None:
        return ""
    if award.pending is None:
        return "Paid"
    return {"pending": "Pending", "approved": "Paid", "voided": "Voided"}[award.pending.decision]


def participants(contest: Contest) -> list[Participant]:
    """Everyone entered, winners first, with what their points became (two queries)."""
    entries = list(
        ContestEntry.objects.filter(contest=contest)
        .select_related("profile")
        .order_by(
            F("won_at").desc(nulls_last=True), "profile__last_name", "profile__first_name", "id"
        )
    )
    awards = {
        (award.profile_id, award.prize): award
        for award in ContestAward.objects.filter(contest=contest).select_related("pending")
    }
    return [
        Participant(
            entry=entry,
            taking_part=_state(awards.get((entry.profile_id, Prize.PARTICIPANT))),
            winning=_state(awards.get((entry.profile_id, Prize.WINNER))),
        )
        for entry in entries
    ]


def tags_with_counts(practice: Practice) -> list[Tag]:
    """Every tag of the practice with `members`, how many patients have it."""
    return list(
        Tag.objects.filter(practice=practice)
        .select_related("group")
        .annotate(members=Count("profile_tags"))
        .order_by("group__position", "group__name", "group_id", "position", "name")
    )


def tagged(practice: Practice, tag: Tag) -> QuerySet[Profile]:
    return Profile.objects.filter(practice=practice, profile_tags__tag=tag)


@dataclass
class PortalContest:
    contest: Contest
    entered: bool
    won: bool


def open_for(profile: Profile, today: dt.date) -> list[PortalContest]:
    """The contests of the patient's practice open today, and whether they are in (one query)."""
    mine = ContestEntry.objects.filter(contest=OuterRef("pk"), profile_id=profile.pk)
    found = (
        Contest.objects.filter(
            practice_id=profile.practice_id, starts_on__lte=today, ends_on__gte=today
        )
        .annotate(
            entered=Exists(mine),
            won=Exists(mine.filter(won_at__isnull=False)),
        )
        .order_by("ends_on", "name")
    )
    return [PortalContest(c, bool(c.entered), bool(c.won)) for c in found]


def awards_in(practice: Practice, since: dt.datetime, until: dt.datetime) -> QuerySet[ContestAward]:
    return ContestAward.objects.filter(
        practice=practice, created_at__gte=since, created_at__lt=until
    ).order_by()


def award_totals(
    practice: Practice, since: dt.datetime, until: dt.datetime
) -> list[dict[str, object]]:
    """Per contest: patients and points for taking part and for winning, paid or held."""
    paid = Q(entry__isnull=False) | Q(pending__decision="approved")
    held = Q(pending__decision="pending")
    part, win = Q(prize=Prize.PARTICIPANT), Q(prize=Prize.WINNER)
    return list(
        awards_in(practice, since, until)
        .values("contest_id", "contest__name", "contest__starts_on", "contest__ends_on")
        .annotate(
            participants=Count("id", filter=part & (paid | held)),
            participant_points=Coalesce(Sum("points", filter=part & paid), 0),
            winners=Count("id", filter=win & (paid | held)),
            winner_points=Coalesce(Sum("points", filter=win & paid), 0),
            held_points=Coalesce(Sum("points", filter=held), 0),
        )
        .order_by("contest__starts_on", "contest__name", "contest_id")
    )
