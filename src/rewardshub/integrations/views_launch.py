"""Launch links from the PMS, and the question a launch asks when another session is open.

A launch link is the only URL that carries a token; it is spent on first use
and answered with a redirect to a clean address, so no token and no patient
data stay in the address bar, the history or a Referer. Which session the
profile opens in is decided in launch_session.py.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rewardshub.integrations import launch_session
from rewardshub.integrations.framing import allow_framing
from rewardshub.integrations.launch import consume_token
from rewardshub.integrations.launch_session import Fit, Launch
from rewardshub.integrations.lead_hooks import hooks as lead_hooks
from rewardshub.integrations.models import LaunchView
from rewardshub.integrations.systems import system_name
from rewardshub.integrations.views import SESSION_SYNCED
from rewardshub.practices.context import get_hub, redirect_to_login

STAY, OPEN = "stay", "open"


def _target(launch: Launch) -> HttpResponse:
    if launch.view == LaunchView.CHART:
        return redirect("integrations:chart", launch.profile.public_id)
    if launch.view == LaunchView.CONFIRM and launch.confirmation:
        return redirect("integrations:confirm_link", launch.confirmation)
    if launch.view == LaunchView.LEAD_MATCH and lead_hooks.window_url(launch.profile):
        return redirect(lead_hooks.window_url(launch.profile))
    try:
        return redirect(reverse("patients:detail", args=[launch.profile.public_id]))
    except NoReverseMatch:  # the staff profile page is not built yet
        return redirect("integrations:chart", launch.profile.public_id)


def _spent(request: HttpRequest, frame_ancestors: str) -> HttpResponse:
    response = render(request, "integrations/launch_spent.html", status=410)
    # Inside the chart tab, the PMS must be allowed to show this page.
    return allow_framing(response, frame_ancestors)


def _open_as_pms(request: HttpRequest, launch: Launch) -> HttpResponse:
    launch_session.start_pms_session(request, launch)
    launch_session.record_open(request, launch)
    return _target(launch)


@never_cache
@require_GET
def launch(request: HttpRequest, token: str) -> HttpResponse:
    consumed = consume_token(token)
    won = consumed.token
    if won is None:
        spent = consumed.spent
        return _spent(request, spent.practice.frame_ancestors if spent else "")
    if won.view == LaunchView.SYNCED:
        # Only says the patient is synced: opens no session, keeps a signed-in
        # staff member signed in.
        request.session[SESSION_SYNCED] = {
            "first_name": won.profile.first_name,
            "changes": list(won.notice),
        }
        return redirect("integrations:synced")
    opened = Launch.from_token(won)
    hub = get_hub(request)
    decided = launch_session.fit(hub, opened)
    if decided is Fit.NEW_SESSION:
        return _open_as_pms(request, opened)
    assert hub is not None
    if decided is Fit.OPEN_HERE:
        launch_session.open_here(request, opened)
        launch_session.record_open(request, opened, staff=hub)
        return _target(opened)
    # Another practice, or a role that cannot open profiles: hold the spent
    # link and ask; the session stays as it is until then.
    launch_session.hold(request, opened)
    return redirect("integrations:launch_choice")


def _no_question(request: HttpRequest) -> HttpResponse:
    """Nothing waits for an answer (answered, expired, or never asked)."""
    if get_hub(request) is None:
        return redirect_to_login(request)
    return redirect("home")


@never_cache
@require_GET
def launch_choice(request: HttpRequest) -> HttpResponse:
    hub = get_hub(request)
    held = launch_session.held(request)
    if hub is None or held is None:
        return _no_question(request)
    context = {
        "question": launch_session.fit(hub, held).value,
        "member": launch_session.own_membership(hub, held),
        "launched_practice": held.practice.name,
        "pms_actor": held.actor,
        "system": system_name(held.system),
        "current": hub,
        "stay": STAY,
        "open": OPEN,
    }
    response = render(request, "integrations/launch_choice.html", context)
    if held.view == LaunchView.CHART:
        allow_framing(response, held.practice.frame_ancestors)
    return response


@require_POST
def launch_answer(request: HttpRequest) -> HttpResponse:
    hub = get_hub(request)
    if hub is None:
        return _no_question(request)
    answer = request.POST.get("answer")
    if answer == STAY:
        launch_session.drop(request)
        return redirect("home")
    if answer != OPEN:
        return _no_question(request)
    held = launch_session.held(request)
    if held is None:
        # Waited too long: the PMS has to launch again (a link works for a minute).
        return _spent(request, "")
    membership = launch_session.own_membership(hub, held)
    if membership is None:
        return _open_as_pms(request, held)
    launch_session.switch_and_open(request, held, membership)
    switched = get_hub(request)
    assert switched is not None
    launch_session.record_open(request, held, staff=switched)
    return _target(held)
