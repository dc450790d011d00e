"""Letting the PMS frame the hub: only from the origins the practice lists.

Every page is `frame-ancestors 'none'` / `X-Frame-Options: DENY` by default.
The chart view, and every page of a session opened from the PMS's chart tab
(staff click Connect Card or Replace Card inside the tab), answer with the
practice's origins instead, so the tab works end to end and nothing else can
frame the hub.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from rewardshub.integrations.origins import frame_ancestors
from rewardshub.practices.context import SESSION_LAUNCH

# A staff session a chart-tab launch opened in (set by launch_session.open_here).
SESSION_FRAME = "launch_frame"


def allow_framing(response: HttpResponse, stored_origins: str) -> HttpResponse:
    """Frame-ancestors from the practice's stored origins ('none' when there are none)."""
    sources = frame_ancestors(stored_origins)
    # Read by django-csp's middleware (what its csp_replace decorator sets) and
    # Django's XFrameOptionsMiddleware; CSP frame-ancestors supersedes
    # X-Frame-Options in every current browser, so dropping the latter is safe.
    response._csp_replace = {"frame-ancestors": sources}  # type: ignore[attr-defined]
    if sources != ["'none'"]:
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


def allow_framing_anywhere(response: HttpResponse) -> HttpResponse:
    """Any site may frame this page: only for pages with no data and no action on them.

    The chart tab's "session ended" page must show inside the PMS's frame, yet
    choosing the practice's origins would mean looking up the profile first.
    """
    response._csp_replace = {"frame-ancestors": ["*"]}  # type: ignore[attr-defined]
    response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


class LaunchFramingMiddleware:
    """Pages of a chart-tab session may be framed by the practice's origins.

    Must sit after CSPMiddleware and XFrameOptionsMiddleware in MIDDLEWARE so it
    sees the response first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, "_csp_replace", None) is not None:
            return response  # the view decided (the chart view, the launch pages)
        session = getattr(request, "session", None)
        if session is None or not session.session_key:
            return response
        launch = session.get(SESSION_LAUNCH)
        if isinstance(launch, dict) and launch.get("frame_ancestors"):
            allow_framing(response, str(launch["frame_ancestors"]))
        elif session.get(SESSION_FRAME):
            # A staff session the chart tab opened in (launch_session.open_here).
            allow_framing(response, str(session[SESSION_FRAME]))
        return response
