"""The portal's stylesheet of the practice's colours, and its logo, for a signed-in patient.

Pages without a patient (log-in, password reset, unsubscribe) keep the hub's
own look: they link neither (portal/base.html).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from rewardshub.branding.serving import css_response, logo_response
from rewardshub.portal.session import PortalUser, portal_view


@require_safe
@portal_view
def brand_css(request: HttpRequest, *, me: PortalUser) -> HttpResponse:
    return css_response(request, me.practice)


@require_safe
@portal_view
def logo(request: HttpRequest, *, me: PortalUser) -> HttpResponse:
    return logo_response(request, me.practice)
