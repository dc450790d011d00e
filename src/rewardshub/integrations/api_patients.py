"""The patient calls of the integration API (docs/integration-api.md).

Each route validates (ninja schemas) and calls one action; `pms_call` gives it
the Caller, checks the key's system, applies Idempotency-Key on writes and logs
refusals in the Sync log.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Header, Path, Router
from pydantic import ValidationError

from rewardshub.errors import ActionError
from rewardshub.integrations import set_card as set_card_action
from rewardshub.integrations import status as chart_status
from rewardshub.integrations import sync
from rewardshub.integrations.api_support import (
    Result,
    absolute_url,
    pms_call,
    validation_message,
)
from rewardshub.integrations.batch import BatchItem, sync_batch
from rewardshub.integrations.models import SyncAction, SyncOutcome
from rewardshub.integrations.pending import PENDING_LIFETIME
from rewardshub.integrations.schemas import (
    CHART_ID_PATTERN,
    BatchIn,
    BatchOut,
    BatchPatientIn,
    ErrorOut,
    LaunchIn,
    LaunchOut,
    SetCardIn,
    SetCardOut,
    SetCardPendingOut,
    StatusOut,
    UpdateIn,
    UpdateOut,
)
from rewardshub.patients.models import Profile

router = Router(tags=["patients"])

ChartIdPath = Path(..., pattern=CHART_ID_PATTERN, description="The PMS chart id.")
SystemPath = Path(..., max_length=40, description="The PMS system of the key, e.g. orthotrac.")
IdempotencyHeader = Header(
    None,
    alias="Idempotency-Key",
    description="Makes a retry harmless: the same key and body replay the first answer.",
)
# Every refusal the routes answer, so the OpenAPI document declares what a PMS
# may get: 400 a body that is not JSON, 401 the key, 404 unknown_system or
# not_synced, 409 a conflict, 422 a value the call cannot take.
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 404, 409, 422)}


def _profile_json(profile: Profile) -> dict[str, str]:
    return {"username": profile.username, "profile_id": str(profile.public_id)}


def _launch_url(request: HttpRequest, token: str) -> str:
    return absolute_url(request, reverse("integrations:launch", args=[token]))


@router.post(
    "/pms/{system}/patients/{chart_id}/card",
    response={200: SetCardOut, 202: SetCardPendingOut, **ERRORS},
    summary="Set card: link the chart to the profile the number names (or create it)",
)
@pms_call(SyncAction.SET_CARD)
def set_card(
    caller: sync.Caller,
    request: HttpRequest,
    payload: SetCardIn,
    system: str = SystemPath,
    chart_id: str = ChartIdPath,
    idempotency_key: str | None = IdempotencyHeader,
) -> Result:
    result = set_card_action.set_card(
        caller=caller,
        chart_id=chart_id,
        card_raw=payload.card,
        data=payload.profile_data(),
        pms_status=payload.pms_status,
        office=payload.office,
    )
    assert result.token is not None
    if result.outcome == SyncOutcome.NEEDS_CONFIRMATION:
        # Nothing linked: staff confirm or cancel in the window browser_url opens.
        return 202, {
            "outcome": result.outcome,
            **_profile_json(result.profile),
            "browser_url": _launch_url(request, result.token),
            "differences": result.differences,
            "message": result.message,
            "expires_in": int(PENDING_LIFETIME.total_seconds()),
        }
    return 200, {
        "outcome": result.outcome,
        **_profile_json(result.profile),
        "browser_url": _launch_url(request, result.token),
        "changed": result.changed,
        "changes": result.changes,
    }


@router.put(
    "/pms/{system}/patients/{chart_id}",
    response={200: UpdateOut, **ERRORS},
    summary="Update a synced chart's demographics",
)
@pms_call(SyncAction.UPDATE)
def update(
    caller: sync.Caller,
    request: HttpRequest,
    payload: UpdateIn,
    system: str = SystemPath,
    chart_id: str = ChartIdPath,
    idempotency_key: str | None = IdempotencyHeader,
) -> Result:
    result = sync.update(
        caller=caller,
        chart_id=chart_id,
        data=payload.profile_data(),
        pms_status=payload.pms_status,
        office=payload.office,
    )
    return 200, {
        "outcome": result.outcome,
        **_profile_json(result.profile),
        "changed": result.changed,
    }


@router.post(
    "/pms/{system}/patients/{chart_id}/launch",
    response={200: LaunchOut, **ERRORS},
    summary="Launch: a one-time browser URL of the chart's profile or chart view",
)
@pms_call(SyncAction.LAUNCH)
def launch(
    caller: sync.Caller,
    request: HttpRequest,
    payload: LaunchIn,
    system: str = SystemPath,
    chart_id: str = ChartIdPath,
    idempotency_key: str | None = IdempotencyHeader,
) -> Result:
    result = sync.launch(caller=caller, chart_id=chart_id, view=payload.view)
    assert result.token is not None
    body: dict[str, Any] = {
        "url": _launch_url(request, result.token),
        "expires_in": settings.LAUNCH_TOKEN_SECONDS,
    }
    if result.outcome == SyncOutcome.NEEDS_CONFIRMATION:
        # The chart is not synced yet: the url opens the confirmation window.
        body.update(outcome=result.outcome, message=result.message)
    return 200, body


@router.get(
    "/pms/{system}/patients/{chart_id}",
    response={200: StatusOut, **ERRORS},
    summary="Status: is the chart synced, and the profile's summary",
)
@pms_call(SyncAction.STATUS)
def status(
    caller: sync.Caller, request: HttpRequest, system: str = SystemPath, chart_id: str = ChartIdPath
) -> Result:
    found = chart_status.status(caller=caller, chart_id=chart_id)
    if found.needs_confirmation:
        return 200, {"linked": False, "state": "needs_confirmation", "username": found.username}
    if not found.linked:
        return 200, {"linked": False}
    assert found.last_sync is not None
    return 200, {
        "linked": True,
        "username": found.username,
        "profile_id": found.profile_id,
        "card_state": found.card_state,
        "tags": found.tags,
        "points": found.points,
        "last_sync": found.last_sync.isoformat(),
    }


def _batch_items(rows: list[dict[str, Any]]) -> list[BatchItem]:
    """Check each row on its own: a bad row gets its own error, the others still sync."""
    items: list[BatchItem] = []
    seen: set[str] = set()
    for row in rows:
        chart_id = str(row.get("chart_id", ""))[:64] if isinstance(row, dict) else ""
        try:
            parsed = BatchPatientIn.model_validate(row)
        except ValidationError as exc:
            message = validation_message(exc.errors(include_url=False))  # type: ignore[arg-type]
            items.append(BatchItem(chart_id, error=ActionError("validation_error", message)))
            continue
        if parsed.chart_id in seen:
            items.append(
                BatchItem(
                    parsed.chart_id,
                    error=ActionError(
                        "duplicate_chart_id",
                        "This chart id appears more than once in the batch; "
                        "only its first row was used.",
                    ),
                )
            )
            continue
        seen.add(parsed.chart_id)
        items.append(
            BatchItem(parsed.chart_id, parsed.profile_data(), parsed.pms_status, parsed.office)
        )
    return items


@router.post(
    "/pms/{system}/patients:batch",
    response={200: BatchOut, **ERRORS},
    summary=(
        "Batch: upsert up to 1,000 charts' demographics "
        "(linked: update; unlinked: new chart-only profile)"
    ),
)
@pms_call(SyncAction.BATCH)
def batch(
    caller: sync.Caller,
    request: HttpRequest,
    payload: BatchIn,
    system: str = SystemPath,
    idempotency_key: str | None = IdempotencyHeader,
) -> Result:
    results = sync_batch(caller=caller, items=_batch_items(payload.patients))
    return 200, {"results": [result.as_json() for result in results]}
