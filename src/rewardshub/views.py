"""Site-wide pages: home, health check and error pages."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.http import require_GET

from rewardshub.integrations.api_support import body_limit, body_too_large
from rewardshub.practices.context import get_hub


def home(request: HttpRequest) -> HttpResponse:
    hub = get_hub(request)
    if hub is None:
        return redirect("login")
    if hub.can_see_patients:
        return redirect("patients:list")
    return redirect("practice_settings")


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every site; answer with the hub's icon."""
    return redirect(static("img/favicon.ico"), permanent=True)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400, except a body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413, which says the
    limit (JSON under /api/, like every API answer; a page for a form)."""
    if isinstance(exception, RequestDataTooBig):
        if request.path.startswith("/api/"):
            return body_too_large()
        return render(request, "errors/413.html", {"limit": body_limit()}, status=413)
    return defaults.bad_request(request, exception or Exception())


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
