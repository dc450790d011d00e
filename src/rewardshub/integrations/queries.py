"""Reading integration settings and the Sync log, always inside one practice."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from rewardshub.integrations.models import SyncEvent, SyncOutcome, TagRule
from rewardshub.patients.models import Tag
from rewardshub.practices.models import IntegrationKey, Practice

# A failure stays on top of the Sync log until the chart syncs after it, or
# for this long.
ATTENTION_WINDOW = dt.timedelta(days=14)
ATTENTION_LIMIT = 50
# Outcomes that show a chart is fine again after a failure.
_GOOD = [
    SyncOutcome.CREATED,
    SyncOutcome.LINKED,
    SyncOutcome.ALREADY_LINKED,
    SyncOutcome.UPDATED,
    SyncOutcome.UNCHANGED,
    SyncOutcome.LAUNCHED,
]


def keys(practice: Practice) -> QuerySet[IntegrationKey]:
    return IntegrationKey.objects.filter(practice=practice).select_related("created_by")


def get_key(practice: Practice, public_id: object) -> IntegrationKey:
    return get_object_or_404(IntegrationKey, practice=practice, public_id=public_id)


def tag_rules(practice: Practice) -> QuerySet[TagRule]:
    return TagRule.objects.filter(practice=practice).select_related("tag__group")


def get_tag_rule(practice: Practice, public_id: object) -> TagRule:
    return get_object_or_404(
        TagRule.objects.select_related("tag"), practice=practice, public_id=public_id
    )


def mappable_tags(practice: Practice) -> QuerySet[Tag]:
    return Tag.objects.filter(practice=practice).select_related("group")


def sync_events(practice: Practice) -> QuerySet[SyncEvent]:
    return SyncEvent.objects.filter(practice=practice).select_related("profile", "key")


def needs_attention(practice: Practice) -> list[SyncEvent]:
    """Recent failures whose chart has not synced since, newest first."""
    since = timezone.now() - ATTENTION_WINDOW
    fixed_later = SyncEvent.objects.filter(
        practice=practice,
        system=OuterRef("system"),
        chart_id=OuterRef("chart_id"),
        created_at__gt=OuterRef("created_at"),
        outcome__in=_GOOD,
    )
    return list(
        sync_events(practice)
        .filter(outcome=SyncOutcome.ERROR, created_at__gte=since)
        .exclude(Exists(fixed_later))
        .order_by("-created_at", "-id")[:ATTENTION_LIMIT]
    )
