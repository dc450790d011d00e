"""Card sheets as PDF: with the temporary passwords when a batch is issued, without on a reprint.

The issuing POST (views_batches.batch_issue) answers with the sheets when
the owner chose PDF: the one time the passwords exist in clear. A reprint,
from the batch list, draws the batch's cards still available, says on each
back that the first password comes from the front desk, and is audited.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from rewardshub.audit.actions import record_event
from rewardshub.cards.models import Card, CardBatch, CardState
from rewardshub.cards.sheets import MAX_SHEET_CARDS, SheetCard, sheet_filename, sheet_response
from rewardshub.cards.views_batches import batches_page
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def batch_sheets(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    """Reprint a batch's available cards, without passwords (the hub has only their hashes)."""
    batch = CardBatch.objects.filter(practice=hub.practice, public_id=public_id).first()
    if batch is None:
        raise Http404("No such card batch.")
    numbers = list(
        Card.objects.filter(practice=hub.practice, batch=batch, state=CardState.AVAILABLE)
        .order_by("number")
        .values_list("number", flat=True)
    )
    if not numbers or len(numbers) > MAX_SHEET_CARDS:
        why = (
            "This batch has no available cards left to print."
            if not numbers
            else f"This batch has {len(numbers):,} available cards; card sheets hold up to "
            f"{MAX_SHEET_CARDS:,} at a time. Send its CSV card list to a card printer instead."
        )
        return batches_page(request, hub, error=why, status=409 if not numbers else 422)
    record_event(
        practice=hub.practice,
        actor=hub.actor,
        action="cards.print",
        detail={"batch": batch.public_id.hex, "count": len(numbers), "passwords": False},
    )
    cards = [SheetCard(number) for number in numbers]
    filename = sheet_filename(hub.practice, batch.created_at, reprint=True)
    return sheet_response(request, hub.practice, cards, filename)
