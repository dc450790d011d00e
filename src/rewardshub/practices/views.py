"""Sign-in, sign-out and the practice switcher."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from rewardshub.errors import ActionError
from rewardshub.practices.auth import sign_in
from rewardshub.practices.context import HubContext, staff_view, switch_practice
from rewardshub.practices.forms import LoginForm
from rewardshub.practices.models import Role


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = sign_in(request, form.cleaned_data["username"], form.cleaned_data["password"])
        except ActionError as exc:
            error, status = exc.message, exc.status
        else:
            request.session.flush()
            login(request, user)  # type: ignore[arg-type]  # the configured user model
            target = request.POST.get("next") or request.GET.get("next") or ""
            allowed = url_has_allowed_host_and_scheme(
                target, {request.get_host()}, require_https=request.is_secure()
            )
            if not allowed:
                target = "/"
            return redirect(target)
    context = {"form": form, "error": error, "next": request.GET.get("next", "")}
    return render(request, "practices/login.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@require_POST
@staff_view(roles=list(Role))
def switch_view(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    wanted = request.POST.get("practice", "")
    membership = next((m for m in hub.memberships if m.practice.public_id.hex == wanted), None)
    if membership is None:
        raise Http404
    switch_practice(request, membership.practice)
    return redirect("home")
