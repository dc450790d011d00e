"""What ninja's OpenAPI document of the integration API cannot say by itself.

- the limits idempotency.check_key applies to the Idempotency-Key header
  (ninja's Header cannot publish them);
- 413 on every call with a body (a body over DATA_UPLOAD_MAX_MEMORY_SIZE is
  refused before any route reads it, api.py);
- what each refusal status means, with its codes;
- the FHIR door's schemas (api_fhir.py: FHIR JSON, which ninja does not describe);
- links from set card, the call that links a chart, to the calls that use the
  link (status, update, launch, points), so a generic client or fuzzer can
  follow them: they take the same system and chart id.
"""

from __future__ import annotations

from typing import Any

from rewardshub.integrations.api_fhir import COMPONENTS as FHIR_COMPONENTS
from rewardshub.integrations.api_support import body_limit
from rewardshub.integrations.idempotency import MAX_KEY_LENGTH

ERROR_SCHEMA = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
STATUS_WORDS = {
    400: "`invalid_json`: the body is not JSON.",
    401: "`unauthorized`: no key, or a key that is not valid or was revoked.",
    404: "`unknown_system` (the key is for another PMS), `not_synced` (the chart has "
    "no hub profile yet: set its card first), `not_found`.",
    409: "A conflict: `idempotency_key_reused` (this Idempotency-Key was used for "
    "another request; send a new key), `idempotency_in_progress`, and the call's own "
    "conflicts (docs/integration-api.md).",
    422: "`validation_error` (names the field), or a value the call cannot take "
    "(card_invalid, card_unknown, unknown_item, ...).",
}


def _too_large(content: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": f"`body_too_large`: the body is over {body_limit()}; nothing was done. "
        "Send less (split a batch).",
        "content": content,
    }


def _idempotency_header(parameter: dict[str, Any]) -> None:
    parameter["schema"] = {
        **{k: v for k, v in parameter["schema"].items() if k != "anyOf"},
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": r"\S",  # not only spaces
    }


SET_CARD = ("/api/v1/pms/{system}/patients/{chart_id}/card", "post")
# name -> (path, method) of the calls that take a linked chart.
LINKED = {
    "Status": ("/api/v1/pms/{system}/patients/{chart_id}", "get"),
    "Update": ("/api/v1/pms/{system}/patients/{chart_id}", "put"),
    "Launch": ("/api/v1/pms/{system}/patients/{chart_id}/launch", "post"),
    "AwardPoints": ("/api/v1/pms/{system}/patients/{chart_id}/points", "post"),
    "Points": ("/api/v1/pms/{system}/patients/{chart_id}/points", "get"),
}


def _links(document: dict[str, Any]) -> None:
    paths = document["paths"]
    set_card = paths[SET_CARD[0]][SET_CARD[1]]
    set_card["responses"][200]["links"] = {
        name: {
            "operationId": paths[path][method]["operationId"],
            "parameters": {
                "system": "$request.path.system",
                "chart_id": "$request.path.chart_id",
            },
            "description": "The chart set card just linked.",
        }
        for name, (path, method) in LINKED.items()
    }


def finish(document: dict[str, Any]) -> dict[str, Any]:
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"] == "Idempotency-Key":
                    _idempotency_header(parameter)
            responses = operation["responses"]
            for status, words in STATUS_WORDS.items():
                if status in responses:
                    responses[status]["description"] = words
            if "requestBody" in operation:
                # The FHIR door refuses in FHIR (api_fhir.py has declared its 413).
                content = responses.get(413, {}).get("content", ERROR_SCHEMA)
                responses[413] = _too_large(content)
    _links(document)
    document["components"]["schemas"].update(FHIR_COMPONENTS)
    return document
