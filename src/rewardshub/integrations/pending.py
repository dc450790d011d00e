"""Reading the links that wait for staff to confirm them (PendingLink), inside one practice.

A set card that names an existing hub patient whose name or birth date differ
from the chart's links nothing: it leaves a PendingLink, which staff confirm
or cancel in the hub within PENDING_MINUTES (set_card.py makes it, actions.py
decides it).
"""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone

from rewardshub.integrations.identity import in_words
from rewardshub.integrations.models import LinkState, PendingLink
from rewardshub.practices.models import Practice

PENDING_MINUTES = 30
PENDING_LIFETIME = dt.timedelta(minutes=PENDING_MINUTES)


def open_confirmation(practice_id: int, system: str, chart_id: str) -> PendingLink | None:
    """The chart's link waiting for confirmation, if one has not expired."""
    return (
        PendingLink.objects.select_related("profile")
        .filter(
            practice_id=practice_id,
            system=system,
            chart_id=chart_id,
            state=LinkState.PENDING,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at", "-id")
        .first()
    )


def open_confirmations(practice: Practice) -> list[PendingLink]:
    """Every unexpired confirmation of the practice, newest first (the Sync log lists them)."""
    return list(
        PendingLink.objects.select_related("profile").filter(
            practice=practice, state=LinkState.PENDING, expires_at__gt=timezone.now()
        )[:50]
    )


def get_confirmation(practice: Practice, public_id: object) -> PendingLink:
    """One confirmation of this practice; another practice's (or none) is a 404."""
    return get_object_or_404(
        PendingLink.objects.select_related("profile", "profile__location"),
        practice=practice,
        public_id=public_id,
    )


def forget_expired() -> int:
    """Mark confirmations nobody answered in time expired and drop the chart
    demographics they kept (housekeeping); returns how many."""
    return PendingLink.objects.filter(
        state=LinkState.PENDING, expires_at__lte=timezone.now()
    ).update(state=LinkState.EXPIRED, data={})


def is_expired(pending: PendingLink) -> bool:
    return pending.state == LinkState.EXPIRED or (
        pending.state == LinkState.PENDING and pending.expires_at <= timezone.now()
    )


def confirmation_waiting_message(pending: PendingLink) -> str:
    fields = list(pending.differences)
    verb = "differs" if len(fields) == 1 else "differ"
    return (
        f"This chart is not synced yet: its {in_words(fields)} {verb} from hub patient "
        f"{pending.profile.username}'s, so a staff member must "
        "confirm in the hub that they are the same patient (Link these records), or cancel. "
        f"The confirmation waits {PENDING_MINUTES} minutes; after that, set the card again."
    )
