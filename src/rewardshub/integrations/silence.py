"""How long the PMS has been silent, counted in the practice's opening hours.

Plain functions over plain values (no Django): integrations/health.py reads
the practice's settings and its keys' last calls and asks these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class OpeningHours:
    """From `opens` to `closes` (wall-clock times, opens < closes) on `weekdays`
    (Monday is 0), in the zone `zone`."""

    opens: dt.time
    closes: dt.time
    weekdays: frozenset[int]
    zone: ZoneInfo


def counted_silence(
    since: dt.datetime,
    now: dt.datetime,
    hours: OpeningHours | None,
    *,
    enough: dt.timedelta | None = None,
) -> dt.timedelta:
    """The time from `since` to `now` (both aware) that falls in opening hours;
    all of it when there are no opening hours. Counting stops once it passes
    `enough`: the caller only needs to know that it did."""
    if now <= since:
        return dt.timedelta(0)
    if hours is None:
        return now - since
    utc = dt.UTC
    since, now = since.astimezone(utc), now.astimezone(utc)
    total = dt.timedelta(0)
    day = since.astimezone(hours.zone).date()
    last_day = now.astimezone(hours.zone).date()
    while day <= last_day:
        if day.weekday() in hours.weekdays:
            # Through UTC: a day with a clock change is shorter or longer.
            opens = dt.datetime.combine(day, hours.opens, tzinfo=hours.zone).astimezone(utc)
            closes = dt.datetime.combine(day, hours.closes, tzinfo=hours.zone).astimezone(utc)
            start, end = max(opens, since), min(closes, now)
            if end > start:
                total += end - start
                if enough is not None and total > enough:
                    return total
        day += dt.timedelta(days=1)
    return total


def too_silent(
    since: dt.datetime, now: dt.datetime, threshold: dt.timedelta, hours: OpeningHours | None
) -> bool:
    """Whether the silence counted since `since` is longer than `threshold`."""
    return counted_silence(since, now, hours, enough=threshold) > threshold


def duration_words(span: dt.timedelta) -> str:
    """ "45 minutes", "3 hours", "2 days": rounded down, so never more than it was."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return _count(minutes, "minute")
    hours = minutes // 60
    if hours < 48:
        return _count(hours, "hour")
    return _count(hours // 24, "day")


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def weekdays_from_text(text: str) -> frozenset[int]:
    """The stored weekdays ("01234") as numbers; characters that are not 0-6 are ignored."""
    return frozenset(int(c) for c in text if c in "0123456")


def weekdays_text(days: frozenset[int] | set[int]) -> str:
    return "".join(str(d) for d in sorted(days))
