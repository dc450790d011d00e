"""Reading integration settings and the Sync log, always inside one practice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone

from rewardshub.integrations.models import (
    PmsLink,
    SyncAction,
    SyncEvent,
    SyncOutcome,
    SyncWatch,
    TagRule,
    TagRuleField,
)
from rewardshub.integrations.schemas import PROFILE_FIELDS
from rewardshub.integrations.silence import weekdays_from_text
from rewardshub.integrations.systems import system_name
from rewardshub.patients.models import Profile, Tag, TagGroupKind
from rewardshub.practices.models import IntegrationKey, Practice
from rewardshub.statement import Statement

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
    """The practice's keys, each with its last failed call from the Sync log as
    `last_failure_at`, `last_failure_error` (the API's error code) and
    `last_failure_message` (in words), all None when it has none: one query
    for any number of keys. Its last call is the key's own `last_used_at`."""
    failures = SyncEvent.objects.filter(
        practice=practice, key=OuterRef("pk"), outcome=SyncOutcome.ERROR
    ).order_by("-created_at", "-id")
    return (
        IntegrationKey.objects.filter(practice=practice)
        .select_related("created_by")
        .annotate(
            last_failure_at=Subquery(failures.values("created_at")[:1]),
            last_failure_error=Subquery(failures.values("error")[:1]),
            last_failure_message=Subquery(failures.values("message")[:1]),
        )
    )


def sync_watch_initial(practice: Practice) -> dict[str, Any]:
    """The practice's sync health settings as SyncWatchForm's initial values."""
    watch = SyncWatch.objects.filter(practice=practice).first()
    if watch is None:
        return {}
    minutes = watch.silence_minutes
    silence, unit = minutes, "minutes"
    if minutes is None or minutes % 60 == 0:
        silence, unit = (None if minutes is None else minutes // 60), "hours"
    return {
        "silence": silence,
        "unit": unit,
        "opens_at": watch.opens_at,
        "closes_at": watch.closes_at,
        "weekdays": sorted(weekdays_from_text(watch.weekdays)),
    }


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


def filtered_sync_events(
    practice: Practice, *, failures: bool = False, action: str = ""
) -> QuerySet[SyncEvent]:
    """The Sync log, optionally its failures only (syncevent_failures_idx) and one call."""
    found = sync_events(practice)
    if failures:
        found = found.filter(outcome=SyncOutcome.ERROR)
    if action:
        found = found.filter(action=action)
    return found


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


def _links(practice_id: int, profile_id: int) -> QuerySet[PmsLink]:
    latest = SyncEvent.objects.filter(
        practice_id=practice_id,
        system=OuterRef("system"),
        chart_id=OuterRef("chart_id"),
    ).order_by("-created_at", "-id")
    return (
        PmsLink.objects.filter(practice_id=practice_id, profile_id=profile_id)
        .annotate(
            last_event_at=Subquery(latest.values("created_at")[:1]),
            last_event_action=Subquery(latest.values("action")[:1]),
            last_event_outcome=Subquery(latest.values("outcome")[:1]),
        )
        .order_by("system")
    )


# On every profile page and chart tab: compiled once (the three subqueries
# cost about 1 ms a page to compile; BENCHMARKS.md, "The profile page's own
# queries").
_LINKS = Statement(_links, int, int, kind="models")


def chart_links(profile: Profile) -> list[PmsLink]:
    """The profile's PMS chart links, each with its chart's latest Sync log entry,
    in one query (the entry's time, action and outcome as subqueries served by
    syncevent_chart_time_idx).

    Each link gets `system_label`, `last_event_at`, `last_event_action` and
    `last_event_outcome` (None when the Sync log has nothing for the chart),
    and `last_event_failed`.
    """
    links: list[PmsLink] = _LINKS.rows(profile.practice_id, profile.pk)
    for link in links:
        link.system_label = system_name(link.system)  # type: ignore[attr-defined]
        outcome = link.last_event_outcome  # type: ignore[attr-defined]
        action = link.last_event_action  # type: ignore[attr-defined]
        link.last_event_failed = outcome == SyncOutcome.ERROR  # type: ignore[attr-defined]
        link.last_event_outcome_label = (  # type: ignore[attr-defined]
            SyncOutcome(outcome).label if outcome in SyncOutcome.values else outcome
        )
        link.last_event_action_label = (  # type: ignore[attr-defined]
            SyncAction(action).label if action in SyncAction.values else action
        )
    return links


def pms_overwrites(profile: Profile) -> tuple[list[str], list[str]]:
    """The PMS systems the profile's chart is linked in (their names) and the
    profile fields their next update overwrites with what it sends: the
    demographics an update carries, and the location when the tag mapping
    turns an office into a location tag. Nothing for an unlinked profile."""
    systems = sorted(
        set(
            PmsLink.objects.filter(practice_id=profile.practice_id, profile=profile).values_list(
                "system", flat=True
            )
        )
    )
    if not systems:
        return [], []
    fields = list(PROFILE_FIELDS)
    if TagRule.objects.filter(
        practice_id=profile.practice_id,
        system__in=systems,
        field=TagRuleField.OFFICE,
        tag__group__kind=TagGroupKind.LOCATION,
    ).exists():
        fields.append("location")
    return [system_name(system) for system in systems], fields


def set_by_pms(profile: Profile) -> RawSQL:
    """Whether the joined tag is one the PMS sets on this profile: the target of a
    tag mapping rule (integrations TagRule) of a PMS system the profile's chart is
    linked in. Every update from that PMS applies the mapping again. A column of
    the profile page's tag board query (patients.queries.tag_board, through
    patients.pms_hooks), correlated on the tag table; as SQL for the reason
    patients.queries._has_tag is."""
    qn = connection.ops.quote_name
    rule, pms_link, tag = TagRule._meta, PmsLink._meta, Tag._meta

    def col(meta: Any, field: str) -> str:
        return f"{qn(meta.db_table)}.{qn(meta.get_field(field).column)}"

    sql = (
        f"EXISTS (SELECT 1 FROM {qn(rule.db_table)} INNER JOIN {qn(pms_link.db_table)}"  # noqa: S608 (model names; values are parameters)
        f" ON {col(pms_link, 'practice')} = {col(rule, 'practice')}"
        f" AND {col(pms_link, 'system')} = {col(rule, 'system')}"
        f" WHERE {col(rule, 'tag')} = {qn(tag.db_table)}.{qn(tag.pk.column)}"
        f" AND {col(rule, 'practice')} = %s AND {col(pms_link, 'profile')} = %s)"
    )
    return RawSQL(sql, [profile.practice_id, profile.pk], output_field=BooleanField())  # noqa: S611
