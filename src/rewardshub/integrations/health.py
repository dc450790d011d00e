"""Sync health: has the practice's PMS called the hub lately?

`sync_health(practice, now)` reads, in one query, the practice's SyncWatch
and the last call of its active keys (IntegrationKey.last_used_at, kept to
the minute by keys.touch), and says whether the PMS has been silent longer
than the practice allows. Staff pages show its message to owners and admins
(integrations/context.py); an operator's readiness check can report it too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import dateformat

from rewardshub.integrations.models import SyncWatch
from rewardshub.integrations.silence import (
    OpeningHours,
    counted_silence,
    duration_words,
    weekdays_from_text,
)
from rewardshub.integrations.systems import system_name
from rewardshub.local_time import format_when, zone_name
from rewardshub.practices.models import IntegrationKey, Practice
from rewardshub.statement import Statement


@dataclass(frozen=True)
class SyncHealth:
    # A threshold is set and the practice has an active key to watch.
    watched: bool
    # Silent longer than the threshold: owners and admins are warned.
    silent: bool = False
    # The name of the PMS of the key that called last ("Orthotrac").
    system: str = ""
    # The last call of any active key; None when none has called yet.
    last_call: dt.datetime | None = None
    # Where the silence is counted from: the last call, or the newest active
    # key's creation when that is later (a new key starts the count afresh).
    since: dt.datetime | None = None
    # From `since` to now, on the clock and within opening hours (the latter
    # counted only until it passes the threshold).
    silence: dt.timedelta = dt.timedelta(0)
    counted: dt.timedelta = dt.timedelta(0)
    threshold: dt.timedelta | None = None
    # The warning in words, "" unless silent.
    message: str = ""


NOT_WATCHED = SyncHealth(watched=False)


def opening_hours(watch: SyncWatch, zone: ZoneInfo) -> OpeningHours | None:
    if watch.opens_at is None or watch.closes_at is None or not watch.weekdays:
        return None
    return OpeningHours(
        opens=watch.opens_at,
        closes=watch.closes_at,
        weekdays=weekdays_from_text(watch.weekdays),
        zone=zone,
    )


def _watch(practice_id: int) -> QuerySet[SyncWatch]:
    """The practice's threshold with its active keys' last call and newest start."""
    active = IntegrationKey.objects.filter(practice_id=OuterRef("practice_id"), revoked_at=None)
    seen = active.annotate(seen=Coalesce("last_used_at", "created_at")).order_by("-seen", "-pk")
    called = active.filter(last_used_at__isnull=False).order_by("-last_used_at")
    return SyncWatch.objects.filter(
        practice_id=practice_id, silence_minutes__isnull=False
    ).annotate(
        since=Subquery(seen.values("seen")[:1]),
        system=Subquery(seen.values("system")[:1]),
        last_call=Subquery(called.values("last_used_at")[:1]),
    )[:1]


# Read by every staff page an owner or admin opens (the banner): compiled once,
# since the ORM's three subqueries cost about 1.5 ms a page to compile and the
# query itself microseconds (BENCHMARKS.md, "The profile page's own queries").
_WATCH = Statement(_watch, int, kind="models")


def sync_health(practice: Practice, now: dt.datetime) -> SyncHealth:
    """The practice's sync health at `now` (aware), in one query."""
    watch = _WATCH.first(practice.pk)
    if watch is None or watch.since is None or watch.silence_minutes is None:  # type: ignore[attr-defined]
        return NOT_WATCHED
    zone = ZoneInfo(practice.time_zone)
    threshold = dt.timedelta(minutes=watch.silence_minutes)
    since: dt.datetime = watch.since  # type: ignore[attr-defined]
    last_call: dt.datetime | None = watch.last_call  # type: ignore[attr-defined]
    system = system_name(watch.system)  # type: ignore[attr-defined]
    counted = counted_silence(since, now, opening_hours(watch, zone), enough=threshold)
    silent = counted > threshold
    return SyncHealth(
        watched=True,
        silent=silent,
        system=system,
        last_call=last_call,
        since=since,
        silence=max(now - since, dt.timedelta(0)),
        counted=counted,
        threshold=threshold,
        message=warning(system, since, last_call, now, zone) if silent else "",
    )


def warning(
    system: str, since: dt.datetime, last_call: dt.datetime | None, now: dt.datetime, zone: ZoneInfo
) -> str:
    """ "Orthotrac has not called the hub for 3 hours (last call today at 9:12 a.m. EST)..." """
    silence = duration_words(now - since)
    if last_call is None or last_call < since:
        return (
            f"{system} has not called the hub for {silence}, since its integration key was "
            f"created ({moment_words(since, now, zone)}). Check that the bridge on the "
            "front-desk PC is running and has the new key."
        )
    return (
        f"{system} has not called the hub for {silence} (last call "
        f"{moment_words(last_call, now, zone)}). Check the bridge on the front-desk PC."
    )


def moment_words(moment: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> str:
    """ "today at 9:12 a.m. EST", "yesterday at 4:50 p.m. EST", else the date and time."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        day = "today"
    elif local.date() == today - dt.timedelta(days=1):
        day = "yesterday"
    else:
        return f"on {format_when(moment, zone=zone)}"
    return f"{day} at {dateformat.format(local, 'P')} {zone_name(local)}"
