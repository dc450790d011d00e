"""Set card: link a PMS chart to the hub profile a card number names, or create it.

The number the PMS sends (a swipe, a typed card number or a pasted username)
is resolved in this order (docs/integration-api.md):
1. a profile's username: valid for life, even after the card that carried
   that number was retired (the seed's existing-patient workflow pastes it);
2. an active card: its profile;
3. an available card of this practice: a new patient whose username is that
   number. The card stays available: staff connect it on the new profile with
   "Connect Card", as the seed's new-patient workflow does;
4. otherwise the card form's own errors: retired card (409), unknown number
   or wrong check digit (422).
Then the conflicts (409), chart first: the chart is synced with another
patient (another patient's card: card_in_use; else chart_linked_elsewhere),
or the patient is synced with another chart (profile_linked_elsewhere).

A chart whose profile is a bare chart-only profile (made by a batch sync,
never a card or points) is not a conflict: it takes the new card's number,
or gives the chart to the patient the number names.

Handing a chart to a patient who already exists (the number is their
username or active card) happens at once only when the chart and the
profile agree on first name, last name and birth date (identity.py). Else
nothing is linked: the answer is needs_confirmation, and a PendingLink waits
for staff to confirm or cancel it in the hub (actions.confirm_link).

A synced chart that may be a lead of the practice (a prospective patient: its
names and birth date, or email and last name, match) gets the match proposed
(lead_hooks.py): the window set card opens then asks staff to confirm it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, QuerySet
from django.db.models.expressions import BaseExpression
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.models import AuditEvent
from rewardshub.cards.models import Card, CardState
from rewardshub.cards.queries import (
    NumberLookup,
    NumberMatch,
    in_use_error,
    match_number,
    parse_or_raise,
    retired_error,
    unknown_number_error,
)
from rewardshub.errors import ActionError
from rewardshub.integrations import changes as change_words
from rewardshub.integrations.caller import Caller, SyncResult
from rewardshub.integrations.decisions import PMS_USER_LENGTH, pms_status_seen, set_card_message
from rewardshub.integrations.identity import Identity, differences
from rewardshub.integrations.launch import caller_token
from rewardshub.integrations.lead_hooks import OPEN_LEADS
from rewardshub.integrations.lead_hooks import hooks as lead_hooks
from rewardshub.integrations.link_status import pay_moved, status_values
from rewardshub.integrations.links import chart_link, create_linked_profile, link_chart, sync_fields
from rewardshub.integrations.models import (
    LaunchView,
    LinkState,
    PendingLink,
    PmsLink,
    SyncAction,
    SyncOutcome,
)
from rewardshub.integrations.pending import PENDING_LIFETIME, confirmation_waiting_message
from rewardshub.integrations.sync_log import record_sync
from rewardshub.integrations.systems import system_name
from rewardshub.integrations.tagging import Mapped, load_mapping
from rewardshub.patients.models import Profile, ProfileKind
from rewardshub.practices.models import Practice


def chart_linked_elsewhere(link: PmsLink) -> ActionError:
    return ActionError(
        "chart_linked_elsewhere",
        f"This chart is already synced with another hub patient (username "
        f"{link.profile.username}). Launch Patient Rewards Hub opens that patient; if they "
        "need a new card, use Replace Card there. A chart can be synced with only one patient.",
        status=409,
    )


def profile_linked_elsewhere(other: PmsLink) -> ActionError:
    return ActionError(
        "profile_linked_elsewhere",
        f"This hub patient is already synced with {system_name(other.system)} chart "
        f"{other.chart_id}. Check that you opened the right chart: a hub patient can be "
        "synced with only one chart.",
        status=409,
    )


def is_bare_chart_only(profile: Profile) -> bool:
    # A chart-only profile an earlier batch sync made for the chart: no card ever, no points.
    # Set card may give it its card number, or hand the chart to the patient
    # the number names, without losing anything.
    return (
        profile.kind == ProfileKind.CHART_ONLY
        and profile.points_balance == 0
        and not Card.objects.filter(profile=profile).exists()
    )


def _promote_chart_only(caller: Caller, chart_only: Profile, number: str) -> Profile:
    """A batch-made chart-only profile gets its first card's number as username (it had
    only a generated one)."""
    old = chart_only.username
    chart_only.username = number
    chart_only.kind = ProfileKind.MEMBER
    try:
        with transaction.atomic():
            chart_only.save(update_fields=["username", "kind", "updated_at"])
    except IntegrityError:
        raise ActionError(
            "username_taken",
            "A patient with that number already exists. Search for the number to open them.",
            status=409,
        ) from None
    record_event(
        practice=caller.practice,
        actor=caller.actor,
        action="profile.promote",
        profile=chart_only,
        detail={"old_username": old, "username": number},
    )
    return chart_only


def _check_conflicts(
    caller: Caller, chart_id: str, link: PmsLink | None, match: NumberMatch, number: str
) -> None:
    """Raise the 409 that applies, chart first: what is already synced with what."""
    target = match.profile
    if link is not None and target is not None and link.profile_id == target.pk:
        return  # already linked
    if link is not None and not is_bare_chart_only(link.profile):
        if target is not None and target.username != number and match.card is not None:
            # The number is another patient's active card: the card is the mistake.
            raise in_use_error(match.card)
        raise chart_linked_elsewhere(link)
    if target is not None:
        other = (
            PmsLink.objects.select_related("profile")
            .filter(practice=caller.practice, system=caller.system, profile=target)
            .exclude(chart_id=chart_id)
            .first()
        )
        if other is not None:
            raise profile_linked_elsewhere(other)


# Raised when a concurrent sync of the same chart or number won the race: the
# loser's transaction is rolled back and it runs once more, now seeing the
# winner's rows (usually answering already_linked).
_RACE_CODES = {"sync_conflict", "username_taken"}


def set_card(
    *,
    caller: Caller,
    chart_id: str,
    card_raw: str,
    data: dict[str, Any],
    pms_status: str | None = None,
    office: str | None = None,
) -> SyncResult:
    number = parse_or_raise(card_raw)
    mapped = load_mapping(caller.practice, caller.system).apply_to(pms_status, office)
    sent = {**data, "pms_status": pms_status or "", "office": office or ""}
    for attempt in (1, 2):
        try:
            return _set_card_once(caller, chart_id, number, sent, mapped)
        except ActionError as exc:
            if exc.code not in _RACE_CODES or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _set_card_once(
    caller: Caller, chart_id: str, number: str, sent: dict[str, Any], mapped: Mapped
) -> SyncResult:
    """`sent` is the call's demographics plus its pms_status and office (kept for a hold)."""
    practice = caller.practice
    data = {name: value for name, value in sent.items() if name not in ("pms_status", "office")}
    with transaction.atomic():
        link = chart_link(caller, chart_id, for_update=True)
        # Whether a confirmation of the chart waits is read with the number: set card
        # replaces one (close_confirmations), and most charts have none to replace.
        # So is whether the practice has a lead the chart could be (most have none).
        match = match_number(practice, number, _LOOKUP, caller.system, chart_id)
        waiting = bool(match.also.get("waiting"))
        target = match.profile
        if target is None:
            if match.card is None:
                raise unknown_number_error(number)
            if match.card.state == CardState.RETIRED:
                raise retired_error(match.card)
            # Otherwise an available card of the practice: a new patient.
        _check_conflicts(caller, chart_id, link, match, number)

        if target is not None and (link is None or link.profile_id != target.pk):
            # The chart would go to a patient who already exists: the same person?
            differing = differences(chart_identity(data), profile_identity(target))
            if differing:
                return hold_link(caller, chart_id, target, sent, differing, waiting=waiting)
        before = change_words.snapshot(target) if target is not None else {}
        status = pms_status_seen(link.pms_status if link is not None else "", sent["pms_status"])

        changed: list[str] = []
        audits: list[AuditEvent] = []
        if link is None and target is None:
            outcome = SyncOutcome.CREATED
            profile = create_linked_profile(
                caller,
                chart_id,
                data,
                mapped,
                username=number,
                kind=ProfileKind.MEMBER,
                defer_audit=audits,
                pms_status=status,
            )
        elif link is None:
            assert target is not None
            outcome, profile = SyncOutcome.LINKED, target
            link_chart(caller, chart_id, profile, status)
            changed = sync_fields(caller, profile, data, mapped)
        elif target is not None and link.profile_id == target.pk:
            outcome, profile = SyncOutcome.ALREADY_LINKED, target
            changed = sync_fields(caller, profile, data, mapped)
        elif target is None:
            # The chart's batch-made chart-only profile becomes the new patient of this card.
            outcome = SyncOutcome.LINKED
            profile = _promote_chart_only(caller, link.profile, number)
            changed = ["username", *sync_fields(caller, profile, data, mapped)]
        else:
            # The chart's batch-made chart-only profile gives way to the patient the number names.
            outcome, profile = SyncOutcome.LINKED, target
            link.profile = target
            link.save(update_fields=["profile"])
            changed = sync_fields(caller, profile, data, mapped)

        now = timezone.now()
        if link is not None:
            # A new link was written with the time and the status already.
            PmsLink.objects.filter(
                practice=practice, system=caller.system, chart_id=chart_id
            ).update(last_synced_at=now, **status_values(status, now))
        if waiting:
            close_confirmations(caller, chart_id)
        words = change_words.describe(before, change_words.snapshot(profile)) if before else []
        view = LaunchView.SYNCED
        if match.also.get(OPEN_LEADS) and lead_hooks.propose(
            practice, [profile.public_id], caller.actor
        ):
            # The window asks staff whether the synced patient is the lead it matches.
            view = LaunchView.LEAD_MATCH
        token = caller_token(caller, chart_id, profile, view, notice=words)
        message = set_card_message(outcome, profile.username, changed, mapped.notes)
        record_sync(caller, chart_id, SyncAction.SET_CARD, outcome, profile, message, audits=audits)
        if status is not None and outcome != SyncOutcome.CREATED:
            # A patient this call created has no card yet (the card stays
            # available): a milestone waits for Connect Card, which pays it.
            pay_moved(practice, [(profile, status, now)])
        return SyncResult(
            outcome=outcome, profile=profile, changed=changed, token=token, changes=words
        )


def chart_identity(data: dict[str, Any]) -> Identity:
    """Who the chart says the patient is (a value it did not send is missing)."""
    birth = data.get("birth_date")
    if isinstance(birth, str):
        birth = dt.date.fromisoformat(birth)
    return Identity(
        first_name=data.get("first_name") or "",
        last_name=data.get("last_name") or "",
        preferred_name=data.get("preferred_name") or "",
        birth_date=birth,
    )


def profile_identity(profile: Profile) -> Identity:
    return Identity(
        first_name=profile.first_name,
        last_name=profile.last_name,
        preferred_name=profile.preferred_name,
        birth_date=profile.birth_date,
    )


def waiting_confirmations(caller: Caller, chart_id: str) -> QuerySet[PendingLink]:
    """The chart's confirmations still waiting (expired or not yet: set card replaces both)."""
    return _waiting(caller.practice.pk, caller.system, chart_id)


def _waiting(practice_id: int, system: str, chart_id: str) -> QuerySet[PendingLink]:
    return PendingLink.objects.filter(
        practice_id=practice_id, system=system, chart_id=chart_id, state=LinkState.PENDING
    )


def _also(practice_id: int, system: str, chart_id: str) -> dict[str, BaseExpression]:
    return {
        "waiting": Exists(_waiting(practice_id, system, chart_id)),
        OPEN_LEADS: lead_hooks.open_leads(Practice(pk=practice_id)),
    }


# The number, read with whether a confirmation of the chart waits (set card
# replaces one, and most charts have none) and whether the practice has a lead
# the chart could be (most have none): one statement, compiled once.
_LOOKUP = NumberLookup(_also, ("waiting", OPEN_LEADS), (str, str))


def close_confirmations(caller: Caller, chart_id: str) -> None:
    """A newer set card of the chart replaces any confirmation still waiting for it."""
    waiting_confirmations(caller, chart_id).update(
        state=LinkState.EXPIRED, decided_at=timezone.now(), data={}
    )


def hold_link(
    caller: Caller,
    chart_id: str,
    profile: Profile,
    sent: dict[str, Any],
    differing: list[str],
    *,
    waiting: bool,
) -> SyncResult:
    """Link nothing: keep the chart's demographics for staff to confirm in the hub.
    `waiting`: a confirmation of the chart was waiting when the call read it."""
    if waiting:
        close_confirmations(caller, chart_id)
    pending = PendingLink.objects.create(
        practice=caller.practice,
        key=caller.key,
        system=caller.system,
        chart_id=chart_id,
        profile=profile,
        data={
            name: value.isoformat() if isinstance(value, dt.date) else value
            for name, value in sent.items()
        },
        differences=differing,
        pms_user=caller.pms_user[:PMS_USER_LENGTH],
        expires_at=timezone.now() + PENDING_LIFETIME,
    )
    token = caller_token(caller, chart_id, profile, LaunchView.CONFIRM, confirmation=pending)
    message = confirmation_waiting_message(pending)
    record_sync(
        caller, chart_id, SyncAction.SET_CARD, SyncOutcome.NEEDS_CONFIRMATION, profile, message
    )
    return SyncResult(
        outcome=SyncOutcome.NEEDS_CONFIRMATION,
        profile=profile,
        token=token,
        differences=differing,
        message=message,
    )
