"""The "bare" baseline: one Django JSON view, no middleware, no database.

Served by the same gunicorn settings as the hub, so the ratio to it shows what
the hub's middleware, database and logic cost on top of Django and gunicorn.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

SECRET_KEY = "bench-bare-baseline-not-secret"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
ROOT_URLCONF = "bench.bare_settings"
USE_TZ = True


def hello(request: HttpRequest, rest: str = "") -> JsonResponse:
    return JsonResponse({"linked": True, "username": "6277000000000000", "points": 0})


urlpatterns = [path("<path:rest>", hello), path("", hello)]
