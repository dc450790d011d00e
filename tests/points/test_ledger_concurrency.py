"""Awards and redeems racing on a few profiles: the ledger invariant holds on both databases."""

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
from rewardshub.points.actions import award_items
from rewardshub.points.models import EntryKind, LedgerEntry, Prize, PrizeOrder, RewardItem
from rewardshub.points.orders import order_prize
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16
OPERATIONS = 12


def test_it_keeps_every_balance_equal_to_its_ledger_under_contention(
    acworth: Practice,
    make_profile: Callable[..., Profile],
    menu: dict[str, RewardItem],
    prizes: dict[str, Prize],
) -> None:
    profiles = [make_profile(acworth, first=f"P{i}", last="Race") for i in range(3)]
    item, prize = menu["elastics"], prizes["sticker"]  # +5 and -5: many redeems get refused

    def step(rng: random.Random) -> str:
        profile = rng.choice(profiles)
        if rng.random() < 0.45:
            award_items(practice=acworth, profile=profile, items=[item], actor=SYSTEM)
            return "awarded"
        try:
            order_prize(practice=acworth, profile=profile, prize=prize, actor=SYSTEM)
        except ActionError as exc:
            assert exc.code == "not_enough_points"
            return "refused"
        return "redeemed"

    outcomes = race(step, threads=THREADS, operations=OPERATIONS)

    assert sum(outcomes.values()) == THREADS * OPERATIONS
    assert outcomes["refused"] > 0 and outcomes["redeemed"] > 0
    print(f"\nledger race on {connection.vendor}: {dict(outcomes)}")
    for profile in Profile.objects.filter(pk__in=[p.pk for p in profiles]):
        total = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
        assert profile.points_balance == total >= 0
    # Every refused redeem changed nothing: exactly one entry and order per success.
    kinds = Counter(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds[EntryKind.AWARD] == outcomes["awarded"]
    assert kinds[EntryKind.REDEEM] == outcomes["redeemed"] == PrizeOrder.objects.count()
