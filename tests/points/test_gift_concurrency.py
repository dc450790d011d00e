"""Gifts racing between a few members in both directions: no deadlock, no points made
or lost, every balance equal to its ledger, and the daily limit held, on both databases."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Sum
from tests.conftest import SYSTEM
from tests.race import race

from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_misc
from rewardshub.points.gifts import give_gift
from rewardshub.points.models import EntryKind, Gift, LedgerEntry
from rewardshub.points.rewards import save_reward_settings
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12
OPERATIONS = 10
START = 40
DAILY = 90


def test_it_keeps_every_balance_equal_to_its_ledger_under_racing_gifts(
    acworth: Practice, make_profile: Callable[..., Profile]
) -> None:
    members = [make_profile(acworth, first=f"S{i}", last="Sibling") for i in range(4)]
    for member in members:
        award_misc(
            practice=acworth,
            profile=member,
            points=START,
            description="Start",
            actor=SYSTEM,
            role="owner",
        )
    save_reward_settings(
        practice=acworth, held=set(), gift_max_points=30, gift_daily_max_points=DAILY, actor=SYSTEM
    )

    def step(rng: random.Random) -> str:
        giver, receiver = rng.sample(members, 2)
        try:
            give_gift(
                practice=acworth,
                giver=giver,
                receiver=receiver,
                points=rng.randint(5, 30),
                actor=SYSTEM,
            )
        except ActionError as exc:
            assert exc.code in ("not_enough_points", "gift_daily_limit"), exc.code
            return exc.code
        return "given"

    outcomes = race(step, threads=THREADS, operations=OPERATIONS)

    assert sum(outcomes.values()) == THREADS * OPERATIONS
    assert outcomes["given"] > 0
    print(f"\ngift race on {connection.vendor}: {dict(outcomes)}")
    total = 0
    for member in Profile.objects.filter(pk__in=[m.pk for m in members]):
        ledger = LedgerEntry.objects.filter(profile=member).aggregate(s=Sum("points"))["s"] or 0
        assert member.points_balance == ledger >= 0
        total += member.points_balance
        given = Gift.objects.filter(giver=member).aggregate(s=Sum("points"))["s"] or 0
        assert given <= DAILY
    # Gifts move points, never make or lose them.
    assert total == START * len(members)
    kinds = Counter(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds[EntryKind.GIFT_OUT] == kinds[EntryKind.GIFT_IN] == outcomes["given"]
    assert Gift.objects.count() == outcomes["given"]
