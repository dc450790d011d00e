"""The status call: is a chart synced, and its profile's summary.

Not in queries.py: a status answer is a read of patient data, so it writes
its Sync log and audit rows (sync_log.log_call), which queries never do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rewardshub.cards.models import CardState
from rewardshub.fastsql import Select
from rewardshub.integrations.caller import Caller
from rewardshub.integrations.models import PmsLink, SyncAction, SyncOutcome
from rewardshub.integrations.pending import open_confirmation
from rewardshub.integrations.sync_log import log_call
from rewardshub.patients.models import Profile


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


# The two reads of the status call, written once (fastsql.py says why).
_STATUS_CHART = Select(
    """
    SELECT p.id, p.username, p.public_id, p.points_balance, l.last_synced_at,
           EXISTS (SELECT 1 FROM cards_card c
                   WHERE c.practice_id = l.practice_id AND c.profile_id = p.id
                     AND c.state = %s)
    FROM integrations_pmslink l
    JOIN patients_profile p ON p.id = l.profile_id AND p.practice_id = l.practice_id
    WHERE l.practice_id = %s AND l.system = %s AND l.chart_id = %s
    """,
    [
        (Profile, "id"),
        (Profile, "username"),
        (Profile, "public_id"),
        (Profile, "points_balance"),
        (PmsLink, "last_synced_at"),
        None,
    ],
)
_STATUS_TAGS = Select(
    """
    SELECT t.name FROM patients_profiletag pt
    JOIN patients_tag t ON t.id = pt.tag_id
    JOIN patients_taggroup g ON g.id = t.group_id
    WHERE pt.practice_id = %s AND pt.profile_id = %s
    ORDER BY g.position, t.position, t.name
    """,
    [None],
)


def status(*, caller: Caller, chart_id: str) -> Status:
    """The chart's sync state. A read of patient data, so it is logged like the others.

    The busiest call of all (every chart the front desk opens), so it reads
    with two fixed statements and keeps the write transaction to the two log
    rows: the read needs no lock, and the log says what was answered.
    """
    practice_id = caller.key.practice_id
    row = _STATUS_CHART.one([CardState.ACTIVE, practice_id, caller.system, chart_id])
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
            return Status(
                linked=False, username=waiting.profile.username, needs_confirmation=True
            )
        log_call(caller, chart_id, SyncAction.STATUS, SyncOutcome.REPORTED, None, "Not synced.")
        return Status(linked=False)
    profile_pk, username, public_id, points, last_sync, has_card = row
    tags = [name for (name,) in _STATUS_TAGS.rows([practice_id, profile_pk])]
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
