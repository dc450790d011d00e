"""Matches between a lead and the hub patient a PMS chart became.

The window set card opens when the synced patient may be a lead (a launch
link, LaunchView.LEAD_MATCH: a launched session, or staff signed in) shows
the patient's waiting matches; the Leads list shows every waiting match.
Confirming converts the lead (conversion.py); dismissing changes nothing.
The page's address holds only the patient's opaque id.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rewardshub.errors import ActionError
from rewardshub.leads import conversion, queries
from rewardshub.leads.models import LeadMatch, MatchState
from rewardshub.patients.queries import get_profile
from rewardshub.practices.context import HubContext, staff_view

# Where a decision returns: the window of the patient, or the lead's page.
BACK_WINDOW, BACK_LEAD = "window", "lead"


@never_cache
@require_GET
@staff_view()
def window(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    profile = get_profile(hub.practice, public_id)
    matches = queries.window_matches(hub.practice, profile)
    context = {
        "profile": profile,
        "matches": matches,
        "waiting": [match for match in matches if match.state == MatchState.PROPOSED],
        "back": BACK_WINDOW,
    }
    return render(request, "leads/window.html", context)


def _back(request: HttpRequest, match: LeadMatch) -> HttpResponse:
    if request.POST.get("back") == BACK_WINDOW:
        return redirect("leads:window", match.profile.public_id)
    return redirect("leads:detail", match.lead.public_id)


@require_POST
@staff_view()
def confirm(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    match = queries.get_match(hub.practice, public_id)
    try:
        conversion.confirm_match(practice=hub.practice, match=match, actor=hub.actor)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Converted: the lead is hub patient {match.profile.username} now, "
            "with the status Started treatment.",
        )
    return _back(request, match)


@require_POST
@staff_view()
def dismiss(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    match = queries.get_match(hub.practice, public_id)
    try:
        conversion.dismiss_match(practice=hub.practice, match=match, actor=hub.actor)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Not the same person: nothing was changed.")
    return _back(request, match)
