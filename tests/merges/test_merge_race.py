"""A merge racing awards on both profiles: every balance equals its ledger, no
point is lost or made, and an award that comes after the merge on the merged
profile is refused rather than landing on the tombstone."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Sum
from tests.conftest import SYSTEM

from rewardshub.errors import ActionError
from rewardshub.merges.actions import merge_profiles
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_items
from rewardshub.points.models import EntryKind, LedgerEntry, RewardCategory, RewardItem
from rewardshub.practices.models import Practice

from .conftest import BORN, give

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
AWARDS = 6


def ledger_sum(profile: Profile) -> int:
    return LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0


def test_it_keeps_the_ledger_invariant_when_a_merge_races_awards(
    acworth: Practice, make_profile: Callable[..., Profile]
) -> None:
    visit = RewardCategory.objects.create(practice=acworth, name="At the visit")
    item = RewardItem.objects.create(
        practice=acworth, category=visit, name="Wearing elastics", points=5
    )
    kept = make_profile(acworth, birth_date=BORN)
    dupe = make_profile(acworth, birth_date=BORN)
    give(kept, 10)
    give(dupe, 20)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS + 1)
    failures: list[BaseException] = []

    def awarder(seed: int) -> None:
        target = dupe if seed % 2 else kept
        barrier.wait()
        try:
            for _ in range(AWARDS):
                try:
                    award_items(practice=acworth, profile=target, items=[item], actor=SYSTEM)
                    outcome = f"awarded {'dupe' if target is dupe else 'kept'}"
                except ActionError as exc:
                    assert exc.code == "profile_merged", exc.message
                    outcome = "refused"
                with lock:
                    outcomes[outcome] += 1
        except BaseException as exc:  # reported below; a thread must not die silently
            failures.append(exc)
        finally:
            connection.close()

    def merger() -> None:
        barrier.wait()
        try:
            merge_profiles(practice=acworth, survivor=kept, merged=dupe, actor=SYSTEM)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=awarder, args=(seed,)) for seed in range(THREADS)]
    threads.insert(THREADS // 2, threading.Thread(target=merger))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures
    print(f"\nmerge race on {connection.vendor}: {dict(outcomes)}")
    assert sum(outcomes.values()) == THREADS * AWARDS
    kept.refresh_from_db()
    dupe.refresh_from_db()
    assert dupe.merged_into_id == kept.pk
    assert dupe.points_balance == ledger_sum(dupe) == 0
    assert kept.points_balance == ledger_sum(kept)
    awarded = outcomes["awarded kept"] + outcomes["awarded dupe"]
    assert kept.points_balance == 10 + 20 + 5 * awarded
    pair = LedgerEntry.objects.filter(kind__in=[EntryKind.MERGE_OUT, EntryKind.MERGE_IN])
    assert sorted((e.kind, e.profile_id) for e in pair) == [
        (EntryKind.MERGE_IN, kept.pk),
        (EntryKind.MERGE_OUT, dupe.pk),
    ]
    # What moved is all the merged profile had: its 20 and the awards it got before the merge.
    dupe_awards = LedgerEntry.objects.filter(profile=dupe, kind=EntryKind.AWARD).count() - 1
    assert dupe_awards == outcomes["awarded dupe"]
    moved_in = pair.get(kind=EntryKind.MERGE_IN).points
    assert moved_in == -pair.get(kind=EntryKind.MERGE_OUT).points == 20 + 5 * dupe_awards
