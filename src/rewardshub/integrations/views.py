"""Browser side of the PMS integration: the "synced" window and the chart view.

Launch links themselves are in views_launch.py.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rewardshub.audit.actions import record_event
from rewardshub.integrations.framing import allow_framing, allow_framing_anywhere
from rewardshub.patients.pms_hooks import hooks
from rewardshub.patients.queries import get_profile, profile_parts
from rewardshub.practices.context import get_hub

SESSION_SYNCED = "synced_notice"


@never_cache
@require_GET
def synced(request: HttpRequest) -> HttpResponse:
    notice = request.session.get(SESSION_SYNCED)
    first_name = notice.get("first_name", "") if isinstance(notice, dict) else ""
    changes = notice.get("changes", []) if isinstance(notice, dict) else []
    return render(
        request, "integrations/synced.html", {"first_name": first_name, "changes": changes}
    )


@never_cache
@require_GET
def chart(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The compact profile that lives in the PMS's "Patient Rewards Hub" tab."""
    hub = get_hub(request)
    if hub is None or not hub.can_see_patients:
        # No session inside the frame (expired, or cookies blocked): a login
        # page could not be framed anyway. Say what to do instead, with the
        # same page for every id: without a session the hub does not look the
        # id up, so the answer cannot tell whether (or where) a profile exists.
        response = render(request, "integrations/chart_signed_out.html", status=403)
        return allow_framing_anywhere(response)
    profile = get_profile(hub.practice, public_id)
    record_event(
        practice=hub.practice,
        actor=hub.actor,
        action="profile.view",
        profile=profile,
        detail={"view": "chart"},
    )
    # The profile page's own parts; their forms come back here (`return_to`),
    # so Connect/Replace Card and tag changes stay inside the PMS's frame.
    context = {
        **profile_parts(profile),
        "return_to": request.path,
        "tags_here": True,
        "appointments": hooks.appointments(profile),
    }
    response = render(request, "integrations/chart.html", context)
    return allow_framing(response, hub.practice.frame_ancestors)
