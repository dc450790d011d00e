"""Settings > Card batches: the practice's batches and issuing a new one.

A new batch's temporary passwords exist in clear only once: the POST that
issues the batch answers with its card list (CSV, or PDF card sheets: see
sheets.py; `Cache-Control: no-store`).
Nothing keeps them afterwards, neither the session nor any table; the
database only ever has their keyed hashes.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from rewardshub.cards.batch_forms import IssueBatchForm
from rewardshub.cards.batches import issue_batch, write_issued_csv
from rewardshub.cards.models import Card, CardBatch, CardState
from rewardshub.cards.queries import set_not_connected, username_numbers
from rewardshub.cards.sheets import SheetCard, sheet_filename, sheet_response
from rewardshub.errors import ActionError
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES
from rewardshub.web import csv_attachment
from rewardshub.wording import count_of


def batches_page(
    request: HttpRequest,
    hub: HubContext,
    *,
    form: IssueBatchForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    def count(state: str) -> Count:
        return Count("cards", filter=Q(cards__state=state))

    # A card a PMS set as a patient's username is theirs alone: never available.
    usernames = Q(cards__number__in=username_numbers(hub.practice))
    available = Q(cards__state=CardState.AVAILABLE)

    batches = (
        CardBatch.objects.filter(practice=hub.practice)
        .select_related("created_by")
        .annotate(
            available=Count("cards", filter=available & ~usernames),
            set_in_pms=Count("cards", filter=available & usernames),
            active=count(CardState.ACTIVE),
            retired=count(CardState.RETIRED),
        )
        .order_by("-created_at", "-id")
    )
    context = {
        "nav": "settings",
        "section": "cards",
        "batches": batches,
        "set_cards": set_not_connected(hub.practice),
        "form": form or IssueBatchForm(initial={"count": 100, "format": "csv"}),
        "error": error,
    }
    return render(request, "cards/batches.html", context, status=status)


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def batches(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return batches_page(request, hub)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def batch_issue(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    """Issue a batch and answer with its card list: the one time it exists in clear."""
    form = IssueBatchForm(request.POST)
    if not form.is_valid():
        return batches_page(request, hub, form=form, status=422)
    try:
        issued = issue_batch(
            practice=hub.practice,
            count=form.cleaned_data["count"],
            label=form.cleaned_data["label"],
            actor=hub.actor,
        )
    except ActionError as exc:
        return batches_page(request, hub, form=form, error=exc.message, status=exc.status)
    # The batch of the first new card: exact even when two owners issue at once.
    batch = Card.objects.select_related("batch").get(number=issued[0].number).batch
    if form.cleaned_data["format"] == "pdf":
        filename = sheet_filename(hub.practice, batch.created_at)
        what = "Their card sheets came as the download"
    else:
        stamp = timezone.localtime(batch.created_at).strftime("%Y%m%d-%H%M")
        filename = f"cards-{hub.practice.slug}-{stamp}.csv"
        what = "Their card list came as the download"
    # Shown on the next page the owner opens; it holds no password.
    messages.success(
        request,
        f"Issued {count_of(len(issued), 'card')}. {what} "
        f"{filename}: keep "
        "that file until the cards are printed, it is the only copy of their temporary "
        "passwords. If it is lost, issue a new batch.",
    )
    if form.cleaned_data["format"] == "pdf":
        cards = [SheetCard(card.number, card.temp_password) for card in issued]
        return sheet_response(request, hub.practice, cards, filename)
    response = csv_attachment(filename)
    write_issued_csv(issued, response)  # type: ignore[arg-type]
    return response
