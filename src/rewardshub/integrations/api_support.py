"""The API's plumbing: key auth, JSON errors in words, and `pms_call`, which runs
a call with its Caller, idempotency and Sync log entry. Routes (api_patients.py,
api_points.py, api_fhir.py) stay thin."""

from __future__ import annotations

import functools
import inspect
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from ninja.security import HttpBearer

from rewardshub.audit.actors import client_ip
from rewardshub.errors import ActionError
from rewardshub.integrations import idempotency, keys
from rewardshub.integrations.schemas import CHART_ID_RULE, EMAIL_PATTERN, NO_NUL, NOT_BLANK
from rewardshub.integrations.sync import Caller, record_failure, record_replay
from rewardshub.integrations.systems import system_name
from rewardshub.local_time import format_when
from rewardshub.practices.models import IntegrationKey
from rewardshub.wording import as_shown

KEYS_PAGE = "Settings > Integration keys"


def error_response(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def body_limit() -> str:
    """The largest body the hub reads, in words ("2.5 MB")."""
    return str(filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)).replace("\xa0", " ")


def body_too_large() -> JsonResponse:
    """413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE, which is never read."""
    return error_response(
        "body_too_large",
        f"The request body is larger than the {body_limit()} the hub takes; nothing was done. "
        "Send less: split a batch into smaller ones (a few hundred patients each).",
        413,
    )


def _unauthorized(message: str) -> ActionError:
    return ActionError("unauthorized", message, status=401)


def _revoked(key: IntegrationKey) -> ActionError:
    assert key.revoked_at is not None
    try:
        zone = zoneinfo.ZoneInfo(key.practice.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = None
    when = format_when(key.revoked_at, "date", zone)
    return _unauthorized(
        f"This integration key was revoked on {when}. Create a new key in "
        f"{KEYS_PAGE} and update the PMS bridge."
    )


class KeyAuth(HttpBearer):
    """`Authorization: Bearer rh_...`; every failure is a 401 that says what to fix."""

    def __call__(self, request: HttpRequest) -> IntegrationKey | None:
        header = request.headers.get("Authorization", "")
        if not header.strip():
            raise _unauthorized(
                "This call needs an integration key, sent as 'Authorization: Bearer <key>'. "
                f"Owners and admins create keys in {KEYS_PAGE}."
            )
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized(
                "The Authorization header must read 'Bearer <key>'. Check the bridge config."
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> IntegrationKey | None:
        key = keys.authenticate(token)
        if key is not None:
            return key
        # Refused: look again only to say why (a refusal is rare and need not be fast).
        found = keys.find_key(token)
        if found is not None and found.revoked_at is not None:
            raise _revoked(found)
        raise _unauthorized(
            "This integration key is not valid. Check the key in the bridge config, "
            f"or create a new one in {KEYS_PAGE}."
        )


# What an endpoint answers: a status and body, or a whole Answer (a write that
# found its earlier result and answers it again, marked replayed).
Result = tuple[int, dict[str, Any]] | idempotency.Answer
Endpoint = Callable[..., Result]


def _caller(request: HttpRequest, pms_user: str | None) -> Caller:
    """The one Caller of a call: its key, the PMS user the body names, the address."""
    key: IntegrationKey = request.auth  # type: ignore[attr-defined]
    return Caller(key=key, pms_user=pms_user or "", source_ip=client_ip(request))


def _check_system(caller: Caller, system: str, door: str) -> None:
    if system != caller.system:
        raise ActionError(
            "unknown_system",
            f"This integration key is for {system_name(caller.system)}, so its calls go to "
            f"/api/v1/{door}/{caller.system}/... Check the PMS system in the bridge config.",
            status=404,
        )


@dataclass(frozen=True)
class Door:
    """How a family of calls is addressed (/api/v1/<name>/<system>/...) and answered:
    the PMS API's JSON, or FHIR resources (api_fhir.py)."""

    name: str
    answer: Callable[[idempotency.Answer], HttpResponse]
    refuse: Callable[[ActionError], HttpResponse]


def _json_answer(answer: idempotency.Answer) -> HttpResponse:
    return JsonResponse(answer.body, status=answer.status)


def _json_refusal(error: ActionError) -> HttpResponse:
    return error_response(error.code, error.message, error.status)


PMS = Door("pms", _json_answer, _json_refusal)


def _answer(result: Result) -> idempotency.Answer:
    return result if isinstance(result, idempotency.Answer) else idempotency.Answer(*result)


def _run(
    request: HttpRequest, caller: Caller, chart_id: str, action: str, work: Callable[[], Result]
) -> idempotency.Answer:
    """Run the call: once per Idempotency-Key on writes, logging a replay."""
    idem_key = request.headers.get("Idempotency-Key")
    if idem_key is None or request.method not in ("POST", "PUT"):
        return _answer(work())
    idempotency.check_key(idem_key)
    answer = idempotency.run_once(
        practice=caller.practice,
        key=idem_key,
        print_=idempotency.fingerprint(request.method, request.path, request.body),
        work=lambda: _answer(work()),
    )
    if answer.replayed:
        record_replay(caller, chart_id, action)
    return answer


def pms_call(action: str, door: Door = PMS) -> Callable[[Endpoint], Callable[..., HttpResponse]]:
    """An API route of the PMS calls: `endpoint(caller, request, **params)` returns
    what to answer, and this does the rest. The Caller is built once (the key,
    the body's `pms_user`, the address); the path's system must be the key's;
    writes run once per Idempotency-Key; a refusal (ActionError) is logged in the
    Sync log under the path's chart and answered as the door answers refusals (a
    JSON error; an OperationOutcome at /api/v1/fhir/). ninja reads the endpoint's
    parameters after `caller` as the route's."""

    def decorate(endpoint: Endpoint) -> Callable[..., HttpResponse]:
        # Annotations resolved here, in the endpoint's module: ninja would look
        # names up in this one.
        signature = inspect.signature(endpoint, eval_str=True)
        route_params = list(signature.parameters.values())[1:]

        @functools.wraps(endpoint)
        def view(request: HttpRequest, **params: Any) -> HttpResponse:
            caller = _caller(request, getattr(params.get("payload"), "pms_user", None))
            chart_id = str(params.get("chart_id", ""))
            try:
                _check_system(caller, params["system"], door.name)
                answer = _run(
                    request, caller, chart_id, action, lambda: endpoint(caller, request, **params)
                )
            except ActionError as exc:
                record_failure(caller, chart_id, action, exc)
                return door.refuse(exc)
            response = door.answer(answer)
            if answer.replayed:
                response["Idempotent-Replayed"] = "true"
            return response

        view.__signature__ = signature.replace(parameters=route_params)  # type: ignore[attr-defined]
        return view

    return decorate


def absolute_url(request: HttpRequest, path: str) -> str:
    """A browser link for the PMS: the configured public address, else this request's host."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


# -- validation errors in words ---------------------------------------------------

_SOURCES = {"body", "path", "query", "header", "cookie", "form", "payload"}


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    name = ""
    for item in loc:
        if isinstance(item, int):
            name += f"[{item}]"
        elif not name and item in _SOURCES:
            continue
        else:
            name += f".{as_shown(str(item))}" if name else as_shown(str(item))
    return name or "The request body"


def _sentence(error: dict[str, Any]) -> str:
    field = field_name(error.get("loc", ()))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"{field} is required."
    if kind == "string_too_long":
        return f"{field} must be at most {ctx.get('max_length')} characters."
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return f"{field} must not be empty."
        return f"{field} must be at least {ctx.get('min_length')} characters."
    if kind == "string_pattern_mismatch":
        if field.endswith("chart_id"):
            return f"{field} must be {CHART_ID_RULE}."
        if ctx.get("pattern") == EMAIL_PATTERN:
            return f"{field} is not an email address."
        if ctx.get("pattern") == NOT_BLANK:
            return f"{field} must not be blank, nor contain NUL characters (\\u0000)."
        if ctx.get("pattern") == NO_NUL:
            return f"{field} must not contain NUL characters (\\u0000)."
        return f"{field} has characters that are not allowed."
    if kind.startswith("date_"):
        return f"{field} must be a date written YYYY-MM-DD."
    if kind == "too_long":
        return f"{field} must hold at most {ctx.get('max_length')} items."
    if kind == "too_short":
        return f"{field} must hold at least {ctx.get('min_length')} item(s)."
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return f"{field} must be a whole number."
    if kind == "greater_than_equal":
        return f"{field} must be at least {ctx.get('ge')}."
    if kind == "less_than_equal":
        return f"{field} must be at most {ctx.get('le')}."
    if kind == "literal_error":
        return f"{field} must be one of {ctx.get('expected')}."
    if kind == "string_type":
        return f"{field} must be text."
    if kind in ("dict_type", "model_attributes_type", "model_type"):
        return f"{field} must be a JSON object."
    if kind == "list_type":
        return f"{field} must be a JSON list."
    if kind == "json_invalid":
        return "The request body is not valid JSON."
    if kind == "value_error":
        return f"{field} {ctx.get('error', error.get('msg', 'is not valid'))}."
    return f"{field}: {error.get('msg', 'is not valid')}."


def validation_message(errors: list[dict[str, Any]]) -> str:
    """The problems of a request in one paragraph (the first three; then how many more)."""
    sentences = [_sentence(error) for error in errors[:3]]
    if len(errors) > 3:
        sentences.append(f"({len(errors) - 3} more.)")
    return " ".join(sentences) or "The request is not valid."
