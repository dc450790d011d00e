"""Report tables of campaigns in a period: QR codes (collections and points per code)
and group awards (one row each). Counts and sums only: no patient appears."""

from __future__ import annotations

import zoneinfo

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from rewardshub.campaigns.models import GroupAward, QrCollection
from rewardshub.points.reports import Period, Table
from rewardshub.practices.models import Practice


def qr_table(practice: Practice, period: Period) -> Table:
    since, until = period.bounds
    found = (
        QrCollection.objects.filter(
            practice=practice, collected_at__gte=since, collected_at__lt=until
        )
        .order_by()
        .values("code__label", "code__public_id")
        .annotate(
            collections=Count("id"),
            patients=Count("profile", distinct=True),
            points=Coalesce(Sum("entry__points"), 0),
        )
        .order_by("-points", "code__label")
    )
    counted = [
        (str(row["code__label"]), int(row["collections"]), int(row["patients"]), int(row["points"]))
        for row in found
    ]
    rows: list[tuple[object, ...]] = list(counted)
    if counted:
        # A patient who collected two codes counts once in the total.
        patients = (
            QrCollection.objects.filter(
                practice=practice, collected_at__gte=since, collected_at__lt=until
            )
            .values("profile")
            .distinct()
            .count()
        )
        rows.append(("All codes", sum(r[1] for r in counted), patients, sum(r[3] for r in counted)))
    return Table(
        key="qr-codes",
        title="QR codes",
        headers=("QR code", "Collections", "Patients", "Points"),
        rows=rows,
    )


def group_table(practice: Practice, period: Period) -> Table:
    since, until = period.bounds
    found = GroupAward.objects.filter(
        practice=practice, created_at__gte=since, created_at__lt=until
    ).order_by("created_at", "id")
    zone = zoneinfo.ZoneInfo(period.time_zone)
    rows: list[tuple[object, ...]] = [
        (
            award.created_at.astimezone(zone).date(),
            award.label,
            award.tag_name or "All patients",
            award.points,
            award.recipients_count,
            award.excluded_count + award.recent_count,
            award.points_total,
            award.created_by_label,
        )
        for award in found
    ]
    return Table(
        key="group-awards",
        title="Group awards",
        headers=(
            "Day",
            "Award",
            "Patients tagged",
            "Points each",
            "Patients paid",
            "Left out",
            "Points",
            "By",
        ),
        rows=rows,
    )


TABLES = {"qr-codes": qr_table, "group-awards": group_table}
