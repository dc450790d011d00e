"""Staff side of the portal: a new temporary password from the profile page."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rewardshub.patients import queries
from rewardshub.portal.actions import issue_temp_password
from rewardshub.practices.context import HubContext, staff_view

# The new password between the POST that made it and the page that shows it once.
SESSION_NEW_TEMP = "portal_new_temp_password"


@require_POST
@staff_view()
def new_temp_password(
    request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext
) -> HttpResponse:
    profile = queries.get_profile(hub.practice, public_id)
    password = issue_temp_password(practice=hub.practice, profile=profile, actor=hub.actor)
    request.session[SESSION_NEW_TEMP] = {"profile": profile.public_id.hex, "password": password}
    return redirect("portal:staff_temp_password", public_id=profile.public_id)


@never_cache
@require_GET
@staff_view()
def show_temp_password(
    request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext
) -> HttpResponse:
    profile = queries.get_profile(hub.practice, public_id)
    shown = request.session.pop(SESSION_NEW_TEMP, None)
    if not isinstance(shown, dict) or shown.get("profile") != profile.public_id.hex:
        return redirect("patients:detail", public_id=profile.public_id)
    context = {"profile": profile, "password": shown["password"], "nav": "patients"}
    return render(request, "portal/staff_temp_password.html", context)
