"""The unsubscribe link: no sign-in, the signed token is the proof.

GET (the link in the mail) unsubscribes at once, so one click is enough, and
the page offers to undo it. POST without a form is RFC 8058's one-click
request a mail program sends for List-Unsubscribe-Post; it carries no CSRF
token, and needs none: it can only turn one kind of mail off for the
patient the signed token names. Turning it back on is a form with its CSRF
token. A bad token gets the same page whatever is wrong with it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from rewardshub.notify.actions import LINK_ACTOR, follow_link
from rewardshub.notify.kinds import KINDS
from rewardshub.notify.models import MailPreference
from rewardshub.notify.tokens import read_token
from rewardshub.portal.language import for_patient, mark


def _page(
    request: HttpRequest, template: str, preference: MailPreference, context: dict[str, object]
) -> HttpResponse:
    """The page in the patient's chosen language; before they chose, the browser's."""
    code = for_patient(request, preference.profile.language)
    with translation.override(code):
        response = render(request, template, context)
    mark(response, code)
    return response


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "notify/unsubscribe_invalid.html", status=404)


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = read_token(token)
    if found is None:
        return _invalid(request)
    preference, kind = found
    follow_link(preference=preference, kind=kind, subscribe=False, actor=LINK_ACTOR)
    if request.method == "POST":
        return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")
    context = {"practice": preference.practice, "kind": KINDS[kind], "token": token}
    return _page(request, "notify/unsubscribe.html", preference, context)


@never_cache
@require_POST
def resubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = read_token(token)
    if found is None:
        return _invalid(request)
    preference, kind = found
    follow_link(preference=preference, kind=kind, subscribe=True, actor=LINK_ACTOR)
    context = {"practice": preference.practice, "kind": KINDS[kind], "token": token}
    return _page(request, "notify/resubscribed.html", preference, context)
