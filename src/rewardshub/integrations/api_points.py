"""The points calls of the integration API (docs/integration-api.md): a PMS gives
menu rewards or misc points to a synced chart, and reads its balance and history.

Each route validates (ninja schemas) and calls the actions; `pms_call` gives it
the Caller, checks the key's system, applies Idempotency-Key and logs refusals;
the route logs its own success in the Sync log. The awards are points.actions',
the same the profile page and the chart tab use.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints

from rewardshub.errors import ActionError
from rewardshub.integrations import idempotency, sync
from rewardshub.integrations.api_patients import ERRORS, ChartIdPath, IdempotencyHeader, SystemPath
from rewardshub.integrations.api_support import Result, pms_call
from rewardshub.integrations.models import SyncAction, SyncOutcome
from rewardshub.integrations.schemas import (
    NO_NUL,
    NOT_BLANK,
    STRIP,
    BodyIn,
    Short,
    whole_number,
)
from rewardshub.patients.models import Profile
from rewardshub.points import queries
from rewardshub.points.actions import MAX_MISC_POINTS, award_items, award_misc
from rewardshub.points.ledger import LedgerKey, replayed_entries
from rewardshub.points.models import LedgerEntry, PendingAward, RewardItem
from rewardshub.practices.models import Practice, Role
from rewardshub.wording import count_of

router = Router(tags=["points"])

MAX_ITEMS = 20
HISTORY_PAGE_SIZE = 50
ItemRef = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NOT_BLANK), STRIP]


class PointsIn(BodyIn):
    # Published as the rule the call applies (award() refuses anything else):
    # either menu rewards (a non-empty `items`) or misc points (an `amount`).
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["items"], "properties": {"items": {"type": "array", "minItems": 1}}},
                {"required": ["amount"], "properties": {"amount": {"type": "integer"}}},
            ]
        }
    )

    items: list[ItemRef] | None = Field(
        None,
        max_length=MAX_ITEMS,
        description="Menu rewards to give, by name (as on the menu) or public id.",
    )
    amount: (
        Annotated[
            int,
            # JSON true is not 1 point; 25.0 is 25 (whole_number, which runs first).
            Field(ge=1, le=MAX_MISC_POINTS, strict=True),
            BeforeValidator(whole_number),
        ]
        | None
    ) = Field(None, description="Misc points: a free amount (with description).")
    description: Annotated[str, StringConstraints(max_length=300, pattern=NO_NUL), STRIP] = Field(
        "", description="Why; required with amount."
    )
    pms_user: Short | None = Field(None, description="The PMS user, recorded in the audit log.")


class EntryOut(Schema):
    id: str
    kind: str
    points: int
    item: str | None
    description: str
    by: str
    created_at: str
    reversed: bool | None = None


class PendingOut(Schema):
    id: str
    points: int
    description: str


class AwardOut(Schema):
    entries: list[EntryOut]
    balance: int
    pending: PendingOut | None = None


class HistoryOut(Schema):
    balance: int
    entries: list[EntryOut]
    page: int
    pages: int
    total: int


class HistoryQuery(Schema):
    page: int = Field(1, ge=1, le=100_000)


def _entry_json(entry: LedgerEntry) -> dict[str, Any]:
    body = {
        "id": str(entry.public_id),
        "kind": entry.kind,
        "points": entry.points,
        "item": entry.reward_item.name if entry.reward_item else None,
        "description": entry.description,
        "by": entry.actor_label,
        "created_at": entry.created_at.isoformat(),
    }
    if hasattr(entry, "is_reversed"):
        body["reversed"] = entry.is_reversed
    return body


def _linked_profile(caller: sync.Caller, chart_id: str) -> Profile:
    link = sync.chart_link(caller, chart_id)
    if link is None:
        raise sync.not_synced(caller.system)
    return link.profile


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def menu_items(practice: Practice, refs: list[str]) -> list[RewardItem]:
    """The active menu items named (case-insensitively) or identified by `refs`, in order."""
    ids = [as_id for ref in refs if (as_id := _as_uuid(ref)) is not None]
    match = Q(public_id__in=ids)
    for ref in refs:
        match |= Q(name__iexact=ref)
    found = list(RewardItem.objects.filter(match, practice=practice, active=True))
    items = []
    for ref in refs:
        as_id = _as_uuid(ref)
        item = next(
            (i for i in found if i.name.lower() == ref.lower() or i.public_id == as_id), None
        )
        if item is None:
            raise ActionError(
                "unknown_item",
                f"“{ref}” is not on the practice's reward menu (or is no longer active). "
                "Send a reward's name as the menu shows it, or its id.",
            )
        items.append(item)
    return items


@router.post(
    "/pms/{system}/patients/{chart_id}/points",
    response={200: AwardOut, 202: AwardOut, **ERRORS},
    summary="Award points: menu rewards (items) or misc points (amount + description)",
)
@pms_call(SyncAction.POINTS)
def award(
    caller: sync.Caller,
    request: HttpRequest,
    payload: PointsIn,
    system: str = SystemPath,
    chart_id: str = ChartIdPath,
    idempotency_key: str | None = IdempotencyHeader,
) -> Result:
    # The ledger keeps the key and this request's hash with the entries, for good:
    # the stored answer is pruned after a week, the entries are not.
    ledger_key = (
        LedgerKey(
            f"pms:{idempotency_key}",
            idempotency.fingerprint(request.method or "POST", request.path, request.body),
        )
        if idempotency_key
        else None
    )
    if bool(payload.items) == (payload.amount is not None):
        raise ActionError(
            "validation_error",
            "Send either items (menu rewards by name or id) or amount with a description.",
        )
    practice = caller.practice
    with transaction.atomic():
        profile = _linked_profile(caller, chart_id)
        earlier = replayed_entries(practice, profile, ledger_key) if ledger_key else []
        if earlier:
            # The same request again after its stored answer was pruned: the
            # entries it made, not a second award (pms_call logs the replay).
            body = {
                "entries": [_entry_json(entry) for entry in earlier],
                "balance": profile.points_balance,
            }
            return idempotency.Answer(200, body, replayed=True)
        if payload.items:
            entries = award_items(
                practice=practice,
                profile=profile,
                items=menu_items(practice, payload.items),
                description=payload.description,
                actor=caller.actor,
                location=profile.location,
                idempotency=ledger_key,
            )
            result: list[LedgerEntry] | PendingAward = entries
        else:
            assert payload.amount is not None
            given = award_misc(
                practice=practice,
                profile=profile,
                points=payload.amount,
                description=payload.description,
                actor=caller.actor,
                role=Role.REWARDS,  # like staff in the chart tab: approval applies
                location=profile.location,
                idempotency=ledger_key,
            )
            result = given if isinstance(given, PendingAward) else [given]
        # The balance as the award left it: the profile it locked, whose lock this
        # transaction still holds (no statement of its own). A repeat answered
        # from before a merge names the merged profile: read the chart's own.
        locked = result.profile if isinstance(result, PendingAward) else result[0].profile
        if locked.pk == profile.pk:
            profile.points_balance = locked.points_balance
        else:
            profile.refresh_from_db(fields=["points_balance"])
        if isinstance(result, PendingAward):
            sync.record_sync(
                caller,
                chart_id,
                SyncAction.POINTS,
                SyncOutcome.PENDING,
                profile,
                f"{count_of(result.points, 'misc point')} awaiting approval by an owner or admin.",
            )
            return 202, {
                "entries": [],
                "balance": profile.points_balance,
                "pending": {
                    "id": str(result.public_id),
                    "points": result.points,
                    "description": result.description,
                },
            }
        total = sum(entry.points for entry in result)
        sync.record_sync(
            caller,
            chart_id,
            SyncAction.POINTS,
            SyncOutcome.AWARDED,
            profile,
            f"Awarded {count_of(total, 'point')} to hub patient {profile.username}; "
            f"balance {profile.points_balance}.",
        )
        return 200, {
            "entries": [_entry_json(entry) for entry in result],
            "balance": profile.points_balance,
        }


@router.get(
    "/pms/{system}/patients/{chart_id}/points",
    response={200: HistoryOut, **ERRORS},
    summary="Points: the balance and the history, newest first, 50 a page",
)
@pms_call(SyncAction.POINTS)
def history(
    caller: sync.Caller,
    request: HttpRequest,
    system: str = SystemPath,
    chart_id: str = ChartIdPath,
    query: HistoryQuery = Query(...),  # noqa: B008 - ninja's way to declare query params
) -> Result:
    with transaction.atomic():
        profile = _linked_profile(caller, chart_id)
        paginator = Paginator(queries.history(profile), HISTORY_PAGE_SIZE)
        page = paginator.get_page(query.page)
        sync.record_sync(
            caller,
            chart_id,
            SyncAction.POINTS,
            SyncOutcome.REPORTED,
            profile,
            f"Read the points of hub patient {profile.username}.",
        )
        return 200, {
            "balance": profile.points_balance,
            "entries": [_entry_json(entry) for entry in page],
            "page": page.number,
            "pages": paginator.num_pages,
            "total": paginator.count,
        }
