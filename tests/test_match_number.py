"""Resolving a number (match_number): username first, then an active card, then the card
alone; one statement when the number is a card's and its profile's username (or nobody's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from tests.conftest import SYSTEM

from rewardshub.cards.models import Card, CardState
from rewardshub.cards.queries import NumberLookup, NumberMatch, card_in_practice, match_number
from rewardshub.patients.actions import create_profile
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db

MakeProfile = Callable[..., Profile]

# A caller's extra expression, read in the same statement as the number.
ALSO = NumberLookup(lambda practice_id: {"also_read": Value(7)}, ("also_read",))


def _by_two_reads(practice: Practice, number: str) -> NumberMatch:
    """The resolution as documented, read the plain way: the username, then the card."""
    profile = Profile.objects.filter(practice=practice, username=number).first()
    card = card_in_practice(practice, number)
    if profile is not None:
        return NumberMatch(profile=profile, card=card)
    if card is not None and card.state == CardState.ACTIVE:
        return NumberMatch(profile=card.profile, card=card)
    return NumberMatch(profile=None, card=card)


def _resolve(practice: Practice, number: str) -> tuple[NumberMatch, int]:
    with CaptureQueriesContext(connection) as captured:
        match = match_number(practice, number, ALSO)
    expected = _by_two_reads(practice, number)
    assert (match.profile, match.card) == (expected.profile, expected.card)
    if match.card is not None:
        assert expected.card is not None
        card_fields = [f.attname for f in Card._meta.concrete_fields]
        assert [getattr(match.card, f) for f in card_fields] == [
            getattr(expected.card, f) for f in card_fields
        ]
    if match.profile is not None:
        assert expected.profile is not None
        fields = [f.attname for f in Profile._meta.concrete_fields]
        assert [getattr(match.profile, f) for f in fields] == [
            getattr(expected.profile, f) for f in fields
        ]
    assert match.also == ({"also_read": 7} if match.card or match.profile else {})
    return match, len(captured.captured_queries)


def _username(practice: Practice, username: str, first: str = "Noah") -> Profile:
    data: dict[str, Any] = {"first_name": first, "last_name": "Lee"}
    return create_profile(practice=practice, data=data, actor=SYSTEM, username=username)


def test_it_gives_an_available_card_alone_in_one_statement(
    acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]
) -> None:
    number = issue_cards(acworth, 1)[0]
    match, statements = _resolve(acworth, number)
    assert match.profile is None and match.card is not None and statements == 1


def test_it_gives_the_username_and_its_card_in_one_statement(
    acworth: Practice, issue_cards: Callable[[Practice, int], list[str]], make_profile: MakeProfile
) -> None:
    number = issue_cards(acworth, 1)[0]
    emma = make_profile(acworth, card=number)
    match, statements = _resolve(acworth, number)
    assert match.profile == emma and statements == 1


def test_it_gives_an_active_cards_profile_in_one_statement(
    acworth: Practice, issue_cards: Callable[[Practice, int], list[str]], make_profile: MakeProfile
) -> None:
    number = issue_cards(acworth, 1)[0]
    emma = _username(acworth, "0000123412341234", "Emma")
    Card.objects.filter(number=number).update(state=CardState.ACTIVE, profile=emma)
    match, statements = _resolve(acworth, number)
    assert match.profile == emma and statements == 1


def test_it_gives_a_username_without_a_card(acworth: Practice) -> None:
    noah = _username(acworth, "0000123412341234")
    match, statements = _resolve(acworth, "0000123412341234")
    assert match.profile == noah and match.card is None and statements == 2


def test_it_gives_the_username_before_the_card_of_another_profile(
    acworth: Practice, issue_cards: Callable[[Practice, int], list[str]], make_profile: MakeProfile
) -> None:
    number = issue_cards(acworth, 1)[0]
    emma = _username(acworth, "0000123412341234", "Emma")
    noah = _username(acworth, number)  # a PMS set the card before staff connected it
    Card.objects.filter(number=number).update(state=CardState.ACTIVE, profile=emma)
    match, statements = _resolve(acworth, number)
    assert match.profile == noah and statements == 2


def test_it_gives_the_username_of_a_card_set_but_not_connected(
    acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]
) -> None:
    number = issue_cards(acworth, 1)[0]
    noah = _username(acworth, number)
    match, _ = _resolve(acworth, number)
    assert match.profile == noah and match.card is not None
    assert match.card.state == CardState.AVAILABLE


def test_it_gives_the_username_of_a_retired_card_and_a_retired_card_alone(
    acworth: Practice, issue_cards: Callable[[Practice, int], list[str]], make_profile: MakeProfile
) -> None:
    first, second = issue_cards(acworth, 2)
    emma = make_profile(acworth, card=first)
    Card.objects.filter(number__in=[first, second]).update(state=CardState.RETIRED)
    assert _resolve(acworth, first)[0].profile == emma
    assert _resolve(acworth, second)[0].profile is None


def test_it_finds_nothing_of_another_practice(
    acworth: Practice,
    riverside: Practice,
    issue_cards: Callable[[Practice, int], list[str]],
    make_profile: MakeProfile,
) -> None:
    number = issue_cards(acworth, 1)[0]
    make_profile(acworth, card=number)
    match, _ = _resolve(riverside, number)
    assert match == NumberMatch(profile=None, card=None)
