"""A chart's link to its hub profile: find it, make it, and apply the chart's values."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.expressions import BaseExpression
from django.utils import timezone

from rewardshub.audit.actors import Actor
from rewardshub.audit.models import AuditEvent
from rewardshub.automations.actions import Where, attach_chart
from rewardshub.automations.ledger import AUTOMATIC
from rewardshub.errors import ActionError
from rewardshub.integrations.caller import Caller, names_required
from rewardshub.integrations.link_status import status_values
from rewardshub.integrations.models import PmsLink
from rewardshub.integrations.tagging import Mapped, apply_tags
from rewardshub.patients.actions import create_profile, update_profile
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice
from rewardshub.statement import Statement


def _chart(practice_id: int, system: str, chart_id: str) -> QuerySet[PmsLink]:
    return PmsLink.objects.select_related("profile").filter(
        practice_id=practice_id, system=system, chart_id=chart_id
    )


# Read by every PMS call: compiled once (BENCHMARKS.md, "Set card's own reads").
_CHART = Statement(lambda *args: _chart(*args)[:1], int, str, str, kind="models")
_CHART_FOR_UPDATE = Statement(
    lambda *args: _chart(*args).select_for_update(of=("self",))[:1], int, str, str, kind="models"
)


def chart_link(
    caller: Caller, chart_id: str, *, for_update: bool = False, **also: BaseExpression
) -> PmsLink | None:
    """The chart's link and its profile; `also`: expressions read in the same statement."""
    if not also:
        statement = _CHART_FOR_UPDATE if for_update else _CHART
        found: PmsLink | None = statement.first(caller.practice.pk, caller.system, chart_id)
        return found
    links = _chart(caller.practice.pk, caller.system, chart_id).annotate(**also)
    if for_update:
        links = links.select_for_update(of=("self",))
    return links.first()


def sync_fields(
    caller: Caller, profile: Profile, data: dict[str, Any], mapped: Mapped
) -> list[str]:
    """Apply demographics and mapped tags to a linked profile; names of what changed."""
    return apply_fields(caller.practice, caller.actor, profile, data, mapped)


def apply_fields(
    practice: Practice, actor: Actor, profile: Profile, data: dict[str, Any], mapped: Mapped
) -> list[str]:
    """sync_fields for any actor (staff confirming a link apply the PMS's demographics)."""
    if mapped.location is not None:
        data = {**data, "location": mapped.location}
    changed = update_profile(practice=practice, profile=profile, data=data, actor=actor)
    if apply_tags(practice=practice, profile=profile, tags=mapped.tags, actor=actor):
        changed.append("tags")
    return changed


def create_linked_profile(
    caller: Caller,
    chart_id: str,
    data: dict[str, Any],
    mapped: Mapped,
    username: str | None,
    kind: str,
    *,
    defer_audit: list[AuditEvent] | None = None,
    pms_status: str | None = None,
) -> Profile:
    if not data.get("first_name") or not data.get("last_name"):
        raise names_required()
    if mapped.location is not None:
        data = {**data, "location": mapped.location}
    profile = create_profile(
        practice=caller.practice,
        data=data,
        actor=caller.actor,
        username=username,
        kind=kind,
        tags=mapped.tags,
        defer_audit=defer_audit,
    )
    link_chart(caller, chart_id, profile, pms_status)
    return profile


def link_chart(
    caller: Caller, chart_id: str, profile: Profile, pms_status: str | None = None
) -> PmsLink:
    return create_link(caller.practice, caller.system, chart_id, profile, pms_status)


def create_link(
    practice: Practice,
    system: str,
    chart_id: str,
    profile: Profile,
    pms_status: str | None = None,
) -> PmsLink:
    """`pms_status`: the chart's status as decisions.pms_status_seen keeps it (None: none)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            link = PmsLink.objects.create(
                practice=practice,
                system=system,
                chart_id=chart_id,
                profile=profile,
                last_synced_at=now,
                **status_values(pms_status, now),
            )
    except IntegrityError:
        # Only a concurrent sync of the same chart or patient gets here; the
        # checks before saw neither link.
        raise ActionError(
            "sync_conflict",
            "Another sync of this chart or patient ran at the same moment. Try again.",
            status=409,
        ) from None
    # The chart's appointments kept while it was not linked join the profile.
    attach_chart(Where(practice, system, chart_id, profile), actor=AUTOMATIC)
    return link
