"""The integration API at /api/v1/ (django-ninja): the object urls.py mounts.

Every answer outside 2xx is JSON `{"error": code, "message": sentence}`:
ninja's own validation, 404, 405 and 500 answers are rewritten here.
OpenAPI is served at /api/v1/openapi.json and browsable docs at /api/v1/docs,
with Swagger UI's files from ninja's package (no CDN: the hub may run offline
and its CSP allows only 'self').
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger

from rewardshub.access_log import redact_path
from rewardshub.errors import ActionError
from rewardshub.integrations import openapi
from rewardshub.integrations.api_appointments import router as appointments_router
from rewardshub.integrations.api_fhir import PREFIX as FHIR_PREFIX
from rewardshub.integrations.api_fhir import fhir_error
from rewardshub.integrations.api_fhir import router as fhir_router
from rewardshub.integrations.api_patients import router as patients_router
from rewardshub.integrations.api_points import router as points_router
from rewardshub.integrations.api_support import (
    KeyAuth,
    body_too_large,
    error_response,
    validation_message,
)
from rewardshub.integrations.models import SyncAction
from rewardshub.integrations.schemas import CHART_ID_PATTERN
from rewardshub.integrations.sync import Caller, record_failure
from rewardshub.observability import current_request_id
from rewardshub.practices.models import IntegrationKey

logger = logging.getLogger(__name__)

NOT_FOUND = (
    "There is no such API call. Check the address against the API documentation at /api/v1/docs."
)


class _OfflineSwagger(Swagger):
    """Swagger UI from the files ninja ships ("ninja" is in INSTALLED_APPS for its
    static files), rendered from our template folder; no CDN, no inline script."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": dict(self.settings), "api": api}
        return render(request, "integrations/api_docs.html", context)


class HubAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """ninja's document, with what it cannot say itself (openapi.py)."""
        return openapi.finish(super().get_openapi_schema(**kwargs))

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        return [_json_405(p) for p in patterns], app_name, namespace


def _json_405(pattern: URLResolver | URLPattern) -> URLResolver | URLPattern:
    """ninja answers a wrong method with a bare text 405: make it JSON like the rest."""
    if not isinstance(pattern, URLPattern):
        return pattern
    view: Callable[..., HttpResponse] = pattern.callback

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            # ninja builds Allow from a set: sort it so the answer is stable.
            allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",")))
            json_response = error_response(
                "method_not_allowed",
                f"This address does not take {request.method}; it takes {allowed}.",
                405,
            )
            json_response["Allow"] = allowed
            return json_response
        return response

    return URLPattern(pattern.pattern, wrapped, pattern.default_args, pattern.name)


api = HubAPI(
    title="RewardsHub integration API",
    version="1",
    description=(
        "What a practice-management system (PMS) calls: set a chart's card, update "
        "demographics, launch the hub in a browser, read a chart's status, batch sync. "
        "Authenticate with `Authorization: Bearer <integration key>`. Errors are JSON "
        '`{"error": code, "message": sentence}`. See docs/integration-api.md.'
    ),
    urls_namespace="api",
    auth=KeyAuth(),
    docs=_OfflineSwagger(),
)
api.add_router("/", patients_router)
api.add_router("/", points_router)
api.add_router("/", appointments_router)
api.add_router("/", fhir_router)


def _refusal(request: HttpRequest, code: str, message: str, status: int) -> HttpResponse:
    """A refusal as the door of the address answers one: FHIR's OperationOutcome, or JSON."""
    if request.path.startswith(FHIR_PREFIX):
        return fhir_error(code, message, status)
    return error_response(code, message, status)


def _action_of(request: HttpRequest) -> str:
    path = request.path
    if path.endswith("/card"):
        return SyncAction.SET_CARD
    if path.endswith("/launch"):
        return SyncAction.LAUNCH
    if path.endswith(":batch"):
        return SyncAction.BATCH
    if path.endswith("/points"):
        return SyncAction.POINTS
    return SyncAction.UPDATE if request.method == "PUT" else SyncAction.STATUS


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    message = validation_message(exc.errors)
    key = getattr(request, "auth", None)
    match = request.resolver_match
    if isinstance(key, IntegrationKey) and match is not None:
        # A PMS sending bad data is what the Sync log is for: log it under
        # the chart when the address names one the log can hold.
        chart_id = str(match.kwargs.get("chart_id", ""))
        if not re.match(CHART_ID_PATTERN, chart_id):
            chart_id = ""
        if match.kwargs.get("system") == key.system:
            error = ActionError("validation_error", message)
            record_failure(Caller(key=key), chart_id, _action_of(request), error)
    return _refusal(request, "validation_error", message, 422)


@api.exception_handler(ActionError)
def _action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return _refusal(request, exc.code, exc.message, exc.status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _refusal(request, "unauthorized", "This call needs a valid integration key.", 401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # ninja could not parse the body
        return _refusal(
            request,
            "invalid_json",
            "The request body is not valid JSON. Send a JSON object with "
            "Content-Type: application/json.",
            400,
        )
    code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 429: "rate_limited"}
    return _refusal(request, code.get(exc.status_code, "error"), str(exc), exc.status_code)


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    answer = body_too_large()
    if request.path.startswith(FHIR_PREFIX):
        return fhir_error("body_too_large", json.loads(answer.content)["message"], 413)
    return answer


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response("not_found", NOT_FOUND, 404)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Without the chart id of the path (the log records are redacted too).
    logger.exception(
        "integration API call failed: %s %s", request.method, redact_path(request.path)
    )
    return _refusal(
        request,
        "server_error",
        "The hub could not handle this call. Try again; if it keeps failing, give the hub "
        f"administrator this request id: {current_request_id()}.",
        500,
    )


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any address under /api/ that no route matches (see integrations/urls.py)."""
    return error_response("not_found", NOT_FOUND, 404)
