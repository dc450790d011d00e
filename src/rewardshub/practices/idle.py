"""Automatic logoff: a session unused for too long ends, and the next page says why.

Staff sessions (signed in, or opened by a PMS launch link) end after the
practice's `idle_timeout_minutes`; patient portal sessions after
`PORTAL_IDLE_MINUTES`. The last request's time is kept in the session,
rewritten at most once a minute so a busy page does not write the session on
every request. The check therefore runs up to a minute early, never late.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from rewardshub.practices.context import SESSION_LAUNCH, get_hub

SESSION_SEEN = "last_seen"
TOUCH_SECONDS = 60
DEFAULT_STAFF_MINUTES = 15
STAFF, LAUNCHED, PORTAL = "staff", "launched", "portal"
# Must match rewardshub.portal.session.SESSION_PROFILE and
# rewardshub.families.session.SESSION_GUARDIAN (not imported: both import practices).
PORTAL_SESSION_KEY = "portal_profile_id"
GUARDIAN_SESSION_KEY = "portal_guardian_id"

FrameAllower = Callable[[HttpResponse, str], HttpResponse]
# How the signed-out page of a launched session is let into the PMS's chart tab:
# integrations.framing.allow_framing, registered by IntegrationsConfig.ready
# (practices imports no higher app).
_frame_launched: list[FrameAllower] = []


def register_launched_framing(allow: FrameAllower) -> None:
    """Called once by the integrations app: frame a launched session's page with `allow`."""
    _frame_launched[:] = [allow]


def session_kind(request: HttpRequest) -> str | None:
    session = request.session
    if isinstance(session.get(SESSION_LAUNCH), dict):
        return LAUNCHED
    if session.get(SESSION_KEY) is not None:
        return STAFF
    if any(session.get(key) is not None for key in (PORTAL_SESSION_KEY, GUARDIAN_SESSION_KEY)):
        return PORTAL
    return None


def idle_minutes(request: HttpRequest, kind: str) -> int:
    if kind == PORTAL:
        return int(settings.PORTAL_IDLE_MINUTES)
    hub = get_hub(request)
    return hub.practice.idle_timeout_minutes if hub is not None else DEFAULT_STAFF_MINUTES


def _passes_through(request: HttpRequest) -> bool:
    """Pages that start a new session anyway: an ended session just goes away first."""
    path = request.path_info
    return (
        path.startswith(("/api/", "/launch/", "/static/"))
        or path in (reverse("login"), reverse("portal:login"))
        or path == "/healthz"
    )


def _signed_out_page(request: HttpRequest, kind: str, minutes: int, frame: str) -> HttpResponse:
    if kind == PORTAL:
        again = reverse("portal:login")
    else:
        again = reverse("login")
        if request.method == "GET":
            again += "?" + urlencode({"next": request.get_full_path()})
    context = {"kind": kind, "minutes": minutes, "again": again}
    template = "sessions/portal_signed_out.html" if kind == PORTAL else "sessions/signed_out.html"
    response = render(request, template, context, status=401)
    if kind == LAUNCHED:
        # Inside the PMS's chart tab the page must be allowed in the frame.
        for allow in _frame_launched:
            allow(response, frame)
    return response


def start_clock(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    """On sign-in (user_logged_in): the idle clock starts now."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_SEEN] = int(time.time())


class IdleLogoffMiddleware:
    """Ends idle sessions. Sits after HubContextMiddleware (it reads the practice)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        kind = session_kind(request) if session is not None else None
        if kind is not None:
            assert session is not None
            now = time.time()
            seen = session.get(SESSION_SEEN)
            minutes = idle_minutes(request, kind)
            if isinstance(seen, int | float) and now - seen > minutes * 60:
                launch = session.get(SESSION_LAUNCH)
                frame = str(launch.get("frame_ancestors", "")) if isinstance(launch, dict) else ""
                session.flush()
                request.user = AnonymousUser()
                request._hub_cache = None  # type: ignore[attr-defined]
                if not _passes_through(request):
                    return _signed_out_page(request, kind, minutes, frame)
            elif not isinstance(seen, int | float) or now - seen >= TOUCH_SECONDS:
                session[SESSION_SEEN] = int(now)
        response = self.get_response(request)
        if kind is None and session is not None and session_kind(request) is not None:
            # Signed in (or launched) by this request: the clock starts now.
            session[SESSION_SEEN] = int(time.time())
        return response
