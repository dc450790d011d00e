"""Staff side of the portal: a new temporary password from the profile page."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from rewardshub.patients import queries
from rewardshub.portal.actions import issue_temp_password
from rewardshub.portal.stamps import STAMP_FIELD, current_stamp
from rewardshub.practices.context import HubContext, staff_view


@never_cache
@require_POST
@staff_view()
def new_temp_password(
    request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext
) -> HttpResponse:
    """Issue the password and show it in this answer, the only place it ever is in clear.

    Only its hash is stored; keeping it for a page after a redirect would put
    it in the session, a database row that backups copy.
    """
    profile = queries.get_profile(hub.practice, public_id)
    posted = request.POST.get(STAMP_FIELD)
    if posted is not None and not constant_time_compare(posted, current_stamp(profile)):
        messages.info(
            request,
            "A new portal password was already made from that page, and shown once. "
            "To make another, press New portal password again.",
        )
        return redirect("patients:detail", public_id=profile.public_id)
    password = issue_temp_password(practice=hub.practice, profile=profile, actor=hub.actor)
    context = {"profile": profile, "password": password, "nav": "patients"}
    return render(request, "portal/staff_temp_password.html", context)

