"""Finding cards and the profiles behind them, always inside one practice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet, Subquery
from django.db.models.expressions import BaseExpression

from rewardshub.cards.models import MERGE_RETIRED, Card, CardState
from rewardshub.cards.numbers import CardInputError, luhn_valid, parse_card_input
from rewardshub.errors import ActionError
from rewardshub.local_time import format_when
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice
from rewardshub.statement import Statement


def input_error(exc: CardInputError) -> ActionError:
    return ActionError(exc.code, exc.message, status=422)


def parse_or_raise(raw: str) -> str:
    try:
        return parse_card_input(raw).number
    except CardInputError as exc:
        raise input_error(exc) from None


def unknown_number_error(number: str) -> ActionError:
    # A number nobody in this practice has: a typo is likelier than a foreign
    # card, so the check digit speaks first. Cards of other practices get the
    # same answer as numbers that exist nowhere: never confirm another
    # practice's data.
    if not luhn_valid(number):
        return ActionError(
            "card_check_digit",
            "That number's check digit is wrong: check the number and type it again.",
        )
    return ActionError(
        "card_unknown",
        "No card with that number belongs to this practice. "
        "Check the number, or use a card from one of this practice's card batches.",
    )


def _when(card: Card) -> str:
    return format_when(card.retired_at, "date") if card.retired_at else "an earlier date"


def retired_error(card: Card) -> ActionError:
    if card.retire_reason == MERGE_RETIRED:
        message = (
            f"This card was retired on {_when(card)}, when its profile was merged into "
            "another profile of the same patient, and no longer works. Use the patient's "
            "active card."
        )
    elif card.replaced_by_id is not None:
        message = (
            f"This card was replaced on {_when(card)} and no longer works. "
            "Use the patient's new card."
        )
    else:
        message = f"This card was retired on {_when(card)} and no longer works. Use another card."
    return ActionError("card_retired", message, status=409)


def in_use_error(card: Card) -> ActionError:
    assert card.profile is not None
    return ActionError(
        "card_in_use",
        f"This card is already connected to {card.profile.full_name}. "
        "Use another card, or open that patient's profile.",
        status=409,
    )


def username_taken_error(owner: Profile) -> ActionError:
    # A PMS may create a patient named by a card before the card is connected
    # (the seed's new-patient flow): that card can only ever be that patient's.
    return ActionError(
        "card_in_use",
        f"This card's number is the username of {owner.full_name}, so it can only be "
        "connected to that patient. Use another card, or open that patient's profile.",
        status=409,
    )


def card_in_practice(practice: Practice, number: str, *, for_update: bool = False) -> Card | None:
    cards = Card.objects.filter(practice=practice, number=number).select_related("profile")
    if for_update:
        cards = cards.select_for_update(of=("self",))
    return cards.first()


def username_numbers(practice: Practice) -> QuerySet[Profile, Any]:
    """The practice's usernames, for `number__in`.

    A card whose number is a username (a PMS set it before staff connected it)
    can only ever be that patient's: it is never available to anyone else.
    """
    return Profile.objects.filter(practice=practice).values("username")


def available_cards(practice: Practice) -> QuerySet[Card]:
    """The cards staff may give to anyone: available and nobody's username."""
    return Card.objects.filter(practice=practice, state=CardState.AVAILABLE).exclude(
        number__in=username_numbers(practice)
    )


@dataclass(frozen=True)
class SetCard:
    """A card a PMS set as a patient's username that staff have not connected yet."""

    card: Card
    profile: Profile


def set_not_connected(practice: Practice) -> list[SetCard]:
    cards = Card.objects.filter(
        practice=practice, state=CardState.AVAILABLE, number__in=username_numbers(practice)
    ).select_related("batch")
    owners = {
        p.username: p
        for p in Profile.objects.filter(practice=practice, username__in=[c.number for c in cards])
    }
    return [SetCard(card=c, profile=owners[c.number]) for c in cards if c.number in owners]


def set_card_of(profile: Profile) -> Card | None:
    """The issued card a PMS set as `profile`'s username, while nobody has connected it."""
    return Card.objects.filter(
        practice_id=profile.practice_id, number=profile.username, state=CardState.AVAILABLE
    ).first()


def active_card(profile: Profile) -> Card | None:
    return Card.objects.filter(profile=profile, state=CardState.ACTIVE).first()


@dataclass(frozen=True)
class NumberMatch:
    """What a 16-digit number means in a practice: a profile, and the card if it is one."""

    profile: Profile | None
    card: Card | None
    # The values of the caller's `also` expressions, read with the number.
    also: dict[str, Any] = field(default_factory=dict)


class NumberLookup:
    """The statements that resolve a number, compiled once (on every set card and
    search; BENCHMARKS.md, "Set card's own reads"): the card's, with its profile
    and whose username the number is, and the username's alone.

    `also(practice_id, *args)` gives expressions a caller wants read in the same
    statement (no outer reference: they are read on the card's or the profile's
    row), `names` their names, `kinds` the types of its extra arguments
    (statement.Statement). It runs at the first compile, when the apps are ready.
    """

    def __init__(
        self,
        also: Callable[..., dict[str, BaseExpression]] | None = None,
        names: tuple[str, ...] = (),
        kinds: tuple[type, ...] = (),
    ) -> None:
        self.names = names

        def extra(practice_id: int, *args: Any) -> dict[str, BaseExpression]:
            return also(practice_id, *args) if also else {}

        def card(practice_id: int, number: str, *args: Any) -> QuerySet[Card]:
            owner = Profile.objects.filter(practice_id=practice_id, username=number)
            return (
                Card.objects.filter(practice_id=practice_id, number=number)
                .select_related("profile")
                .annotate(username_of=Subquery(owner.values("pk")[:1]))
                .annotate(**extra(practice_id, *args))
            )

        def owner(practice_id: int, number: str, *args: Any) -> QuerySet[Profile]:
            return Profile.objects.filter(practice_id=practice_id, username=number).annotate(
                **extra(practice_id, *args)
            )

        self.card = Statement(card, int, str, *kinds, kind="models")
        self.owner = Statement(owner, int, str, *kinds, kind="models")


PLAIN = NumberLookup()


def match_number(
    practice: Practice, number: str, lookup: NumberLookup = PLAIN, *args: Any
) -> NumberMatch:
    """Resolve a number to a profile: its username first (stable for life), then an active
    card, then the card alone (available or retired: no profile). A merged profile's
    username (or card) resolves to the profile it was merged into. `lookup` and `args`:
    what else to read in the same statement (NumberLookup).
    """
    match = _match_number(practice, number, lookup, args)
    found = match.profile
    if found is not None and found.merged_into_id is not None:
        survivor = Profile.objects.get(practice=practice, pk=found.merged_into_id)
        return NumberMatch(profile=survivor, card=match.card, also=match.also)
    return match


def _match_number(
    practice: Practice, number: str, lookup: NumberLookup, args: tuple[Any, ...]
) -> NumberMatch:
    """`match_number` before following a merge.

    One statement when the number is a card's (the card, its profile and whose username
    the number is), two when it is only a username or the username of another profile
    than the card's.
    """
    card = lookup.card.first(practice.pk, number, *args)
    if card is None:
        found = lookup.owner.first(practice.pk, number, *args)
        return NumberMatch(profile=found, card=None, also=_values(found, lookup.names))
    values = _values(card, lookup.names)
    owner_pk = card.username_of
    if owner_pk is not None:
        if card.profile is not None and card.profile.pk == owner_pk:
            return NumberMatch(profile=card.profile, card=card, also=values)
        owner_row = Profile.objects.get(practice=practice, pk=owner_pk)
        return NumberMatch(profile=owner_row, card=card, also=values)
    if card.state == CardState.ACTIVE:
        return NumberMatch(profile=card.profile, card=card, also=values)
    return NumberMatch(profile=None, card=card, also=values)


def _values(row: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names} if row is not None else {}
