"""Connecting and replacing cards through the actions every screen and the API share."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.cards.actions import connect_card, replace_card
from rewardshub.cards.models import Card, CardState
from rewardshub.cards.numbers import is_reserved_username
from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice


def _snapshot() -> tuple[list[tuple[str, str, int | None]], int, int]:
    cards = list(Card.objects.order_by("number").values_list("number", "state", "profile_id"))
    return cards, Profile.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def numbers(acworth: Practice, issue_cards: Callable[..., list[str]]) -> list[str]:
    return issue_cards(acworth, 4)


def test_it_makes_the_first_card_number_the_username(
    acworth: Practice, numbers: list[str], make_profile: Callable[..., Profile]
) -> None:
    profile = make_profile(acworth, card=numbers[0])
    assert profile.username == numbers[0]
    assert Card.objects.get(number=numbers[0]).state == CardState.ACTIVE


def test_it_gives_a_cardless_profile_a_reserved_username(
    acworth: Practice, make_profile: Callable[..., Profile]
) -> None:
    profile = make_profile(acworth)
    assert is_reserved_username(profile.username) and len(profile.username) == 16


def test_it_connects_a_card_to_a_profile_without_one(
    acworth: Practice, numbers: list[str], make_profile: Callable[..., Profile]
) -> None:
    profile = make_profile(acworth)
    card = connect_card(practice=acworth, profile=profile, raw=f";{numbers[1]}=9912?", actor=SYSTEM)
    assert (card.state, card.profile_id) == (CardState.ACTIVE, profile.pk)
    assert AuditEvent.objects.filter(action="card.connect", profile=profile).count() == 1


def test_it_replaces_a_card_and_retires_the_old_one_for_good(
    acworth: Practice, numbers: list[str], make_profile: Callable[..., Profile]
) -> None:
    profile = make_profile(acworth, card=numbers[0], tags=("*Acworth",))
    replace_card(practice=acworth, profile=profile, raw=numbers[1], actor=SYSTEM)
    old = Card.objects.get(number=numbers[0])
    assert old.state == CardState.RETIRED and old.replaced_by.number == numbers[1]
    profile.refresh_from_db()
    assert profile.username == numbers[0]
    assert [t.name for t in profile.tags.all()] == ["*Acworth"]
    other = make_profile(acworth, first="Liam", last="Smith")
    before = _snapshot()
    with pytest.raises(ActionError) as caught:
        connect_card(practice=acworth, profile=other, raw=numbers[0], actor=SYSTEM)
    assert caught.value.code == "card_retired"
    assert "was replaced on" in caught.value.message
    assert caught.value.message.endswith("and no longer works. Use the patient's new card.")
    assert _snapshot() == before


def test_it_refuses_a_card_active_on_another_patient_and_names_them(
    acworth: Practice, numbers: list[str], make_profile: Callable[..., Profile]
) -> None:
    make_profile(acworth, first="Emma", last="Johnson", card=numbers[0])
    other = make_profile(acworth, first="Liam", last="Smith")
    before = _snapshot()
    with pytest.raises(ActionError) as caught:
        connect_card(practice=acworth, profile=other, raw=numbers[0], actor=SYSTEM)
    assert caught.value.message == (
        "This card is already connected to Emma Johnson. "
        "Use another card, or open that patient's profile."
    )
    assert _snapshot() == before


def test_it_answers_a_card_of_another_practice_as_unknown(
    acworth: Practice,
    riverside: Practice,
    issue_cards: Callable[..., list[str]],
    make_profile: Callable[..., Profile],
) -> None:
    foreign = issue_cards(riverside, 1)[0]
    profile = make_profile(acworth)
    before = _snapshot()
    with pytest.raises(ActionError) as caught:
        connect_card(practice=acworth, profile=profile, raw=foreign, actor=SYSTEM)
    assert caught.value.code == "card_unknown"
    assert caught.value.message == (
        "No card with that number belongs to this practice. "
        "Check the number, or use a card from one of this practice's card batches."
    )
    assert _snapshot() == before


def test_it_blames_the_check_digit_for_an_unknown_invalid_number(
    acworth: Practice, numbers: list[str], make_profile: Callable[..., Profile]
) -> None:
    profile = make_profile(acworth)
    typo = numbers[0][:-1] + str((int(numbers[0][-1]) + 1) % 10)
    with pytest.raises(ActionError) as caught:
        connect_card(practice=acworth, profile=profile, raw=typo, actor=SYSTEM)
    assert caught.value.code == "card_check_digit"
    assert caught.value.message == (
        "That number's check digit is wrong: check the number and type it again."
    )


def test_it_sends_a_profile_with_a_card_to_replace_card(
    acworth: Practice, numbers: list[str], make_profile: Callable[..., Profile]
) -> None:
    profile = make_profile(acworth, card=numbers[0])
    with pytest.raises(ActionError) as caught:
        connect_card(practice=acworth, profile=profile, raw=numbers[1], actor=SYSTEM)
    assert caught.value.message == (
        "This patient already has a card. Use Replace Card to give them a new one."
    )
    assert Card.objects.get(number=numbers[1]).state == CardState.AVAILABLE


def test_it_treats_connecting_the_same_card_again_as_done(
    acworth: Practice, numbers: list[str], make_profile: Callable[..., Profile]
) -> None:
    profile = make_profile(acworth, card=numbers[0])
    events = AuditEvent.objects.count()
    card = connect_card(practice=acworth, profile=profile, raw=numbers[0], actor=SYSTEM)
    assert card.number == numbers[0] and AuditEvent.objects.count() == events
