"""What a logged-in patient may read: always their own profile, in their own practice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext, ngettext

from rewardshub.contests.queries import PortalContest, open_for, today_in
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, OrderStatus, PendingAward, Prize, PrizeOrder
from rewardshub.portal.progress import Progress, next_prize


def history(profile: Profile) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(practice_id=profile.practice_id, profile=profile)
        .select_related("reward_item")
        .order_by("-created_at", "-id")
    )


def pending_rewards(profile: Profile) -> list[PendingAward]:
    """Rewards waiting in the practice's Pending rewards queue, oldest first."""
    return list(
        PendingAward.objects.filter(
            practice_id=profile.practice_id,
            profile=profile,
            decision=PendingAward.Decision.PENDING,
        ).order_by("created_at", "id")
    )


def open_contests(profile: Profile) -> list[PortalContest]:
    """The practice's contests open today, and whether the patient is in each."""
    return open_for(profile, today_in(profile.practice))


def orders(profile: Profile) -> QuerySet[PrizeOrder]:
    return (
        PrizeOrder.objects.filter(practice_id=profile.practice_id, profile=profile)
        .select_related("prize")
        .order_by("-created_at", "-id")
    )


def todo_orders(profile: Profile) -> QuerySet[PrizeOrder]:
    return orders(profile).filter(status=OrderStatus.TODO)


def done_orders(profile: Profile) -> QuerySet[PrizeOrder]:
    return orders(profile).exclude(status=OrderStatus.TODO)


@dataclass
class StoreItem:
    prize: Prize
    # Why the patient cannot order it now; empty when they can.
    reason: str


def why_not(profile: Profile, prize: Prize) -> str:
    """Why the patient cannot order the prize now; empty when they can."""
    if prize.stock is not None and prize.stock < 1:
        return gettext("Out of stock")
    missing = prize.cost - profile.points_balance
    if missing > 0:
        return ngettext(
            "You need %(count)s more point", "You need %(count)s more points", missing
        ) % {"count": f"{missing:,}"}
    return ""


def store(profile: Profile) -> list[StoreItem]:
    prizes = Prize.objects.filter(practice_id=profile.practice_id, active=True)
    return [StoreItem(prize=prize, reason=why_not(profile, prize)) for prize in prizes]


def progress(profile: Profile) -> Progress[Prize] | None:
    """The next prize to aim for among those the patient could order (offered, in stock)."""
    prizes = Prize.objects.filter(practice_id=profile.practice_id, active=True).filter(
        Q(stock__isnull=True) | Q(stock__gt=0)
    )
    return next_prize(profile.points_balance, list(prizes), cost=lambda prize: prize.cost)


def own_order(profile: Profile, public_id: uuid.UUID | str) -> PrizeOrder | None:
    """One of the patient's own orders; None for any other (another patient's, or none)."""
    return orders(profile).filter(public_id=public_id).first()


def get_prize(profile: Profile, public_id: uuid.UUID | str) -> Prize:
    prize = Prize.objects.filter(
        practice_id=profile.practice_id, public_id=public_id, active=True
    ).first()
    if prize is None:
        raise Http404
    return prize
