"""Lead reports: leads by source and by status, and referrals by referrer.

Counts of the leads added in the period (erased leads count as the anonymous
rows they are). The referrals table names each referrer by hub username
only, as reports name no patient; staff who may see patients find the names
on the Leads pages' referral leaderboard.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, Q, QuerySet

from rewardshub.leads.models import Lead, LeadSource, LeadStatus
from rewardshub.leads.queries import referrers
from rewardshub.points.reports import Period, Table
from rewardshub.practices.models import Practice


def _added(practice: Practice, period: Period) -> QuerySet[Lead]:
    since, until = period.bounds
    return Lead.objects.filter(practice=practice, created_at__gte=since, created_at__lt=until)


def _counted(leads: QuerySet[Lead], field: str) -> dict[str, tuple[int, int]]:
    rows = (
        leads.order_by()
        .values(field)
        .annotate(n=Count("id"), converted=Count("id", filter=Q(converted_profile__isnull=False)))
        .values_list(field, "n", "converted")
    )
    return {value: (n, converted) for value, n, converted in rows}


def by_source(practice: Practice, period: Period) -> Table:
    counts = _counted(_added(practice, period), "source")
    rows: list[tuple[object, ...]] = [
        (str(label), *counts.get(value, (0, 0))) for value, label in LeadSource.choices
    ]
    return Table("lead_sources", "Leads by source", ("Source", "Leads", "Became patients"), rows)


def by_status(practice: Practice, period: Period) -> Table:
    counts = _counted(_added(practice, period), "status")
    rows: list[tuple[object, ...]] = [
        (str(label), counts.get(value, (0, 0))[0]) for value, label in LeadStatus.choices
    ]
    return Table("lead_statuses", "Leads by status", ("Status", "Leads"), rows)


def referrals(practice: Practice, period: Period) -> Table:
    since, until = period.bounds
    found = referrers(practice, limit=None, created_at__gte=since, created_at__lt=until)
    rows: list[tuple[object, ...]] = [
        (row.profile.username, row.referred, row.converted, row.bonuses, row.points)
        for row in found
    ]
    headers = ("Referrer (username)", "Referred", "Became patients", "Bonuses paid", "Bonus points")
    return Table("referrals", "Referrals", headers, rows)


TABLES: dict[str, Callable[[Practice, Period], Table]] = {
    "lead_sources": by_source,
    "lead_statuses": by_status,
    "referrals": referrals,
}
