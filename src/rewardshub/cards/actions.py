"""Connecting and replacing cards: each one transaction with its audit row."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.cards.models import Card, CardState
from rewardshub.cards.queries import (
    active_card,
    card_in_practice,
    in_use_error,
    parse_or_raise,
    retired_error,
    unknown_number_error,
    username_taken_error,
)
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


def _locked_profile(profile: Profile) -> Profile:
    # Serialises card changes of one patient: two staff swiping at once cannot
    # both connect a card.
    return Profile.objects.select_for_update().get(pk=profile.pk, practice_id=profile.practice_id)


def connect_card(*, practice: Practice, profile: Profile, raw: str, actor: Actor) -> Card:
    """Make the card read from `raw` the active card of a profile that has none."""
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
        activate(card, profile)
        record_event(
            practice=practice,
            actor=actor,
            action="card.connect",
            profile=profile,
            detail={"card_last4": number[-4:]},
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
