"""The portal's Language page: the patient chooses English or Spanish for the portal
and the mail it sends them (stored on the profile, audited)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rewardshub.portal import actions
from rewardshub.portal.forms import LanguageForm
from rewardshub.portal.language import for_request, remember
from rewardshub.portal.session import PortalUser, page_context, portal_view

NAV = "language"


@never_cache
@require_http_methods(["GET", "POST"])
@portal_view
def language_view(request: HttpRequest, *, me: PortalUser) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = LanguageForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["language"]
            changed = actions.set_language(profile=me.profile, language=code, actor=me.actor)
            remember(request, code)
            # Said in the language just chosen, as the next page will be.
            with translation.override(code):
                messages.success(
                    request,
                    gettext("Your language is saved.") if changed else gettext("Nothing changed."),
                )
            return redirect("portal:language")
        status = 422
    else:
        actions.record_portal_view(profile=me.profile, actor=me.actor, page=NAV)
        form = LanguageForm(initial={"language": me.profile.language or for_request(request)})
    return render(request, "portal/language.html", page_context(me, NAV, form=form), status=status)
