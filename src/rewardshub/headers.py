"""Response headers Django and django-csp do not set on their own."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class PermissionsPolicyMiddleware:
    """Switch off browser features the hub never uses (camera, microphone, ...).

    A card reader is a keyboard to the browser, so nothing here needs them; an
    injected script or a framed page then cannot ask for them either.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.value = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.value:
            response.headers.setdefault("Permissions-Policy", self.value)
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response the hub builds, unless the view chose one.

    Pages, CSV downloads and API answers carry patient data; a browser must
    not keep them, or Back on a shared front-desk PC shows them after
    sign-out. Must sit after WhiteNoiseMiddleware in MIDDLEWARE: static files
    never reach it and keep their caching. A view that sets Cache-Control
    itself (a prize picture: catalog artwork) keeps its own.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response
