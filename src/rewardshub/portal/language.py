"""Which language a request speaks: the portal in the patient's, staff pages in English.

Patient pages (the portal, and the unsubscribe pages a mail links to) are
shown in the language the patient chose in the portal (Profile.language,
mirrored in the portal session so pages outside a sign-in follow it too),
or, before they chose one, in the first of the browser's languages the hub
speaks (Accept-Language), else English. Staff pages stay English whatever
the browser asks for. `portal_view` applies the profile's own choice, which
wins over the session's copy (a choice made on another device).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import ngettext

SESSION_LANGUAGE = "portal_language"
# Paths whose pages a patient reads.
PATIENT_PATHS = ("/portal/", "/mail/")


def supported() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def choices() -> list[tuple[str, str]]:
    """(code, name): each language in its own words, as a chooser shows it."""
    return list(settings.LANGUAGES)


def is_supported(code: str) -> bool:
    return code in supported()


def for_request(request: HttpRequest) -> str:
    """The session's choice, else the browser's first language the hub speaks, else English."""
    stored = request.session.get(SESSION_LANGUAGE) if hasattr(request, "session") else None
    if isinstance(stored, str) and is_supported(stored):
        return stored
    return translation.get_language_from_request(request)


def for_patient(request: HttpRequest, chosen: str) -> str:
    """The patient's stored choice when they made one, else as for_request."""
    return chosen if is_supported(chosen) else for_request(request)


def remember(request: HttpRequest, code: str) -> None:
    """Keep the patient's choice in the session, for pages outside a sign-in."""
    if code and request.session.get(SESSION_LANGUAGE) != code:
        request.session[SESSION_LANGUAGE] = code


def points_of(count: int) -> str:
    """The count and the word, in the active language: "1 point", "1,200 points"."""
    return ngettext("%(counter)s point", "%(counter)s points", count) % {"counter": f"{count:,}"}


def mark(response: HttpResponse, code: str) -> None:
    patch_vary_headers(response, ("Accept-Language",))
    response.headers.setdefault("Content-Language", code)


class PortalLanguageMiddleware:
    """Runs each request in its language and ends with it, so no thread keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PATIENT_PATHS):
            with translation.override(settings.LANGUAGE_CODE):
                return self.get_response(request)
        code = for_request(request)
        with translation.override(code):
            response = self.get_response(request)
        mark(response, code)
        return response
