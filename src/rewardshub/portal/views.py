"""The patient portal's pages: log in, first log-in, home, history, prize store.

Every page reads through portal.queries with the logged-in profile, so a
patient only ever sees their own data in their own practice. The portal has
its own session principal (portal.session) and never uses the staff context.
Ordering and orders are in portal.views_orders.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rewardshub.errors import ActionError
from rewardshub.portal import actions, queries
from rewardshub.portal.auth import (
    actor_label,
    check_login,
    portal_actor,
    record_confirm_failure,
    temp_password_hashes,
    username_locked_error,
)
from rewardshub.portal.forms import ActivateForm, LoginForm
from rewardshub.portal.models import PortalAccount
from rewardshub.portal.session import (
    PortalUser,
    current_user,
    get_pending,
    log_in,
    page_context,
    pending_hash_matches,
    portal_view,
    start_pending,
)
from rewardshub.portal.visits import history_items, next_visit_time, with_visits

HISTORY_PAGE = 20
# Where a log-in that began on another portal page (a scanned QR code) goes back to.
SESSION_NEXT = "portal_next"


def _next_page(value: str) -> str:
    """A portal page of this site to go to after logging in, or "" (never another site)."""
    if (
        value.startswith("/portal/")
        and "\\" not in value
        and url_has_allowed_host_and_scheme(value, allowed_hosts=None)
    ):
        return value
    return ""


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_page = _next_page(request.POST.get("next") or request.GET.get("next") or "")
    if request.method == "GET" and current_user(request) is not None:
        return redirect(next_page or "portal:home")
    form = LoginForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            result = check_login(
                request, form.cleaned_data["identifier"], form.cleaned_data["password"]
            )
        except ActionError as exc:
            error, status = exc.message, exc.status
        else:
            if result.temporary:
                start_pending(request, result)
                request.session[SESSION_NEXT] = next_page
                return redirect("portal:activate")
            assert result.account is not None
            log_in(request, result.account)
            actions.record_login(
                account=result.account, actor=portal_actor(request, actor_label(result.profile))
            )
            return redirect(next_page or "portal:home")
    context = {"form": form, "error": error, "next": next_page}
    return render(request, "portal/login.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def activate_view(request: HttpRequest) -> HttpResponse:
    """After a temporary password: "Is this you?", then choose a password."""
    pending = get_pending(request)
    if pending is None:
        messages.info(request, gettext("Log in with your card number and password first."))
        return redirect("portal:login")
    profile = pending.profile
    form = ActivateForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        actor = portal_actor(request, actor_label(profile))
        account = PortalAccount.objects.filter(profile=profile).first()
        temp_hash = next(
            (h for h in temp_password_hashes(profile, account) if pending_hash_matches(pending, h)),
            "",
        )
        typed = form.cleaned_data["last_name"].strip().casefold()
        if typed != profile.last_name.strip().casefold():
            until = record_confirm_failure(request, profile)
            if until is not None:
                request.session.flush()
                messages.error(request, username_locked_error(until).message)
                return redirect("portal:login")
            error, status = (
                gettext(
                    "That last name doesn’t match this card. Check the spelling, "
                    "or ask the front desk if this isn’t your card."
                ),
                422,
            )
        else:
            try:
                account = actions.activate_account(
                    profile=profile,
                    temp_hash=temp_hash,
                    password=form.cleaned_data["password1"],
                    email=form.cleaned_data["email"] or "",
                    actor=actor,
                )
            except ActionError as exc:
                if exc.code != "email_taken":
                    request.session.flush()
                    messages.error(request, exc.message)
                    return redirect("portal:login")
                form.add_error("email", exc.message)
                status = 422
            else:
                next_page = _next_page(str(request.session.get(SESSION_NEXT) or ""))
                log_in(request, account)
                actions.record_login(account=account, actor=actor)
                messages.success(
                    request, gettext("All set! Next time, log in with your new password.")
                )
                return redirect(next_page or "portal:home")
    # Nothing personal on this page, not even the practice: a 4-digit password
    # alone (one guess in 10,000 per card) must not tell whose card it is or where.
    context = {"form": form, "error": error}
    return render(request, "portal/activate.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    me = current_user(request)
    if me is not None:
        actions.record_logout(profile=me.profile, actor=me.actor)
    request.session.flush()
    messages.info(request, gettext("You are logged out. See you next time!"))
    return redirect("portal:login")


def _page(
    request: HttpRequest, me: PortalUser, template: str, nav: str, **extra: object
) -> HttpResponse:
    actions.record_portal_view(profile=me.profile, actor=me.actor, page=nav)
    return render(request, template, page_context(me, nav, **extra))


@never_cache
@require_GET
@portal_view
def home_view(request: HttpRequest, *, me: PortalUser) -> HttpResponse:
    return _page(
        request,
        me,
        "portal/home.html",
        "home",
        recent=history_items(with_visits(queries.history(me.profile))[:5], me.practice),
        todo=list(queries.todo_orders(me.profile)),
        next_visit=next_visit_time(me.profile),
        pending=queries.pending_rewards(me.profile),
        contests=queries.open_contests(me.profile),
        progress=queries.progress(me.profile),
    )


@never_cache
@require_GET
@portal_view
def history_view(request: HttpRequest, *, me: PortalUser) -> HttpResponse:
    history = with_visits(queries.history(me.profile))
    page = Paginator(history, HISTORY_PAGE).get_page(request.GET.get("page"))
    items = history_items(page.object_list, me.practice)
    pending = queries.pending_rewards(me.profile)
    return _page(
        request, me, "portal/history.html", "history", page=page, items=items, pending=pending
    )


@never_cache
@require_GET
@portal_view
def store_view(request: HttpRequest, *, me: PortalUser) -> HttpResponse:
    return _page(request, me, "portal/store.html", "store", items=queries.store(me.profile))
