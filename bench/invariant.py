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
    """Check the invariant in the configured Django database (all profiles or some).

    One SELECT, so the balances and the sums come from one snapshot: read in
    two queries, a posting that commits in between (the server still
    finishing the last requests of a run) would look like a violation.
    """
    from django.db import connection
    from django.db.models import Exists, OuterRef, Sum, Value
    from django.db.models.functions import Coalesce

    from rewardshub.patients.models import Profile
    from rewardshub.points.models import LedgerEntry

    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum would give a running hub, so the join
        # below is planned on today's counts, not on those of before a load.
        with connection.cursor() as cursor:
            for model in (Profile, LedgerEntry):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    profiles = Profile.objects.all()
    if profile_ids is not None:
        profiles = profiles.filter(pk__in=profile_ids)
    # A join and one GROUP BY: a sum per profile as a correlated subquery is
    # planned as a scan of the ledger per profile when the statistics are old.
    rows = (
        profiles.order_by()
        .annotate(total=Coalesce(Sum("ledger__points"), Value(0)))
        .values_list("pk", "points_balance", "total")
    )
    found = [Violation(pk, balance, total) for pk, balance, total in rows if balance != total]
    # Entries of no profile cannot exist (a foreign key); counted all the same.
    # NOT EXISTS, an anti-join: NOT IN over 100,000 profiles is planned as a scan per entry.
    orphans = LedgerEntry.objects.exclude(Exists(Profile.objects.filter(pk=OuterRef("profile_id"))))
    if profile_ids is None and orphans.exists():
        found.extend(
            Violation(pid, 0, total)
            for pid, total in orphans.values("profile_id")
            .annotate(total=Sum("points"))
            .values_list("profile_id", "total")
        )
    return sorted(found, key=lambda v: v.profile_id)
