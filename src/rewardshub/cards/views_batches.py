"""Settings > Card batches: the practice's batches and issuing a new one.

A new batch's temporary passwords exist in clear only once, right after
issuing: the session holds them until the owner downloads the CSV (one
time), and the database only ever has their hashes.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from rewardshub.cards.batch_forms import IssueBatchForm
from rewardshub.cards.batches import IssuedCard, issue_batch, write_issued_csv
from rewardshub.cards.models import Card, CardBatch, CardState
from rewardshub.cards.numbers import track_data
from rewardshub.errors import ActionError
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES

SESSION_PENDING = "issued_batch"


def _batches_page(
    request: HttpRequest,
    hub: HubContext,
    *,
    form: IssueBatchForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    def count(state: str) -> Count:
        return Count("cards", filter=Q(cards__state=state))

    batches = (
        CardBatch.objects.filter(practice=hub.practice)
        .select_related("created_by")
        .annotate(
            available=count(CardState.AVAILABLE),
            active=count(CardState.ACTIVE),
            retired=count(CardState.RETIRED),
        )
        .order_by("-created_at", "-id")
    )
    pending = request.session.get(SESSION_PENDING) or {}
    context = {
        "nav": "settings",
        "section": "cards",
        "batches": batches,
        "form": form or IssueBatchForm(initial={"count": 100}),
        "error": error,
        "pending": pending.get("batch"),
        "pending_count": len(pending.get("cards", [])),
    }
    return render(request, "cards/batches.html", context, status=status)


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def batches(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return _batches_page(request, hub)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def batch_issue(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = IssueBatchForm(request.POST)
    if not form.is_valid():
        return _batches_page(request, hub, form=form, status=422)
    try:
        issued = issue_batch(
            practice=hub.practice,
            count=form.cleaned_data["count"],
            label=form.cleaned_data["label"],
            actor=hub.actor,
        )
    except ActionError as exc:
        return _batches_page(request, hub, form=form, error=exc.message, status=exc.status)
    # The batch of the first new card: exact even when two owners issue at once.
    batch = Card.objects.select_related("batch").get(number=issued[0].number).batch
    # Track data is derived from the number, so only number and password are kept.
    request.session[SESSION_PENDING] = {
        "batch": str(batch.public_id),
        "cards": [[card.number, card.temp_password] for card in issued],
    }
    messages.success(
        request,
        f"Issued {len(issued):,} cards. Download the card list now: it holds the temporary "
        "passwords, which the hub does not keep.",
    )
    return redirect("cards:batches")


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def batch_download(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    batch = get_object_or_404(CardBatch, practice=hub.practice, public_id=public_id)
    pending = request.session.get(SESSION_PENDING) or {}
    if pending.get("batch") != str(batch.public_id):
        messages.error(
            request,
            "The card list of that batch can no longer be downloaded: it is offered once, right "
            "after issuing, because the temporary passwords are not kept. Issue a new batch if "
            "the cards were not printed.",
        )
        return redirect("cards:batches")
    del request.session[SESSION_PENDING]
    issued = [IssuedCard(number, pw, *track_data(number)) for number, pw in pending["cards"]]
    stamp = timezone.localtime(batch.created_at).strftime("%Y%m%d-%H%M")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="cards-{hub.practice.slug}-{stamp}.csv"'
    )
    response["Cache-Control"] = "no-store"
    write_issued_csv(issued, response)  # type: ignore[arg-type]
    return response
