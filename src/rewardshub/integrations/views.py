"""Browser side of the PMS integration: launch links, the "synced" window, the chart view.

A launch link is the only URL that carries a token; it is spent on first use
and answered with a redirect to a clean address, so no token and no patient
data stay in the address bar, the history or a Referer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor, client_ip
from rewardshub.audit.models import ActorKind
from rewardshub.integrations.framing import allow_framing, allow_framing_anywhere
from rewardshub.integrations.launch import consume_token
from rewardshub.integrations.models import LaunchToken, LaunchView
from rewardshub.integrations.systems import system_name
from rewardshub.patients.models import Profile
from rewardshub.patients.queries import get_profile, profile_parts
from rewardshub.practices.context import SESSION_LAUNCH, get_hub

SESSION_SYNCED = "synced_notice"


def _launch_actor(token: LaunchToken) -> str:
    name = system_name(token.system)
    return f"{token.pms_user} via {name}" if token.pms_user else name


def _profile_url(profile: Profile) -> str:
    try:
        return reverse("patients:detail", args=[profile.public_id])
    except NoReverseMatch:  # the staff profile page is not built yet
        return reverse("integrations:chart", args=[profile.public_id])


@never_cache
@require_GET
def launch(request: HttpRequest, token: str) -> HttpResponse:
    consumed = consume_token(token)
    won = consumed.token
    if won is None:
        response = render(request, "integrations/launch_spent.html", status=410)
        spent = consumed.spent
        # Inside the chart tab, the PMS must be allowed to show this page.
        return allow_framing(response, spent.practice.frame_ancestors if spent else "")
    if won.view == LaunchView.SYNCED:
        # Only says the patient is synced: opens no session, keeps a signed-in
        # staff member signed in.
        request.session[SESSION_SYNCED] = {
            "first_name": won.profile.first_name,
            "changes": list(won.notice),
        }
        return redirect("integrations:synced")
    actor = _launch_actor(won)
    # A new session (new key: no fixation) acting for this practice only.
    request.session.flush()
    request.session[SESSION_LAUNCH] = {
        "practice_id": won.practice_id,
        "actor": actor,
        "system": won.system,
        "key_id": won.key_id,
        "view": won.view,
        "frame_ancestors": won.practice.frame_ancestors if won.view == LaunchView.CHART else "",
    }
    record_event(
        practice=won.practice,
        actor=Actor(kind=ActorKind.INTEGRATION, label=actor, source_ip=client_ip(request)),
        action="pms.launch_open",
        profile=won.profile,
        detail={"system": won.system, "chart_id": won.chart_id, "view": won.view},
    )
    if won.view == LaunchView.CHART:
        return redirect("integrations:chart", won.profile.public_id)
    if won.view == LaunchView.CONFIRM and won.confirmation is not None:
        return redirect("integrations:confirm_link", won.confirmation.public_id)
    return redirect(_profile_url(won.profile))


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
    context = {**profile_parts(profile), "return_to": request.path, "tags_here": True}
    response = render(request, "integrations/chart.html", context)
    return allow_framing(response, hub.practice.frame_ancestors)
