"""A guardian's forgotten password: a link by email, then the portal's new-password form."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rewardshub.errors import ActionError
from rewardshub.families import actions
from rewardshub.families.auth import guardian_actor
from rewardshub.families.reset import FAMILY_MAIL_LIMIT, reset_emails
from rewardshub.families.tokens import guardian_for_reset_token
from rewardshub.portal.forms import NewPasswordForm, ResetRequestForm
from rewardshub.portal.reset import MailAfterResponse, may_mail


def _minutes() -> dict[str, int]:
    return {"minutes": settings.PORTAL_RESET_SECONDS // 60}


@never_cache
@require_http_methods(["GET", "POST"])
def forgot_view(request: HttpRequest) -> HttpResponse:
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        mails = []
        if may_mail(request, FAMILY_MAIL_LIMIT):
            mails = reset_emails(request, form.cleaned_data["email"])
        # The same answer, in the same time, for a guardian's email or anyone's:
        # the mails go out after the page.
        page = render_to_string("families/forgot_sent.html", _minutes(), request=request)
        return MailAfterResponse(page, mails)
    return render(request, "families/forgot.html", {"form": form})


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "families/reset_invalid.html", _minutes(), status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def reset_view(request: HttpRequest, token: str) -> HttpResponse:
    guardian = guardian_for_reset_token(token)
    if guardian is None:
        return _invalid(request)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.reset_password(
                guardian=guardian,
                password=form.cleaned_data["password1"],
                actor=guardian_actor(request, guardian),
            )
        except ActionError:
            return _invalid(request)
        # No one's sign-in stays in this browser; the guardian's other sessions
        # end too (families.session checks the password's fingerprint).
        request.session.flush()
        messages.success(request, _("Your password is changed. Sign in with it now."))
        return redirect("portal_family:login")
    # The portal's own page for choosing a password.
    return render(request, "portal/reset_confirm.html", {"form": form})
