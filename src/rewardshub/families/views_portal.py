"""The guardian's side of the portal: sign in, accept the invitation, choose a child.

Once a child is chosen, the portal's own pages (home, prizes, orders,
history) work as that child's, through portal.session.delegates. Switching
is a POST, and the child is named by public id in the form, never in a URL.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from rewardshub.errors import ActionError
from rewardshub.families import actions
from rewardshub.families.auth import check_guardian_login, guardian_actor
from rewardshub.families.forms import ChooseChildForm, GuardianLoginForm
from rewardshub.families.session import choose, family_of, log_in, signed_in_guardian
from rewardshub.families.tokens import guardian_for_token
from rewardshub.portal.actions import record_portal_view
from rewardshub.portal.forms import NewPasswordForm
from rewardshub.portal.session import current_user


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and signed_in_guardian(request) is not None:
        return redirect("portal_family:choose")
    form = GuardianLoginForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            guardian = check_guardian_login(
                request, form.cleaned_data["email"], form.cleaned_data["password"]
            )
        except ActionError as exc:
            error, status = exc.message, exc.status
        else:
            log_in(request, guardian)
            actions.record_login(guardian=guardian, actor=guardian_actor(request, guardian))
            return redirect("portal_family:choose")
    return render(request, "families/login.html", {"form": form, "error": error}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def welcome_view(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's link: verify the email by choosing a password."""
    guardian = guardian_for_token(token)
    if guardian is None:
        return render(request, "families/welcome_invalid.html", {}, status=400)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        guardian = actions.accept_invitation(
            guardian=guardian,
            password=form.cleaned_data["password1"],
            actor=guardian_actor(request, guardian),
        )
        log_in(request, guardian)
        messages.success(request, _("Your email is confirmed and your password saved."))
        return redirect("portal_family:choose")
    # The portal's own page for choosing a password.
    return render(request, "portal/reset_confirm.html", {"form": form})


def _choose_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    guardian = signed_in_guardian(request)
    if guardian is None:
        return redirect("portal_family:login")
    family = family_of(request, guardian)
    actor = guardian_actor(request, guardian)
    # Their names are patient data: each child listed is a read, audited.
    for child in family.children:
        record_portal_view(profile=child, actor=actor, page="family")
    context = {
        "family": family,
        "practice": guardian.practice,
        "form": ChooseChildForm(),
        "error": error,
        "nav": "family",
        # The portal's menu, once a child is chosen.
        "me": current_user(request),
    }
    return render(request, "families/choose.html", context, status=status)


@never_cache
@require_http_methods(["GET"])
def choose_view(request: HttpRequest) -> HttpResponse:
    return _choose_page(request)


@never_cache
@require_POST
def switch_view(request: HttpRequest) -> HttpResponse:
    guardian = signed_in_guardian(request)
    if guardian is None:
        return redirect("portal_family:login")
    form = ChooseChildForm(request.POST)
    family = family_of(request, guardian)
    wanted = form.cleaned_data["child"] if form.is_valid() else None
    child = next((c for c in family.children if c.public_id == wanted), None)
    if child is None:
        # Not linked, not confirmed, another practice's or no one: one answer, nothing changed.
        return _choose_page(
            request,
            error=_(
                "That child isn’t linked to your sign-in, so nothing was changed. "
                "Choose one of your children below, or ask the front desk to link them."
            ),
            status=404,
        )
    choose(request, child)
    actions.record_switch(guardian=guardian, profile=child, actor=guardian_actor(request, guardian))
    return redirect("portal:home")
