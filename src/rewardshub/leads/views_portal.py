"""The portal's Refer a friend page: the form, and the patient's own referrals,
each shown only as pending or bonus paid (never the friend's status)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rewardshub.errors import ActionError
from rewardshub.leads.forms import ReferForm
from rewardshub.leads.queries import my_referrals
from rewardshub.leads.referrals import refer_friend
from rewardshub.portal.actions import record_portal_view
from rewardshub.portal.session import PortalUser, portal_view

NAV = "refer"


@never_cache
@require_http_methods(["GET", "POST"])
@portal_view
def refer(request: HttpRequest, *, me: PortalUser) -> HttpResponse:
    form = ReferForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                refer_friend(profile=me.profile, data=form.cleaned_data, actor=me.actor)
            except ActionError as exc:
                error, status = exc.message, exc.status
            else:
                first = form.cleaned_data["first_name"]
                messages.success(
                    request,
                    gettext("Thank you! We will reach out to %(name)s soon.") % {"name": first},
                )
                return redirect("portal_referrals:refer")
    else:
        record_portal_view(profile=me.profile, actor=me.actor, page=NAV)
    context = {
        "me": me,
        "profile": me.profile,
        "practice": me.practice,
        "nav": NAV,
        "form": form,
        "error": error,
        "referrals": my_referrals(me.profile),
    }
    return render(request, "leads/portal_refer.html", context, status=status)
