"""Scans and group awards racing each other and ordinary awards: each pays once, and every
balance stays equal to its ledger, on both databases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Sum
from tests.conftest import SYSTEM
from tests.race import run_together

from rewardshub.campaigns.actions import collect_qr
from rewardshub.campaigns.group_actions import GroupSpec, make_group_award
from rewardshub.campaigns.models import (
    GroupAward,
    GroupAwardRecipient,
    QrCode,
    QrCollection,
    QrLimit,
)
from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile, Tag
from rewardshub.patients.tag_actions import create_tag, create_tag_group
from rewardshub.points.actions import award_items
from rewardshub.points.models import LedgerEntry, RewardItem
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12


def _assert_ledger_invariant(profiles: list[Profile]) -> None:
    for profile in Profile.objects.filter(pk__in=[p.pk for p in profiles]):
        total = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
        assert profile.points_balance == total >= 0


def _collector(practice: Practice, profile: Profile, code: QrCode) -> Callable[[], str]:
    def work() -> str:
        try:
            collect_qr(practice=practice, profile=profile, code=code, actor=SYSTEM)
        except ActionError as exc:
            assert exc.code == "qr_collected", exc.message
            return "refused"
        return "collected"

    return work


def _awarder(practice: Practice, profile: Profile, item: RewardItem) -> Callable[[], str]:
    def work() -> str:
        award_items(practice=practice, profile=profile, items=[item], actor=SYSTEM)
        return "awarded"

    return work


def test_it_pays_a_code_scanned_many_times_at_once_only_once(
    acworth: Practice,
    make_profile: Callable[..., Profile],
    make_code: Callable[..., QrCode],
    menu: dict[str, RewardItem],
) -> None:
    emma, noah = make_profile(acworth, first="Emma"), make_profile(acworth, first="Noah")
    once = make_code(acworth)
    daily = make_code(acworth, label="Brushed after lunch", points=3, limit=QrLimit.DAILY)
    workers: list[Callable[[], str]] = []
    for index in range(THREADS):
        profile = emma if index % 2 else noah
        workers.append(_collector(acworth, profile, once if index % 3 else daily))
    # Ordinary awards on the same profiles at the same time.
    workers += [_awarder(acworth, profile, menu["elastics"]) for profile in (emma, noah)]
    outcomes = Counter(run_together(workers))
    print(f"\nQR race on {connection.vendor}: {dict(outcomes)}")
    # Each of two patients collects each of two codes once.
    assert outcomes["collected"] == 4 and outcomes["awarded"] == 2
    assert outcomes["refused"] == THREADS - 4
    assert QrCollection.objects.count() == 4
    for profile in (emma, noah):
        assert QrCollection.objects.filter(profile=profile, code=once).count() == 1
        assert QrCollection.objects.filter(profile=profile, code=daily).count() == 1
    _assert_ledger_invariant([emma, noah])
    emma.refresh_from_db()
    assert emma.points_balance == 10 + 3 + 5


def test_it_pays_a_group_award_once_while_patients_scan_and_staff_award(
    acworth: Practice,
    make_profile: Callable[..., Profile],
    make_code: Callable[..., QrCode],
    menu: dict[str, RewardItem],
) -> None:
    group = create_tag_group(practice=acworth, name="Events", actor=SYSTEM)
    tag: Tag = create_tag(practice=acworth, group=group, name="Debond this month", actor=SYSTEM)
    profiles = [
        make_profile(acworth, first=f"P{i}", last="Race", tags=("Debond this month",))
        for i in range(6)
    ]
    code = make_code(acworth)
    spec = GroupSpec.of(tag=tag, reward_item=None, points=7, reason="Debond party")

    def group_award(key: str) -> Callable[[], str]:
        def work() -> str:
            result = make_group_award(practice=acworth, spec=spec, key=key, actor=SYSTEM)
            return "group made" if result.created else "group replayed"

        return work

    workers: list[Callable[[], str]] = []
    # One confirmation sent four times at once, and another group award beside it.
    workers += [group_award("same-key-0123456789") for _ in range(4)]
    workers += [group_award("other-key-0123456789")]
    workers += [_collector(acworth, profile, code) for profile in profiles]
    workers += [_awarder(acworth, profile, menu["on_time"]) for profile in profiles[:3]]
    outcomes = Counter(run_together(workers))
    print(f"\ngroup award race on {connection.vendor}: {dict(outcomes)}")
    assert outcomes == Counter({"group made": 2, "group replayed": 3, "collected": 6, "awarded": 3})
    assert GroupAward.objects.count() == 2
    for award in GroupAward.objects.all():
        assert award.recipients_count == 6 and award.points_total == 42
        assert GroupAwardRecipient.objects.filter(group_award=award).count() == 6
    _assert_ledger_invariant(profiles)
    for index, profile in enumerate(profiles):
        profile.refresh_from_db()
        assert profile.points_balance == 2 * 7 + 10 + (3 if index < 3 else 0)
