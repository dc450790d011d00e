"""What the PMS integration tells automatic points, without automations importing it.

The integrations app keeps each chart's last PMS status on its link
(PmsLink.pms_status) and registers here, in IntegrationsConfig.ready, how to
find the charts whose status is a given one. A treatment milestone paid late
(`rewardshub automations run`, or a card connected to a patient whose chart
reached it earlier) asks through this hook. Until then (and in a hub without
the integration) no chart has a status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass

from rewardshub.practices.models import Practice


@dataclass(frozen=True)
class StatusSeen:
    """A profile's chart whose PMS status moved to `status` at `changed_at`."""

    profile_id: int
    status: str
    changed_at: dt.datetime | None


# (practice, status, since, profile ids or None for all) -> the charts in that
# status (any case, trimmed) that moved to it at or after `since` (None: ever).
StatusFinder = Callable[
    [Practice, str, dt.datetime | None, Collection[int] | None], list[StatusSeen]
]


def _no_charts(
    practice: Practice,
    status: str,
    since: dt.datetime | None,
    profile_ids: Collection[int] | None,
) -> list[StatusSeen]:
    return []


@dataclass
class PmsHooks:
    charts_in_status: StatusFinder = _no_charts


hooks = PmsHooks()


def register(*, charts_in_status: StatusFinder) -> None:
    hooks.charts_in_status = charts_in_status
