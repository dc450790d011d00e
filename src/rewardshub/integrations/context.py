"""The silent-PMS warning on every staff page, for owners and admins.

A template context processor (settings.TEMPLATES), so practices/ need not
know about the PMS: base.html shows `sync_health.message` when
`sync_health.silent`. Evaluated only when a page reads it, with one query
(health.sync_health).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from rewardshub.integrations.health import NOT_WATCHED, SyncHealth, sync_health
from rewardshub.practices.context import get_hub
from rewardshub.practices.models import SETTINGS_ROLES


def sync_health_banner(request: HttpRequest) -> dict[str, Any]:
    hub = get_hub(request)
    # A launched session acts with the rewards role: never shown there.
    if hub is None or hub.launched or hub.role not in SETTINGS_ROLES:
        return {"sync_health": NOT_WATCHED}
    practice = hub.practice

    def health() -> SyncHealth:
        return sync_health(practice, timezone.now())

    return {"sync_health": SimpleLazyObject(health)}
