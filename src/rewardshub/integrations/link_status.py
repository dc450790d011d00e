"""The chart's PMS status as the hub last saw it, kept on its link.

Every call that carries a status writes it the same way: the set card, the
update, a staff-confirmed link and the batch (chart by chart or in bulk)
decide with decisions.pms_status_seen whether it moved, store it with the
time it moved, and hand the moves to automatic points (a treatment
milestone) once the call's own rows are written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any

from rewardshub.automations.milestones import statuses_moved
from rewardshub.automations.pms_hooks import StatusSeen
from rewardshub.integrations.decisions import pms_status_seen
from rewardshub.integrations.models import PmsLink
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

STATUS_FIELDS = ("pms_status", "pms_status_changed_at")


def status_values(status: str | None, now: dt.datetime) -> dict[str, Any]:
    """The link fields to write for a status that moved (None: it did not, write none)."""
    if status is None:
        return {}
    return {"pms_status": status, "pms_status_changed_at": now}


def charts_in_status(
    practice: Practice,
    status: str,
    since: dt.datetime | None,
    profile_ids: Collection[int] | None,
) -> list[StatusSeen]:
    """The practice's charts whose last PMS status is `status` (any case; stored
    trimmed), moved to it at or after `since`: automations.pms_hooks asks."""
    links = PmsLink.objects.filter(practice=practice, pms_status__iexact=status.strip())
    if since is not None:
        links = links.filter(pms_status_changed_at__gte=since)
    if profile_ids is not None:
        links = links.filter(profile_id__in=list(profile_ids))
    return [
        StatusSeen(profile_id, seen, changed_at)
        for profile_id, seen, changed_at in links.values_list(
            "profile_id", "pms_status", "pms_status_changed_at"
        )
    ]


# (profile, the status it moved to, when): what automatic points is told.
Moved = tuple[Profile, str, dt.datetime]


def note_status(link: PmsLink, sent: str | None, now: dt.datetime) -> Moved | None:
    """Save the linked chart's sync: the time, and the status the call sent if it moved."""
    status = pms_status_seen(link.pms_status, sent)
    link.last_synced_at = now
    fields = ["last_synced_at"]
    for name, value in status_values(status, now).items():
        setattr(link, name, value)
        fields.append(name)
    link.save(update_fields=fields)
    return None if status is None else (link.profile, status, now)


def pay_moved(practice: Practice, moved: Iterable[Moved | None]) -> int:
    """Hand the call's status moves to automatic points (a treatment milestone),
    after the call's own rows: the same order of rows in one chart and in bulk."""
    return statuses_moved(practice, [item for item in moved if item is not None])
