"""The FHIR R4 door of the integration API (docs/integration-api.md, "FHIR R4"):
`POST /api/v1/fhir/{system}/Bundle` takes a transaction or batch Bundle of Patients
and Appointments and answers a Bundle of outcomes.

It is a PMS call like the others (`pms_call`: the key, its system, Idempotency-Key,
the Sync log), answered in FHIR: application/fhir+json, refusals as OperationOutcome.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router

from rewardshub.errors import ActionError
from rewardshub.integrations import sync
from rewardshub.integrations.api_patients import IdempotencyHeader, SystemPath
from rewardshub.integrations.api_support import Door, Result, pms_call
from rewardshub.integrations.fhir_answers import FHIR_JSON, Issue, error_outcome, operation_outcome
from rewardshub.integrations.fhir_bundle import apply_bundle
from rewardshub.integrations.fhir_read import read_body
from rewardshub.integrations.idempotency import Answer
from rewardshub.integrations.models import SyncAction
from rewardshub.integrations.schemas import MAX_BATCH

PREFIX = "/api/v1/fhir/"
# What a request may be sent as (the last is DSTU2's name, still sent by some clients).
MEDIA_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")


def fhir_response(body: dict[str, Any], status: int) -> JsonResponse:
    return JsonResponse(body, status=status, content_type=FHIR_JSON)


def fhir_error(code: str, message: str, status: int) -> JsonResponse:
    """A refusal as an OperationOutcome (what api.py answers on this door's paths)."""
    return fhir_response(operation_outcome([Issue(code, message)], status), status)


def _answer(answer: Answer) -> HttpResponse:
    return fhir_response(answer.body, answer.status)


def _refuse(error: ActionError) -> HttpResponse:
    return fhir_response(error_outcome(error), error.status)


FHIR = Door("fhir", _answer, _refuse)


def _check_media_type(request: HttpRequest) -> None:
    sent = request.content_type or ""
    if sent not in MEDIA_TYPES:
        raise ActionError(
            "unsupported_media_type",
            f"The body was sent as {sent or 'nothing'}; send the Bundle as JSON with "
            "Content-Type: application/fhir+json (or application/json).",
            status=415,
        )


# -- the OpenAPI document: FHIR's JSON, described as far as a schema can -----------------

OUTCOME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "OperationOutcome",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"type": "string", "enum": ["error", "information"]},
                    "code": {"type": "string"},
                    "details": {
                        "type": "object",
                        "description": "coding: the hub's error code (system "
                        "urn:rewardshub:error); text: the sentence.",
                    },
                    "expression": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "The field at fault: Bundle.entry[1].resource.birthDate",
                    },
                },
            },
        },
    },
}
BUNDLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Bundle",
    "description": "A FHIR R4 Bundle of type transaction or batch. Each entry holds a Patient "
    "or an Appointment with request.method POST or PUT; the whole Bundle is checked "
    "against FHIR R4 (elements FHIR does not define are refused).",
    "required": ["resourceType", "type"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["Bundle"]},
        "type": {"type": "string", "enum": ["transaction", "batch"]},
        "entry": {
            "type": "array",
            "maxItems": MAX_BATCH,
            "items": {
                "type": "object",
                "description": "fullUrl, resource (Patient or Appointment), request "
                "(method POST or PUT, url).",
            },
        },
    },
}
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Bundle",
    "required": ["resourceType", "type", "entry"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["Bundle"]},
        "type": {"type": "string", "enum": ["transaction-response", "batch-response"]},
        "entry": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["response"],
                "properties": {
                    "response": {
                        "type": "object",
                        "required": ["status"],
                        "properties": {
                            "status": {"type": "string", "description": "e.g. 201 Created"},
                            "outcome": {"$ref": "#/components/schemas/FhirOperationOutcome"},
                        },
                    }
                },
            },
        },
    },
}
EXAMPLE = {
    "resourceType": "Bundle",
    "type": "batch",
    "entry": [
        {
            "fullUrl": "urn:uuid:3f1c2a56-7b0e-4d8a-9c1e-2b8f6d4a0e11",
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": "urn:rewardshub:chart", "value": "OT-4242"}],
                "name": [{"use": "official", "family": "Rivera", "given": ["Mia"]}],
                "birthDate": "2013-05-02",
                "telecom": [{"system": "phone", "use": "mobile", "value": "555-0142"}],
            },
            "request": {"method": "PUT", "url": "Patient?identifier=urn:rewardshub:chart|OT-4242"},
        },
        {
            "resource": {
                "resourceType": "Appointment",
                "identifier": [{"system": "urn:rewardshub:chart", "value": "A-77"}],
                "status": "booked",
                "start": "2026-12-04T09:30:00-05:00",
                "minutesDuration": 30,
                "appointmentType": {"coding": [{"code": "ADJ", "display": "Adjustment"}]},
                "participant": [
                    {
                        "actor": {"reference": "urn:uuid:3f1c2a56-7b0e-4d8a-9c1e-2b8f6d4a0e11"},
                        "status": "accepted",
                    }
                ],
            },
            "request": {"method": "PUT", "url": "Appointment?identifier=urn:rewardshub:chart|A-77"},
        },
    ],
}


# Published as components (openapi.py adds them), so a client sees them by name.
COMPONENTS = {
    "FhirBundle": BUNDLE_SCHEMA,
    "FhirBundleResponse": RESPONSE_SCHEMA,
    "FhirOperationOutcome": OUTCOME_SCHEMA,
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _fhir_content(name: str) -> dict[str, Any]:
    return {FHIR_JSON: {"schema": _ref(name)}}


REFUSALS = (400, 401, 404, 409, 413, 415, 422)
OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": _ref("FhirBundle"), "example": EXAMPLE} for media in MEDIA_TYPES[:2]
        },
    },
    "responses": {
        200: {
            "description": "The Bundle was applied (a batch: each entry's own status). A "
            "transaction-response or batch-response Bundle, an entry per request entry.",
            "content": _fhir_content("FhirBundleResponse"),
        },
        **{
            status: {"description": "Refused.", "content": _fhir_content("FhirOperationOutcome")}
            for status in REFUSALS
        },
    },
}


router = Router(tags=["fhir"])


@router.post(
    "/fhir/{system}/Bundle",
    summary="FHIR R4: a transaction or batch Bundle of Patients and Appointments",
    openapi_extra=OPENAPI,
)
@pms_call(SyncAction.BATCH, FHIR)
def bundle(
    caller: sync.Caller,
    request: HttpRequest,
    system: str = SystemPath,
    idempotency_key: str | None = IdempotencyHeader,
) -> Result:
    _check_media_type(request)
    return apply_bundle(caller=caller, sent=read_body(request.body))
