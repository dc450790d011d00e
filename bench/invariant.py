"""The ledger invariant: every profile's balance equals the sum of its entries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    profile_id: int
    balance: int
    ledger_sum: int


def violations(
    balances: Iterable[tuple[int, int]], sums: Iterable[tuple[int, int]]
) -> list[Violation]:
    """Profiles whose stored balance differs from their ledger sum.

    `balances` is (profile id, points_balance); `sums` is (profile id, sum of
    entry points) for profiles that have entries. A profile with no entries
    must have a zero balance; an entry for an unknown profile is a violation.
    """
    ledger = dict(sums)
    found = []
    seen = set()
    for profile_id, balance in balances:
        seen.add(profile_id)
        total = ledger.get(profile_id, 0)
        if balance != total:
            found.append(Violation(profile_id, balance, total))
    for profile_id, total in ledger.items():
        if profile_id not in seen:
            found.append(Violation(profile_id, 0, total))
    return sorted(found, key=lambda v: v.profile_id)


def check_database(profile_ids: list[int] | None = None) -> list[Violation]:
    """Check the invariant in the configured Django database (all profiles or some)."""
    from django.db.models import Sum

    from rewardshub.patients.models import Profile
    from rewardshub.points.models import LedgerEntry

    profiles = Profile.objects.all()
    entries = LedgerEntry.objects.all()
    if profile_ids is not None:
        profiles = profiles.filter(pk__in=profile_ids)
        entries = entries.filter(profile_id__in=profile_ids)
    balances = profiles.values_list("pk", "points_balance")
    sums = entries.values("profile_id").annotate(total=Sum("points")).values_list(
        "profile_id", "total"
    )
    return violations(balances, sums)
