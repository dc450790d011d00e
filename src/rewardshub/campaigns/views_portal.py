"""The address a printed QR code holds: /portal/collect/<token>/, in the patient portal.

Opening it shows the code and a button that collects its points (a GET
never writes: phones and chat apps open links ahead of the patient). Signed
out, it goes to the portal's log-in, which comes back here. A code of
another practice, or a token that is no code, is a 404 alike.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rewardshub.campaigns import actions, queries
from rewardshub.errors import ActionError
from rewardshub.portal.actions import record_portal_view
from rewardshub.portal.language import for_patient, points_of
from rewardshub.portal.session import PortalUser, current_user


def _to_login(request: HttpRequest) -> HttpResponse:
    query = urlencode({"next": request.path})
    return redirect(f"{reverse('portal:login')}?{query}")


def _collect_page(
    request: HttpRequest, me: PortalUser, token: str, status: int = 200, error: str = ""
) -> HttpResponse:
    code = queries.code_for_token(me.practice, token)
    refused = actions.refusal_for(code, me.profile, actions.practice_today(me.practice))
    record_portal_view(profile=me.profile, actor=me.actor, page="collect")
    context = {
        "me": me,
        "profile": me.profile,
        "practice": me.practice,
        "nav": "collect",
        "code": code,
        "token": token,
        "error": error or (actions.refusal_words(refused) if refused else ""),
    }
    return render(request, "campaigns/collect.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def collect_view(request: HttpRequest, token: str) -> HttpResponse:
    me = current_user(request)
    if me is None:
        return _to_login(request)
    language = for_patient(request, me.profile.language)
    with timezone.override(me.practice.time_zone), translation.override(language):
        if request.method != "POST":
            return _collect_page(request, me, token)
        code = queries.code_for_token(me.practice, token)
        try:
            collection = actions.collect_qr(
                practice=me.practice, profile=me.profile, code=code, actor=me.actor
            )
        except ActionError as exc:
            return _collect_page(request, me, token, status=exc.status, error=exc.message)
        if collection.held is not None:
            messages.success(
                request,
                gettext(
                    "You collected %(points)s for “%(label)s”: "
                    "they are pending until the practice approves them."
                )
                % {"points": points_of(code.points), "label": code.label},
            )
        else:
            messages.success(
                request,
                gettext("You collected %(points)s for “%(label)s”!")
                % {"points": points_of(code.points), "label": code.label},
            )
        return redirect("portal:home")
