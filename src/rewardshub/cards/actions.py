"""Connecting and replacing cards: each one transaction with its audit row."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.cards.models import SET_CARD_RETIRED, Card, CardState
from rewardshub.cards.queries import (
    active_card,
    card_in_practice,
    in_use_error,
    parse_or_raise,
    retired_error,
    unknown_number_error,
    username_taken_error,
)
from rewardshub.cards.signals import card_activated
from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice


def claim_card(practice: Practice, number: str, profile: Profile | None) -> Card:
    """Lock the card `number` and check that it may become `profile`'s active card.

    Must run inside a transaction. Raises ActionError with the reason otherwise.
    """
    card = card_in_practice(practice, number, for_update=True)
    if card is None:
        raise unknown_number_error(number)
    if card.state == CardState.RETIRED:
        raise retired_error(card)
    if card.state == CardState.ACTIVE and (profile is None or card.profile_id != profile.pk):
        raise in_use_error(card)
    if profile is not None:
        owner = (
            Profile.objects.filter(practice=practice, username=number)
            .exclude(pk=profile.pk)
            .first()
        )
        if owner is not None:
            raise username_taken_error(owner)
    return card


def activate(card: Card, profile: Profile) -> None:
    card.state = CardState.ACTIVE
    card.profile = profile
    card.activated_at = timezone.now()
    card.save(update_fields=["state", "profile", "activated_at"])
    card_activated.send(sender=Card, card=card, profile=profile)


def _locked_profile(profile: Profile) -> Profile:
    # Serialises card changes of one patient: two staff swiping at once cannot
    # both connect a card.
    return Profile.objects.select_for_update().get(pk=profile.pk, practice_id=profile.practice_id)


def set_card_not_confirmed_error(set_card: Card, number: str) -> ActionError:
    return ActionError(
        "set_card_not_confirmed",
        f"Card …{set_card.number[-4:]} was set in Orthotrac as this patient's username. "
        f"Swipe card …{set_card.number[-4:]}, or confirm that card …{number[-4:]} takes its "
        "place.",
        status=409,
    )


def _set_card_to_retire(profile: Profile, number: str, confirmed_last4: str) -> Card | None:
    """The card a PMS set as the username that connecting `number` instead retires.

    Raises ActionError unless staff confirmed it by its last 4 digits.
    """
    set_card = (
        Card.objects.select_for_update()
        .filter(practice_id=profile.practice_id, number=profile.username, state=CardState.AVAILABLE)
        .first()
    )
    if set_card is None or set_card.number == number:
        return None
    if confirmed_last4 != set_card.number[-4:]:
        raise set_card_not_confirmed_error(set_card, number)
    return set_card


def _retire_set_card(set_card: Card, profile: Profile, card: Card) -> None:
    # The number stays the username (the PMS link is by it); the card itself
    # is retired with its printed temporary password.
    set_card.state = CardState.RETIRED
    set_card.profile = profile
    set_card.retired_at = timezone.now()
    set_card.retire_reason = SET_CARD_RETIRED
    set_card.temp_password_hash = ""
    set_card.replaced_by = card
    set_card.save(
        update_fields=[
            "state", "profile", "retired_at", "retire_reason", "temp_password_hash", "replaced_by"
        ]
    )


def connect_card(
    *, practice: Practice, profile: Profile, raw: str, actor: Actor, retire_set_card: str = ""
) -> Card:
    """Make the card read from `raw` the active card of a profile that has none.

    If a PMS set another, never connected card as the username, that card is
    retired, but only when `retire_set_card` confirms its last 4 digits.
    """
    number = parse_or_raise(raw)
    with transaction.atomic():
        profile = _locked_profile(profile)
        current = active_card(profile)
        if current is not None:
            if current.number == number:
                return current
            raise ActionError(
                "card_already_connected",
                "This patient already has a card. Use Replace Card to give them a new one.",
                status=409,
            )
        card = claim_card(practice, number, profile)
        set_card = _set_card_to_retire(profile, number, retire_set_card)
        activate(card, profile)
        detail = {"card_last4": number[-4:]}
        if set_card is not None:
            _retire_set_card(set_card, profile, card)
            detail["retired_set_card_last4"] = set_card.number[-4:]
        record_event(
            practice=practice, actor=actor, action="card.connect", profile=profile, detail=detail
        )
        return card


def replace_card(*, practice: Practice, profile: Profile, raw: str, actor: Actor) -> Card:
    """Retire the profile's active card for good and make the new card active."""
    number = parse_or_raise(raw)
    with transaction.atomic():
        profile = _locked_profile(profile)
        old = active_card(profile)
        if old is None:
            raise ActionError(
                "no_card_to_replace",
                "This patient has no card to replace. Use Connect Card instead.",
                status=409,
            )
        if old.number == number:
            raise ActionError(
                "same_card",
                "That is the card this patient already has. Swipe or type the new card.",
                status=409,
            )
        card = claim_card(practice, number, profile)
        old.state = CardState.RETIRED
        old.retired_at = timezone.now()
        old.retire_reason = "Replaced"
        old.save(update_fields=["state", "retired_at", "retire_reason"])
        activate(card, profile)
        old.replaced_by = card
        old.save(update_fields=["replaced_by"])
        record_event(
            practice=practice,
            actor=actor,
            action="card.replace",
            profile=profile,
            detail={"old_card_last4": old.number[-4:], "card_last4": number[-4:]},
        )
        return card
