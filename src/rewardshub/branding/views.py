"""Settings > Branding (owners and admins): the logo and colours, and the logo for the page.

A GET shows the form with the current values; a POST saves and redirects, or
shows the form again with what is wrong and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from rewardshub.branding.actions import set_branding
from rewardshub.branding.forms import BrandingForm
from rewardshub.branding.serving import logo_response
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES


def _page(
    request: HttpRequest, hub: HubContext, form: BrandingForm, status: int = 200
) -> HttpResponse:
    context = {"nav": "settings", "section": "branding", "form": form, "practice": hub.practice}
    return render(request, "branding/settings.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def branding_settings(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    practice = hub.practice
    if request.method != "POST":
        initial = {
            "primary_colour": practice.primary_colour,
            "accent_colour": practice.accent_colour,
        }
        return _page(request, hub, BrandingForm(initial=initial))
    form = BrandingForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, hub, form, status=422)
    data = form.cleaned_data
    changed = set_branding(
        practice=practice,
        actor=hub.actor,
        primary_colour=data["primary_colour"],
        accent_colour=data["accent_colour"],
        logo=data["logo"],
        remove_logo=data["remove_logo"],
    )
    messages.success(request, "Branding saved." if changed else "Nothing changed.")
    return redirect("branding:settings")


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def staff_logo(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    """The practice's logo, shown on the Branding page."""
    return logo_response(request, hub.practice)
