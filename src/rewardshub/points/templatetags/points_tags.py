"""`{% award_panel %}`: the points panel of the profile page and the PMS chart tab.

A tag rather than view context so both pages (and their owners' views) only
include it: the menu, the balance and a page of history (`?page=`), in a
fixed number of queries (usually three: the menu, the page with its count,
and the points waiting for approval only when there are some).

The history rows are worked out here, once, rather than in the template's
loop: their wording, dates and the reverse form's address. Template tags and
filters in a 20-row loop (`{% url %}`, `|date`) were most of the page's
rendering time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone

from rewardshub.local_time import format_when
from rewardshub.points import queries
from rewardshub.points.models import EntryKind
from rewardshub.points.queries import HistoryEntry

register = template.Library()

# Reversed once per page with this id, then the entry's id put in its place.
_PLACEHOLDER = str(uuid.UUID(int=0))


@dataclass(frozen=True)
class HistoryRow:
    """One line of the points history, ready to print."""

    public_id: str
    kind: str
    what: str
    description: str
    is_reversed: bool
    points: str
    actor_label: str
    when_iso: str
    when: str
    reverse_url: str  # "" when the entry cannot be reversed here
    merged_from: str  # the merged profile's username, for its entries on the survivor


def _what(entry: HistoryEntry) -> str:
    item = entry.item_name
    if entry.kind == EntryKind.REVERSAL:
        return f"Reversal of {item}" if item is not None else "Reversal"
    return item if item is not None else entry.get_kind_display()


def history_rows(entries: list[HistoryEntry]) -> list[HistoryRow]:
    """The rows as `{{ created_at|date:'c' }}`, `|date:"N j, Y"` and `{% url %}` would print
    them, in the current time zone (the practice's, on staff pages)."""
    reverse_url = reverse("points:reverse", args=[_PLACEHOLDER])
    days: dict[date, str] = {}
    rows = []
    for entry in entries:
        local: datetime = timezone.localtime(entry.created_at)
        day = local.date()
        if day not in days:
            days[day] = format_when(local, "date")
        public_id = str(entry.public_id)
        rows.append(
            HistoryRow(
                public_id=public_id,
                kind=entry.kind,
                what=_what(entry),
                description=entry.description,
                is_reversed=entry.is_reversed,
                points=f"{entry.points:+d}",
                actor_label=entry.actor_label,
                when_iso=local.isoformat(),
                when=days[day],
                # A merged profile's entries are read here, never changed here.
                reverse_url=(
                    reverse_url.replace(_PLACEHOLDER, public_id)
                    if queries.can_reverse(entry) and not entry.merged_from
                    else ""
                ),
                merged_from=entry.merged_from,
            )
        )
    return rows


@register.inclusion_tag("points/_award.html", takes_context=True)
def award_panel(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    profile = context["profile"]
    hub = context.get("hub")
    practice = hub.practice if hub is not None else profile.practice
    items = queries.menu_items(practice)
    history = queries.history_page(profile, request.GET.get("page"))
    page = history.page
    waiting = queries.pending_for(profile) if history.any_waiting is not False else []
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "hub": hub,
        "profile": profile,
        # Forms come back to the page they were on: the profile, or the chart tab
        # (whose view also passes `return_to`).
        "return_to": context.get("return_to") or request.path,
        "groups": queries.menu_groups(items),
        "page": page,
        "rows": history_rows(history.entries),
        "waiting": waiting,
        "misc_waits": practice.misc_requires_approval
        and hub is not None
        and not hub.can_manage_settings,
    }
