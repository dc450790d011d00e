"""What a PMS asks of the hub about one chart: update and launch (set card is
in set_card.py, status in status.py, a batch in batch.py).

What every call shares lives beside: who calls (caller.py), the chart's link
and applying its values (links.py), the Sync log (sync_log.py), the wording
(decisions.py). Their names are importable from here too, as the API
modules use them.

Each call is one action: one transaction, the integration as `actor`, an
audit row, and a SyncEvent for the Sync log. Failures change nothing; the API
records them with `record_failure` after the transaction rolled back.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from rewardshub.errors import ActionError
from rewardshub.integrations.caller import Caller, SyncResult, names_required, not_synced
from rewardshub.integrations.decisions import changed_words, sync_outcome
from rewardshub.integrations.launch import caller_token
from rewardshub.integrations.lead_hooks import IDENTITY_CHANGES, OPEN_LEADS
from rewardshub.integrations.lead_hooks import hooks as lead_hooks
from rewardshub.integrations.link_status import note_status, pay_moved
from rewardshub.integrations.links import (
    apply_fields,
    chart_link,
    create_link,
    create_linked_profile,
    link_chart,
    sync_fields,
)
from rewardshub.integrations.models import (
    LaunchView,
    PendingLink,
    SyncAction,
    SyncOutcome,
)
from rewardshub.integrations.pending import confirmation_waiting_message, open_confirmation
from rewardshub.integrations.sync_log import (
    log_call,
    record_failure,
    record_replay,
    record_sync,
    sync_rows,
)
from rewardshub.integrations.tagging import load_mapping

__all__ = [
    "Caller",
    "SyncResult",
    "apply_fields",
    "chart_link",
    "create_link",
    "create_linked_profile",
    "launch",
    "link_chart",
    "log_call",
    "names_required",
    "not_synced",
    "record_failure",
    "record_replay",
    "record_sync",
    "sync_fields",
    "sync_rows",
    "update",
]


def update(
    *,
    caller: Caller,
    chart_id: str,
    data: dict[str, Any],
    pms_status: str | None = None,
    office: str | None = None,
) -> SyncResult:
    mapped = load_mapping(caller.practice, caller.system).apply_to(pms_status, office)
    with transaction.atomic():
        leads = {OPEN_LEADS: lead_hooks.open_leads(caller.practice)}
        link = chart_link(caller, chart_id, for_update=True, **leads)
        if link is None:
            raise not_synced(caller.system)
        changed = sync_fields(caller, link.profile, data, mapped)
        if getattr(link, OPEN_LEADS, False) and IDENTITY_CHANGES.intersection(changed):
            # New names, birth date or email: the patient may now match a lead.
            lead_hooks.propose(caller.practice, [link.profile.public_id], caller.actor)
        moved = note_status(link, pms_status, timezone.now())
        outcome = sync_outcome(changed)
        note = changed_words(changed)
        record_sync(caller, chart_id, SyncAction.UPDATE, outcome, link.profile, note)
        pay_moved(caller.practice, [moved])
        return SyncResult(outcome=outcome, profile=link.profile, changed=changed)


def launch(*, caller: Caller, chart_id: str, view: str) -> SyncResult:
    with transaction.atomic():
        link = chart_link(caller, chart_id)
        if link is None:
            waiting = open_confirmation(caller.key.practice_id, caller.system, chart_id)
            if waiting is None:
                raise not_synced(caller.system)
            return _launch_confirmation(caller, chart_id, view, waiting)
        token = caller_token(caller, chart_id, link.profile, view)
        record_sync(
            caller,
            chart_id,
            SyncAction.LAUNCH,
            SyncOutcome.LAUNCHED,
            link.profile,
            f"Opened the {LaunchView(view).label.lower()} of hub patient {link.profile.username}.",
        )
        return SyncResult(outcome=SyncOutcome.LAUNCHED, profile=link.profile, token=token)


def _launch_confirmation(
    caller: Caller, chart_id: str, view: str, waiting: PendingLink
) -> SyncResult:
    """Launch while a link waits for staff: the confirmation window, not the profile."""
    message = confirmation_waiting_message(waiting)
    if view != LaunchView.PROFILE:
        # The chart tab shows the hub only once the chart is synced.
        raise ActionError("needs_confirmation", message, status=409)
    token = caller_token(
        caller, chart_id, waiting.profile, LaunchView.CONFIRM, confirmation=waiting
    )
    record_sync(
        caller,
        chart_id,
        SyncAction.LAUNCH,
        SyncOutcome.NEEDS_CONFIRMATION,
        waiting.profile,
        f"Opened the link confirmation for hub patient {waiting.profile.username}.",
    )
    return SyncResult(
        outcome=SyncOutcome.NEEDS_CONFIRMATION,
        profile=waiting.profile,
        token=token,
        differences=list(waiting.differences),
        message=message,
    )
