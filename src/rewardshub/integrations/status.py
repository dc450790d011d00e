"""The status call: is a chart synced, and its profile's summary.

Not in queries.py: a status answer is a read of patient data, so it writes
its Sync log and audit rows (sync_log.log_call), which queries never do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet

from rewardshub.cards.models import Card, CardState
from rewardshub.integrations.caller import Caller
from rewardshub.integrations.models import PmsLink, SyncAction, SyncOutcome
from rewardshub.integrations.pending import open_confirmation
from rewardshub.integrations.sync_log import log_call
from rewardshub.patients.models import Profile, Tag
from rewardshub.statement import Statement


@dataclass(frozen=True)
class Status:
    """What the status call answers: the link and a summary of its profile."""

    linked: bool
    username: str = ""
    profile_id: str = ""
    points: int = 0
    last_sync: dt.datetime | None = None
    card_state: str = "none"
    tags: list[str] = field(default_factory=list)
    # Not linked, but a set card waits for staff to confirm it in the hub.
    needs_confirmation: bool = False


def _chart_summary(practice_id: int, system: str, chart_id: str) -> QuerySet[PmsLink, Any]:
    """The linked profile's summary, and whether it has an active card."""
    active_card = Card.objects.filter(
        practice_id=OuterRef("practice_id"),
        profile_id=OuterRef("profile_id"),
        state=CardState.ACTIVE,
    )
    return (
        PmsLink.objects.filter(practice_id=practice_id, system=system, chart_id=chart_id)
        .filter(profile__practice_id=F("practice_id"))
        .annotate(has_card=Exists(active_card))
        .values_list(
            "profile_id",
            "profile__username",
            "profile__public_id",
            "profile__points_balance",
            "last_synced_at",
            "has_card",
        )
    )


def _tag_names(practice_id: int, profile_id: int) -> QuerySet[Tag, Any]:
    """The profile's tag names, in the tags' own order (Tag.Meta.ordering)."""
    return Tag.objects.filter(
        profile_tags__practice_id=practice_id, profile_tags__profile_id=profile_id
    ).values_list("name")


# The two reads of the busiest call, compiled once (statement.Statement).
_STATUS_CHART = Statement(_chart_summary, int, str, str)
_STATUS_TAGS = Statement(_tag_names, int, int)


def status(*, caller: Caller, chart_id: str) -> Status:
    """The chart's sync state. A read of patient data, so it is logged like the others.

    The busiest call of all (every chart the front desk opens), so it reads
    with two statements compiled once and keeps the write transaction to the two log
    rows: the read needs no lock, and the log says what was answered.
    """
    practice_id = caller.key.practice_id
    row = _STATUS_CHART.first(practice_id, caller.system, chart_id)
    if row is None:
        waiting = open_confirmation(practice_id, caller.system, chart_id)
        if waiting is not None:
            log_call(
                caller,
                chart_id,
                SyncAction.STATUS,
                SyncOutcome.REPORTED,
                waiting.profile,
                "Not synced: waiting for a staff member to confirm the link in the hub.",
            )
            return Status(linked=False, username=waiting.profile.username, needs_confirmation=True)
        log_call(caller, chart_id, SyncAction.STATUS, SyncOutcome.REPORTED, None, "Not synced.")
        return Status(linked=False)
    profile_pk, username, public_id, points, last_sync, has_card = row
    tags = [name for (name,) in _STATUS_TAGS.rows(practice_id, profile_pk)]
    profile = Profile(pk=profile_pk, practice_id=practice_id, username=username)
    log_call(
        caller,
        chart_id,
        SyncAction.STATUS,
        SyncOutcome.REPORTED,
        profile,
        f"Synced with hub patient {username}.",
    )
    return Status(
        linked=True,
        username=username,
        profile_id=str(public_id),
        points=points,
        last_sync=last_sync,
        card_state="active" if has_card else "none",
        tags=tags,
    )
