"""Gifts between members: staff move points from one member to another of the
same practice (a sibling covering a shortfall).

A gift is a pair of ledger entries (gift given, gift received) in one
transaction, with both profiles locked in id order so that two gifts between
the same members in opposite directions queue instead of deadlocking. The
practice limits each gift and what one member gives in a day (its local day);
the day's total is read under the giver's lock, so racing gifts cannot pass it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from rewardshub.audit.actions import build_event, record_events
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import lock_profile, post
from rewardshub.points.models import EntryKind, Gift
from rewardshub.points.rewards import reward_settings
from rewardshub.practices.models import Practice
from rewardshub.wording import count_of


def _day_start(practice: Practice, now: dt.datetime) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(practice.time_zone)
    return dt.datetime.combine(now.astimezone(zone).date(), dt.time.min, tzinfo=zone)


def given_today(practice: Practice, giver: Profile, now: dt.datetime | None = None) -> int:
    """The points `giver` gave in gifts since midnight, the practice's time."""
    since = _day_start(practice, now or timezone.now())
    total = Gift.objects.filter(practice=practice, giver=giver, created_at__gte=since).aggregate(
        total=Sum("points")
    )["total"]
    return int(total or 0)


def _line(text: str, note: str) -> str:
    return f"{text} · {note}" if note else text


def give_gift(
    *,
    practice: Practice,
    giver: Profile,
    receiver: Profile,
    points: int,
    actor: Actor,
    note: str = "",
) -> Gift:
    """Move `points` from `giver` to `receiver`, within the practice's limits.
    Refused in words, changing nothing, when a limit or the giver's balance is short."""
    note = " ".join(note.split())
    if giver.pk == receiver.pk:
        raise ActionError(
            "gift_to_self", "Choose another member to receive the gift: not the giver."
        )
    if giver.practice_id != practice.pk or receiver.practice_id != practice.pk:
        raise Profile.DoesNotExist("No such profile in this practice.")
    if points < 1:
        raise ActionError("invalid_points", "A gift is at least 1 point.")
    limits = reward_settings(practice)
    if points > limits.gift_max_points:
        raise ActionError(
            "gift_over_limit",
            f"A gift is at most {count_of(limits.gift_max_points, 'point')} in this practice; "
            f"{points:,} is more. Nothing was moved.",
        )
    with transaction.atomic():
        locked = {
            profile.pk: lock_profile(practice, profile)
            for profile in sorted((giver, receiver), key=lambda p: p.pk)
        }
        giver, receiver = locked[giver.pk], locked[receiver.pk]
        today = given_today(practice, giver)
        if today + points > limits.gift_daily_max_points:
            left = max(0, limits.gift_daily_max_points - today)
            raise ActionError(
                "gift_daily_limit",
                f"{giver.first_name} may give at most "
                f"{count_of(limits.gift_daily_max_points, 'point')} a day and gave "
                f"{today:,} today, so {left:,} more can be given until midnight. "
                "Nothing was moved.",
                status=409,
            )
        if giver.points_balance < points:
            raise ActionError(
                "not_enough_points",
                f"Not enough points: {giver.first_name} has {giver.points_balance:,} and this "
                f"gift is {points:,}. Nothing was moved.",
                status=409,
            )
        out_entry = post(
            practice=practice,
            profile=giver,
            points=-points,
            kind=EntryKind.GIFT_OUT,
            actor=actor,
            description=_line(f"Gift to {receiver.first_name}", note),
        )
        in_entry = post(
            practice=practice,
            profile=receiver,
            points=points,
            kind=EntryKind.GIFT_IN,
            actor=actor,
            description=_line(f"Gift from {giver.first_name}", note),
        )
        gift = Gift.objects.create(
            practice=practice,
            giver=giver,
            receiver=receiver,
            points=points,
            note=note[:300],
            out_entry=out_entry,
            in_entry=in_entry,
            given_by_label=actor.label[:200],
        )
        record_events(
            [
                build_event(
                    practice=practice,
                    actor=actor,
                    action="points.gift_given",
                    profile=giver,
                    detail={
                        "points": points,
                        "to": str(receiver.public_id),
                        "balance": giver.points_balance,
                    },
                ),
                build_event(
                    practice=practice,
                    actor=actor,
                    action="points.gift_received",
                    profile=receiver,
                    detail={
                        "points": points,
                        "from": str(giver.public_id),
                        "balance": receiver.points_balance,
                    },
                ),
            ]
        )
        return gift
