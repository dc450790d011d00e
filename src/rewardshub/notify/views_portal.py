"""The portal's Email page: which mails the patient gets, and where they go."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rewardshub.notify.actions import preference_of, set_preferences
from rewardshub.notify.forms import PreferencesForm
from rewardshub.notify.kinds import OPT_IN
from rewardshub.notify.send import recipient
from rewardshub.portal.actions import record_portal_view
from rewardshub.portal.session import PortalUser, portal_view

NAV = "mail"


@never_cache
@require_http_methods(["GET", "POST"])
@portal_view
def preferences(request: HttpRequest, *, me: PortalUser) -> HttpResponse:
    current = preference_of(me.profile)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            changed = set_preferences(profile=me.profile, wanted=form.wanted(), actor=me.actor)
            messages.success(
                request,
                gettext("Your mail choices are saved.") if changed else gettext("Nothing changed."),
            )
            return redirect("portal_mail:preferences")
    else:
        record_portal_view(profile=me.profile, actor=me.actor, page=NAV)
        form = PreferencesForm(initial={kind.value: current.wants(kind.value) for kind in OPT_IN})
    context = {
        "me": me,
        "profile": me.profile,
        "practice": me.practice,
        "nav": NAV,
        "form": form,
        "address": recipient(me.profile),
    }
    return render(request, "notify/portal_preferences.html", context)
