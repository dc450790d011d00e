"""`{% award_panel %}`: the points panel of the profile page and the PMS chart tab.

A tag rather than view context so both pages (and their owners' views) only
include it: the menu, the balance and a page of history (`?page=`), in a
fixed number of queries.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.paginator import Paginator

from rewardshub.points import queries
from rewardshub.points.models import PendingAward

register = template.Library()


@register.inclusion_tag("points/_award.html", takes_context=True)
def award_panel(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    profile = context["profile"]
    hub = context.get("hub")
    practice = hub.practice if hub is not None else profile.practice
    items = queries.active_items(practice)
    page = Paginator(queries.history(profile), queries.HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [{"entry": entry, "can_reverse": queries.can_reverse(entry)} for entry in page]
    waiting = PendingAward.objects.filter(
        profile=profile, decision=PendingAward.Decision.PENDING
    ).order_by("created_at")
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
        "rows": rows,
        "waiting": list(waiting),
        "misc_waits": practice.misc_requires_approval
        and hub is not None
        and not hub.can_manage_settings,
    }
