"""View helpers every staff app shares: the patient pages' decorator, the way
back to a profile (or to the PMS chart tab that opened the page), and the
response a CSV download is written into.

Imports only practices, so patients, cards, points and the integrations may all use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from rewardshub.practices.context import staff_view
from rewardshub.practices.models import PATIENT_ROLES


class HasPublicId(Protocol):
    """A profile, as far as the way back to its page needs it."""

    @property
    def public_id(self) -> Any: ...


def patient_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    # Pages and messages are in the practice's time zone: PracticeTimeZoneMiddleware.
    return staff_view(PATIENT_ROLES)(view)


def safe_next(request: HttpRequest) -> str | None:
    """A same-site path to go back to (the PMS chart tab), from POST or GET `next`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def back_to_profile(request: HttpRequest, profile: HasPublicId) -> HttpResponse:
    target = safe_next(request)
    if target:
        return redirect(target)
    return redirect("patients:detail", public_id=profile.public_id)


def csv_attachment(filename: str) -> HttpResponse:
    """An empty CSV download named `filename`, to write the rows into.

    Downloads hold patient data or secrets, so it says no-store itself
    rather than count on the middleware that does the same for pages.
    """
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
