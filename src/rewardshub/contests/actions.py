"""Creating and changing contests, entering participants and picking winners.

Each action is one transaction that starts by locking the contest's row, so
staff entering the same patients or picking the same winner from two desks
queue; the unique rows (one entry per patient, one award per patient and
prize) and the awards' ledger keys stop a second payment even so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.contests.models import (
    MAX_CONTEST_POINTS,
    Contest,
    ContestAward,
    ContestEntry,
    Prize,
)
from rewardshub.contests.queries import today_in
from rewardshub.errors import ActionError
from rewardshub.local_time import format_when
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import LedgerKey
from rewardshub.points.models import LedgerEntry, PendingAward, RewardKind
from rewardshub.points.rewards import pay_or_hold
from rewardshub.practices.models import Practice

FIELDS = ("name", "starts_on", "ends_on", "rules", "participant_points", "winner_points")
POINT_FIELDS = (
    ("participant_points", "Points for taking part"),
    ("winner_points", "Points for winning"),
)
# The request hash of a contest award's ledger key: the key alone names the award.
_KEY_HASH = "contest-award"


def _day(value: dt.date) -> str:
    return format_when(dt.datetime.combine(value, dt.time.min), "date")


def check_contest(data: dict[str, Any]) -> None:
    """Refuse values a contest cannot hold, saying which and how to fix it."""
    if not str(data.get("name", "")).strip():
        raise ActionError("name_required", "Enter the contest's name.")
    if data["ends_on"] < data["starts_on"]:
        raise ActionError(
            "ends_before_start",
            "The contest cannot end before it starts: choose an end date on or after "
            f"{_day(data['starts_on'])}.",
        )
    for name, what in POINT_FIELDS:
        value = data[name]
        if not isinstance(value, int) or not 0 <= value <= MAX_CONTEST_POINTS:
            raise ActionError(
                "invalid_points",
                f"{what} must be a whole number from 0 to {MAX_CONTEST_POINTS:,}.",
            )


def create_contest(*, practice: Practice, data: dict[str, Any], actor: Actor) -> Contest:
    check_contest(data)
    with transaction.atomic():
        contest = Contest.objects.create(
            practice=practice,
            created_by_label=actor.label[:200],
            **{name: data[name] for name in FIELDS},
        )
        record_event(
            practice=practice,
            actor=actor,
            action="contest.create",
            detail={"contest": contest.name, "id": str(contest.public_id)},
        )
        return contest


def update_contest(
    *, practice: Practice, contest: Contest, data: dict[str, Any], actor: Actor
) -> list[str]:
    """Change the contest; points already paid stay as they were. Returns the fields changed."""
    check_contest(data)
    with transaction.atomic():
        locked = Contest.objects.select_for_update().get(pk=contest.pk, practice=practice)
        changed = [name for name in FIELDS if getattr(locked, name) != data[name]]
        if changed:
            for name in changed:
                setattr(locked, name, data[name])
            locked.save(update_fields=changed)
            record_event(
                practice=practice,
                actor=actor,
                action="contest.update",
                detail={"contest": locked.name, "fields": changed},
            )
        return changed


def _pay(
    practice: Practice, contest: Contest, profile: Profile, prize: str, actor: Actor
) -> ContestAward | None:
    points = contest.participant_points if prize == Prize.PARTICIPANT else contest.winner_points
    if points == 0:
        return None
    what = "Took part in" if prize == Prize.PARTICIPANT else "Won"
    result = pay_or_hold(
        practice=practice,
        profile=profile,
        kind=RewardKind.CONTEST,
        points=points,
        description=f"{what} {contest.name}",
        actor=actor,
        source_label=contest.name,
        idempotency=LedgerKey(
            f"contest:{contest.public_id}:{profile.public_id}:{prize}", _KEY_HASH
        ),
    )
    held = result if isinstance(result, PendingAward) else None
    return ContestAward.objects.create(
        practice=practice,
        contest=contest,
        profile=profile,
        prize=prize,
        points=points,
        entry=result if isinstance(result, LedgerEntry) else None,
        pending=held,
    )


@dataclass
class Entered:
    """What entering did: the patients entered now, and how many were in already."""

    entered: list[ContestEntry] = field(default_factory=list)
    already: int = 0
    held: int = 0  # participant points waiting in Pending rewards


def enter_participants(
    *, practice: Practice, contest: Contest, profiles: Iterable[Profile], actor: Actor
) -> Entered:
    """Enter the patients (those already in are left as they are) and pay each
    the points for taking part, once."""
    wanted = {profile.pk: profile for profile in profiles}
    if not wanted:
        raise ActionError("no_patients", "Choose at least one patient to enter.")
    if any(profile.practice_id != practice.pk for profile in wanted.values()):
        raise Profile.DoesNotExist("No such profile in this practice.")
    with transaction.atomic():
        contest = Contest.objects.select_for_update().get(pk=contest.pk, practice=practice)
        if today_in(practice) > contest.ends_on:
            raise ActionError(
                "contest_ended",
                f"“{contest.name}” ended on {_day(contest.ends_on)}: no one can be entered "
                "any more. Change its end date to enter more patients.",
                status=409,
            )
        inside = set(
            ContestEntry.objects.filter(contest=contest, profile_id__in=wanted).values_list(
                "profile_id", flat=True
            )
        )
        result = Entered(already=len(inside))
        # Profiles in id order: the same order as every other multi-profile lock.
        for pk in sorted(set(wanted) - inside):
            profile = wanted[pk]
            entry = ContestEntry.objects.create(
                practice=practice,
                contest=contest,
                profile=profile,
                entered_by_label=actor.label[:200],
            )
            award = _pay(practice, contest, profile, Prize.PARTICIPANT, actor)
            if award is not None and award.pending_id is not None:
                result.held += 1
            result.entered.append(entry)
        if result.entered:
            record_event(
                practice=practice,
                actor=actor,
                action="contest.enter",
                detail={
                    "contest": contest.name,
                    "count": len(result.entered),
                    "points": contest.participant_points,
                },
            )
        return result


def pick_winner(
    *, practice: Practice, contest: Contest, entry: ContestEntry, actor: Actor
) -> ContestAward | None:
    """Make an entered patient a winner and pay the winner's points, once.
    Returns the award (None when the contest gives no points for winning)."""
    with transaction.atomic():
        contest = Contest.objects.select_for_update().get(pk=contest.pk, practice=practice)
        entry = (
            ContestEntry.objects.select_for_update()
            .select_related("profile")
            .get(pk=entry.pk, contest=contest, practice=practice)
        )
        if today_in(practice) < contest.starts_on:
            raise ActionError(
                "contest_not_started",
                f"“{contest.name}” starts on {_day(contest.starts_on)}: pick winners once "
                "it has begun.",
                status=409,
            )
        if entry.won_at is not None:
            raise ActionError(
                "already_winner",
                f"{entry.profile.full_name} is already a winner of “{contest.name}”; "
                "the points for winning are paid once.",
                status=409,
            )
        entry.won_at = timezone.now()
        entry.picked_by_label = actor.label[:200]
        entry.save(update_fields=["won_at", "picked_by_label"])
        award = _pay(practice, contest, entry.profile, Prize.WINNER, actor)
        record_event(
            practice=practice,
            actor=actor,
            action="contest.winner",
            profile=entry.profile,
            detail={"contest": contest.name, "points": contest.winner_points},
        )
        return award
