"""Forgotten password: a link by email, when the patient gave an email."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rewardshub.portal import actions
from rewardshub.portal.auth import actor_label, portal_actor
from rewardshub.portal.forms import NewPasswordForm, ResetRequestForm
from rewardshub.portal.reset import MailAfterResponse, account_for_token, may_mail, reset_emails


@never_cache
@require_http_methods(["GET", "POST"])
def reset_request_view(request: HttpRequest) -> HttpResponse:
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        mails = []
        if may_mail(request):
            mails = reset_emails(
                request, form.cleaned_data["email"], portal_actor(request, "Patient portal")
            )
        # The same answer, in the same time, whether or not the email has an
        # account: the mails go out after the page (MailAfterResponse).
        page = render_to_string("portal/reset_sent.html", {}, request=request)
        return MailAfterResponse(page, mails)
    return render(request, "portal/reset_request.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def reset_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    account = account_for_token(token)
    if account is None:
        return render(request, "portal/reset_invalid.html", {}, status=400)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.reset_password(
            account=account,
            password=form.cleaned_data["password1"],
            actor=portal_actor(request, actor_label(account.profile)),
        )
        request.session.flush()
        messages.success(request, gettext("Your password is changed. Log in with it now."))
        return redirect("portal:login")
    return render(request, "portal/reset_confirm.html", {"form": form})
