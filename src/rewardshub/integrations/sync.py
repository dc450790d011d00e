"""What a PMS asks of the hub about one chart: set card, update, launch, status.

Each call is one action: one transaction, the integration as `actor`, an
audit row, and a SyncEvent for the Sync log. Failures change nothing; the API
records them with `record_failure` after the transaction rolled back.

Set card resolves the number the PMS sent (docs/integration-api.md):
1. a profile's username (valid for life, even after that card was retired);
2. an active card: its profile;
3. an available card of this practice: a new profile whose username is that
   number. The card stays available: staff connect it on the profile
   ("Connect Card"), as the seed's new-patient workflow does;
4. otherwise the card form's errors: retired card (409), unknown number or
   wrong check digit (422).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind, AuditEvent, Outcome
from rewardshub.cards.models import Card, CardState
from rewardshub.cards.queries import (
    NumberMatch,
    in_use_error,
    match_number,
    parse_or_raise,
    retired_error,
    unknown_number_error,
)
from rewardshub.errors import ActionError
from rewardshub.integrations.launch import create_token
from rewardshub.integrations.models import (
    LaunchView,
    PmsLink,
    SyncAction,
    SyncEvent,
    SyncOutcome,
)
from rewardshub.integrations.systems import not_synced_message, system_name
from rewardshub.integrations.tagging import Mapped, apply_tags, load_mapping
from rewardshub.patients.actions import create_profile, update_profile
from rewardshub.patients.models import Profile, ProfileKind
from rewardshub.practices.models import IntegrationKey, Practice


@dataclass(frozen=True)
class Caller:
    """Who calls: an integration key (practice + PMS system) and the PMS user, if sent."""

    key: IntegrationKey
    pms_user: str = ""
    source_ip: str | None = None

    @property
    def practice(self) -> Practice:
        return self.key.practice

    @property
    def system(self) -> str:
        return self.key.system

    @property
    def actor(self) -> Actor:
        who = self.pms_user or f"key “{self.key.name}”"
        return Actor(
            kind=ActorKind.INTEGRATION,
            label=f"{system_name(self.system)} ({who})",
            source_ip=self.source_ip,
        )


@dataclass
class SyncResult:
    outcome: str
    profile: Profile
    changed: list[str] = field(default_factory=list)
    token: str | None = None


def not_synced(system: str) -> ActionError:
    return ActionError("not_synced", not_synced_message(system), status=404)


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


def names_required() -> ActionError:
    return ActionError(
        "validation_error",
        "first_name and last_name are required to create a new hub patient: "
        "send the chart's first and last name.",
    )


def chart_link(caller: Caller, chart_id: str, *, for_update: bool = False) -> PmsLink | None:
    links = PmsLink.objects.select_related("profile").filter(
        practice=caller.practice, system=caller.system, chart_id=chart_id
    )
    if for_update:
        links = links.select_for_update(of=("self",))
    return links.first()


def _is_bare_lead(profile: Profile) -> bool:
    # A lead an earlier batch sync made for the chart: no card ever, no points.
    # Set card may give it its card number, or hand the chart to the patient
    # the number names, without losing anything.
    return (
        profile.kind == ProfileKind.LEAD
        and profile.points_balance == 0
        and not Card.objects.filter(profile=profile).exists()
    )


def sync_rows(
    caller: Caller,
    chart_id: str,
    action: str,
    outcome: str,
    profile: Profile | None,
    message: str = "",
    error: str = "",
) -> tuple[SyncEvent, AuditEvent]:
    """The Sync log row and the audit row of one call, unsaved (batch saves them in bulk)."""
    event = SyncEvent(
        practice=caller.practice,
        key=caller.key,
        system=caller.system,
        chart_id=chart_id[:64],
        profile=profile,
        action=action,
        outcome=outcome,
        error=error,
        message=message,
        pms_user=caller.pms_user[:100],
    )
    actor = caller.actor
    audit = AuditEvent(
        practice=caller.practice,
        actor_kind=actor.kind,
        actor_label=actor.label[:200],
        profile=profile,
        action=f"pms.{action}",
        outcome=Outcome.FAILED if error else Outcome.OK,
        detail={
            "system": caller.system,
            "chart_id": chart_id[:64],
            "outcome": outcome,
            "error": error,
        },
        source_ip=actor.source_ip,
    )
    return event, audit


def record_sync(
    caller: Caller,
    chart_id: str,
    action: str,
    outcome: str,
    profile: Profile | None,
    message: str = "",
    error: str = "",
) -> None:
    event, audit = sync_rows(caller, chart_id, action, outcome, profile, message, error)
    event.save()
    audit.save()


def record_failure(caller: Caller, chart_id: str, action: str, error: ActionError) -> None:
    """Log a refused call (its own transaction: the failed one was rolled back)."""
    with transaction.atomic():
        record_sync(caller, chart_id, action, SyncOutcome.ERROR, None, error.message, error.code)


def record_replay(caller: Caller, chart_id: str, action: str) -> None:
    """Log a repeated request answered from its Idempotency-Key record."""
    with transaction.atomic():
        record_sync(
            caller,
            chart_id,
            action,
            SyncOutcome.REPLAYED,
            None,
            "Repeated request (same Idempotency-Key): answered as the first time, nothing changed.",
        )


def sync_fields(
    caller: Caller, profile: Profile, data: dict[str, Any], mapped: Mapped
) -> list[str]:
    """Apply demographics and mapped tags to a linked profile; names of what changed."""
    if mapped.location is not None:
        data = {**data, "location": mapped.location}
    changed = update_profile(
        practice=caller.practice, profile=profile, data=data, actor=caller.actor
    )
    if apply_tags(practice=caller.practice, profile=profile, tags=mapped.tags, actor=caller.actor):
        changed.append("tags")
    return changed


def create_linked_profile(
    caller: Caller,
    chart_id: str,
    data: dict[str, Any],
    mapped: Mapped,
    username: str | None,
    kind: str,
) -> Profile:
    if not data.get("first_name") or not data.get("last_name"):
        raise names_required()
    if mapped.location is not None:
        data = {**data, "location": mapped.location}
    profile = create_profile(
        practice=caller.practice,
        data=data,
        actor=caller.actor,
        username=username,
        kind=kind,
        tags=mapped.tags,
    )
    _link(caller, chart_id, profile)
    return profile


def _link(caller: Caller, chart_id: str, profile: Profile) -> PmsLink:
    try:
        with transaction.atomic():
            return PmsLink.objects.create(
                practice=caller.practice,
                system=caller.system,
                chart_id=chart_id,
                profile=profile,
                last_synced_at=timezone.now(),
            )
    except IntegrityError:
        # Only a concurrent sync of the same chart or patient gets here; the
        # checks before saw neither link.
        raise ActionError(
            "sync_conflict",
            "Another sync of this chart or patient ran at the same moment. Try again.",
            status=409,
        ) from None


def _promote_lead(caller: Caller, lead: Profile, number: str) -> Profile:
    """A batch-made lead gets its first card's number as username (it had only a generated one)."""
    old = lead.username
    lead.username = number
    lead.kind = ProfileKind.MEMBER
    try:
        with transaction.atomic():
            lead.save(update_fields=["username", "kind", "updated_at"])
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
        profile=lead,
        detail={"old_username": old, "username": number},
    )
    return lead


def _check_conflicts(
    caller: Caller, chart_id: str, link: PmsLink | None, match: NumberMatch, number: str
) -> None:
    """Raise the 409 that applies, chart first: what is already synced with what."""
    target = match.profile
    if link is not None and target is not None and link.profile_id == target.pk:
        return  # already linked
    if link is not None and not _is_bare_lead(link.profile):
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
    for attempt in (1, 2):
        try:
            return _set_card_once(caller, chart_id, number, data, mapped)
        except ActionError as exc:
            if exc.code not in _RACE_CODES or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _set_card_once(
    caller: Caller, chart_id: str, number: str, data: dict[str, Any], mapped: Mapped
) -> SyncResult:
    practice = caller.practice
    with transaction.atomic():
        link = chart_link(caller, chart_id, for_update=True)
        match = match_number(practice, number)
        target = match.profile
        if target is None:
            if match.card is None:
                raise unknown_number_error(number)
            if match.card.state == CardState.RETIRED:
                raise retired_error(match.card)
            # Otherwise an available card of the practice: a new patient.
        _check_conflicts(caller, chart_id, link, match, number)

        changed: list[str] = []
        if link is None and target is None:
            outcome = SyncOutcome.CREATED
            profile = create_linked_profile(
                caller, chart_id, data, mapped, username=number, kind=ProfileKind.MEMBER
            )
        elif link is None:
            assert target is not None
            outcome, profile = SyncOutcome.LINKED, target
            _link(caller, chart_id, profile)
            changed = sync_fields(caller, profile, data, mapped)
        elif target is not None and link.profile_id == target.pk:
            outcome, profile = SyncOutcome.ALREADY_LINKED, target
            changed = sync_fields(caller, profile, data, mapped)
        elif target is None:
            # The chart's batch-made lead becomes the new patient of this card.
            outcome = SyncOutcome.LINKED
            profile = _promote_lead(caller, link.profile, number)
            changed = ["username", *sync_fields(caller, profile, data, mapped)]
        else:
            # The chart's batch-made lead gives way to the patient the number names.
            outcome, profile = SyncOutcome.LINKED, target
            link.profile = target
            link.save(update_fields=["profile"])
            changed = sync_fields(caller, profile, data, mapped)

        PmsLink.objects.filter(practice=practice, system=caller.system, chart_id=chart_id).update(
            last_synced_at=timezone.now()
        )
        token = create_token(
            practice=practice,
            key=caller.key,
            system=caller.system,
            chart_id=chart_id,
            profile=profile,
            view=LaunchView.SYNCED,
            pms_user=caller.pms_user,
        )
        message = _set_card_message(outcome, profile, changed, mapped)
        record_sync(caller, chart_id, SyncAction.SET_CARD, outcome, profile, message)
        return SyncResult(outcome=outcome, profile=profile, changed=changed, token=token)


def _set_card_message(outcome: str, profile: Profile, changed: list[str], mapped: Mapped) -> str:
    who = f"hub patient {profile.username}"
    words = {
        SyncOutcome.CREATED: f"Created {who} and synced the chart with it.",
        SyncOutcome.LINKED: f"Synced the chart with {who}.",
        SyncOutcome.ALREADY_LINKED: f"The chart was already synced with {who}.",
    }
    parts = [words[outcome]]
    if changed:
        parts.append("Changed: " + ", ".join(changed) + ".")
    return " ".join(parts + mapped.notes)


def update(
    *,
    caller: Caller,
    chart_id: str,
    data: dict[str, Any],
    pms_status: str | None = None,
    office: str | None = None,
) -> SyncResult:
    mapped = load_mapping(caller.practice, caller.system).apply_to(pms_status, office)
    with transaction.atomic():
        link = chart_link(caller, chart_id, for_update=True)
        if link is None:
            raise not_synced(caller.system)
        changed = sync_fields(caller, link.profile, data, mapped)
        link.last_synced_at = timezone.now()
        link.save(update_fields=["last_synced_at"])
        outcome = SyncOutcome.UPDATED if changed else SyncOutcome.UNCHANGED
        note = "Changed: " + ", ".join(changed) + "." if changed else "Nothing changed."
        record_sync(caller, chart_id, SyncAction.UPDATE, outcome, link.profile, note)
        return SyncResult(outcome=outcome, profile=link.profile, changed=changed)


def launch(*, caller: Caller, chart_id: str, view: str) -> SyncResult:
    with transaction.atomic():
        link = chart_link(caller, chart_id)
        if link is None:
            raise not_synced(caller.system)
        token = create_token(
            practice=caller.practice,
            key=caller.key,
            system=caller.system,
            chart_id=chart_id,
            profile=link.profile,
            view=view,
            pms_user=caller.pms_user,
        )
        record_sync(
            caller,
            chart_id,
            SyncAction.LAUNCH,
            SyncOutcome.LAUNCHED,
            link.profile,
            f"Opened the {LaunchView(view).label.lower()} of hub patient {link.profile.username}.",
        )
        return SyncResult(outcome=SyncOutcome.LAUNCHED, profile=link.profile, token=token)


@dataclass(frozen=True)
class Status:
    link: PmsLink | None
    card_state: str = "none"
    tags: list[str] = field(default_factory=list)


def status(*, caller: Caller, chart_id: str) -> Status:
    """The chart's sync state. A read of patient data, so it is logged like the others."""
    with transaction.atomic():
        link = chart_link(caller, chart_id)
        if link is None:
            record_sync(
                caller, chart_id, SyncAction.STATUS, SyncOutcome.REPORTED, None, "Not synced."
            )
            return Status(link=None)
        profile = link.profile
        has_card = Card.objects.filter(profile=profile, state=CardState.ACTIVE).exists()
        tags = list(
            profile.tags.order_by("group__position", "position", "name").values_list(
                "name", flat=True
            )
        )
        record_sync(
            caller,
            chart_id,
            SyncAction.STATUS,
            SyncOutcome.REPORTED,
            profile,
            f"Synced with hub patient {profile.username}.",
        )
        return Status(link=link, card_state="active" if has_card else "none", tags=tags)
