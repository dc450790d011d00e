"""Times shown to people: in the practice's time zone, in one format, with the zone's name.

Each staff request runs with its practice's zone active (PracticeTimeZoneMiddleware
in practices/context.py) and each portal request with its patient's practice's
zone (portal_view), so Django's `|date` filter and `timezone.localtime()`
already convert. This module chooses how a moment reads, so the same event
reads the same on every page: `|when` in templates (a builtin filter, no
`{% load %}`), `format_when()` in Python.

    {{ event.created_at|when }}            Dec. 4, 2026, 5:29 p.m. EST
    {{ event.created_at|when:"seconds" }}  Dec. 4, 2026, 5:29:03 p.m. EST  (the logs)
    {{ event.created_at|when:"date" }}     Dec. 4, 2026

Months and hours in the style the pages already used (Django's "N j, Y, P":
"Jan. 15, 2026, 6 a.m.", "noon"). A date alone carries no zone name: a day
is the practice's day. Machine-read
output (the API, CSV downloads) keeps ISO 8601 with its UTC offset.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import dateformat, timezone

FORMATS = {
    "minutes": "N j, Y, P",
    "seconds": "N j, Y, g:i:s a",
    "date": "N j, Y",
}

register = template.Library()


def format_when(
    value: dt.datetime | None, style: str = "minutes", zone: dt.tzinfo | None = None
) -> str:
    """`value` in the active time zone (or `zone`) as people read it; "" for None.

    An unknown style is a programming error, not something to guess at.
    """
    if value is None:
        return ""
    pattern = FORMATS[style]
    if timezone.is_naive(value):
        return dateformat.format(value, pattern)
    local = timezone.localtime(value, zone)
    text = dateformat.format(local, pattern)
    return text if style == "date" else f"{text} {zone_name(local)}"


def zone_name(local: dt.datetime) -> str:
    """The zone's short name: "EST", "NZDT"; "UTC+04" where the database has only "+04"."""
    name = local.tzname() or ""
    return f"UTC{name}" if name.startswith(("+", "-")) else name


@register.filter(expects_localtime=False, is_safe=False)
def when(value: object, style: str = "minutes") -> str:
    if not isinstance(value, dt.datetime):
        return ""
    return format_when(value, style)
