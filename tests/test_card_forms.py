"""Connect Card and Replace Card through the staff forms: every refusal, and the happy paths."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats

from rewardshub.audit.actors import Actor
from rewardshub.audit.models import AuditEvent
from rewardshub.cards.actions import replace_card
from rewardshub.cards.models import Card, CardState
from rewardshub.cards.numbers import luhn_check_digit
from rewardshub.patients.actions import create_profile
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

MISMATCH = "The two numbers do not match. Type the card number again in both fields."
SYSTEM = Actor.system("tests")


def swipe(number: str) -> str:
    return f";{number}=9912?"


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def snapshot() -> tuple[list[tuple[str, str, int | None]], int, int]:
    """Everything a refused card change must leave alone."""
    cards = list(Card.objects.order_by("number").values_list("number", "state", "profile_id"))
    return cards, Profile.objects.count(), AuditEvent.objects.count()


def unissued_number() -> str:
    body = "627799999999999"
    return body + luhn_check_digit(body)


def connect_url(profile: Profile) -> str:
    return reverse("cards:connect", kwargs={"public_id": profile.public_id})


def replace_url(profile: Profile) -> str:
    return reverse("cards:replace", kwargs={"public_id": profile.public_id})


def retired_message(card: Card, practice: Practice) -> str:
    moment = card.retired_at.astimezone(ZoneInfo(practice.time_zone))
    when = formats.date_format(moment, "N j, Y")
    return f"This card was replaced on {when} and no longer works. Use the patient's new card."


@pytest.fixture
def cards(acworth: Practice, issue_cards: Callable[..., list[str]]) -> list[str]:
    return issue_cards(acworth, 5)


@pytest.fixture
def patient(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    return make_profile(acworth, "Mia", "Lopez")


@pytest.fixture
def carded(acworth: Practice, make_profile: Callable[..., Profile], cards: list[str]) -> Profile:
    return make_profile(
        acworth, "Noah", "Smith", card=cards[0], tags=("*Orthodontic Patient", "*Acworth")
    )


def refuse(client: Client, url: str, data: dict[str, str], message: str, status: int) -> None:
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == status
    assert message in text_of(response)
    assert snapshot() == before


class TestConnectForm:
    def test_it_shows_the_card_number_field_and_its_confirm_twin(
        self, frontdesk_client: Client, patient: Profile
    ) -> None:
        response = frontdesk_client.get(connect_url(patient))
        assert response.status_code == 200
        page = text_of(response)
        assert '<label for="id_card_number">Card number</label>' in page
        assert 'data-card-input=""' in page
        assert 'data-confirm="confirm-card"' in page
        assert 'id="confirm-card"' in page
        assert '<label for="id_confirm_card_number">Confirm card number</label>' in page

    def test_it_connects_a_swiped_card_without_confirmation(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        response = frontdesk_client.post(connect_url(patient), {"card_number": swipe(cards[1])})
        assert response.status_code == 302
        assert response["Location"] == reverse("patients:detail", args=[patient.public_id])
        card = Card.objects.get(number=cards[1])
        assert (card.state, card.profile_id) == (CardState.ACTIVE, patient.pk)
        event = AuditEvent.objects.get(action="card.connect", profile=patient)
        assert event.detail == {"card_last4": cards[1][-4:]}
        assert event.actor_label == "frontdesk"

    def test_it_says_the_card_is_connected_on_the_profile(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        response = frontdesk_client.post(
            connect_url(patient), {"card_number": swipe(cards[1])}, follow=True
        )
        page = text_of(response)
        assert f"Card …{cards[1][-4:]} is connected. It works from now on." in page
        assert "Replace Card" in page

    def test_it_connects_a_typed_number_confirmed_in_the_second_field(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        spaced = " ".join(cards[1][i : i + 4] for i in range(0, 16, 4))
        response = frontdesk_client.post(
            connect_url(patient), {"card_number": spaced, "confirm_card_number": cards[1]}
        )
        assert response.status_code == 302
        assert Card.objects.get(number=cards[1]).profile_id == patient.pk

    def test_it_refuses_a_typed_number_without_confirmation(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": cards[1]},
            "Type the card number a second time in Confirm card number, or swipe the card.",
            422,
        )

    def test_it_refuses_two_different_typed_numbers(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": cards[1], "confirm_card_number": cards[2]},
            MISMATCH,
            422,
        )

    def test_it_refuses_a_number_that_is_not_16_digits(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        short = cards[1][:15]
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": short, "confirm_card_number": short},
            "A card number has 16 digits, but 15 were entered. "
            "Check the number and enter it again.",
            422,
        )

    def test_it_refuses_a_number_with_a_wrong_check_digit(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        wrong = cards[1][:15] + str((int(cards[1][15]) + 1) % 10)
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": wrong, "confirm_card_number": wrong},
            "That number's check digit is wrong: check the number and type it again.",
            422,
        )

    def test_it_refuses_an_unknown_card(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": swipe(unissued_number())},
            "No card with that number belongs to this practice. "
            "Check the number, or use a card from one of this practice's card batches.",
            422,
        )

    def test_it_answers_a_card_of_another_practice_as_unknown(
        self,
        frontdesk_client: Client,
        patient: Profile,
        riverside: Practice,
        issue_cards: Callable[..., list[str]],
    ) -> None:
        foreign = issue_cards(riverside, 1)[0]
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": swipe(foreign)},
            "No card with that number belongs to this practice. "
            "Check the number, or use a card from one of this practice's card batches.",
            422,
        )
        assert Card.objects.get(number=foreign).state == CardState.AVAILABLE

    def test_it_refuses_a_retired_card_saying_when_it_was_replaced(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        patient: Profile,
        carded: Profile,
        cards: list[str],
    ) -> None:
        replace_card(practice=acworth, profile=carded, raw=cards[1], actor=SYSTEM)
        old = Card.objects.get(number=cards[0])
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": swipe(cards[0])},
            retired_message(old, acworth),
            409,
        )

    def test_it_refuses_a_card_active_on_another_patient_naming_them(
        self, frontdesk_client: Client, patient: Profile, carded: Profile, cards: list[str]
    ) -> None:
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": swipe(cards[0])},
            "This card is already connected to Noah Smith. "
            "Use another card, or open that patient's profile.",
            409,
        )

    def test_it_connects_the_card_a_pms_named_the_patient_by(
        self, frontdesk_client: Client, acworth: Practice, cards: list[str]
    ) -> None:
        zoe = create_profile(
            practice=acworth, data={"first_name": "Zoe", "last_name": "Hart"}, actor=SYSTEM,
            username=cards[3],
        )
        response = frontdesk_client.post(connect_url(zoe), {"card_number": swipe(cards[3])})
        assert response.status_code == 302
        assert Card.objects.get(number=cards[3]).profile_id == zoe.pk

    def test_it_refuses_a_card_whose_number_is_another_patients_username(
        self, frontdesk_client: Client, acworth: Practice, patient: Profile, cards: list[str]
    ) -> None:
        create_profile(
            practice=acworth, data={"first_name": "Zoe", "last_name": "Hart"}, actor=SYSTEM,
            username=cards[3],
        )
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": swipe(cards[3])},
            "This card's number is the username of Zoe Hart, so it can only be connected to "
            "that patient. Use another card, or open that patient's profile.",
            409,
        )

    def test_it_asks_to_swipe_again_after_a_read_error(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": "E"},
            "The card reader could not read the card. Swipe it again, or type the number.",
            422,
        )

    def test_it_asks_to_swipe_again_after_a_partial_swipe(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": f";{cards[1][:9]}"},
            "The card reader could not read the card. Swipe it again, or type the number.",
            422,
        )

    def test_it_refuses_an_empty_card_number(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        refuse(
            frontdesk_client,
            connect_url(patient),
            {"card_number": ""},
            "Enter a card number, or swipe the card.",
            422,
        )

    def test_it_does_not_show_the_refused_number_again(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        response = frontdesk_client.post(
            connect_url(patient), {"card_number": cards[1], "confirm_card_number": cards[2]}
        )
        assert cards[1] not in text_of(response)
        assert cards[2] not in text_of(response)

    def test_it_sends_a_patient_with_a_card_to_replace_card(
        self, frontdesk_client: Client, carded: Profile
    ) -> None:
        response = frontdesk_client.get(connect_url(carded))
        assert response.status_code == 302
        assert response["Location"] == replace_url(carded)

    def test_it_refuses_connecting_a_second_card(
        self, frontdesk_client: Client, carded: Profile, cards: list[str]
    ) -> None:
        refuse(
            frontdesk_client,
            connect_url(carded),
            {"card_number": swipe(cards[1])},
            "This patient already has a card. Use Replace Card to give them a new one.",
            409,
        )

    def test_it_goes_back_to_a_same_site_next_page(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        response = frontdesk_client.post(
            connect_url(patient), {"card_number": swipe(cards[1]), "next": "/chart/somewhere/"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/chart/somewhere/"

    def test_it_ignores_a_next_page_on_another_site(
        self, frontdesk_client: Client, patient: Profile, cards: list[str]
    ) -> None:
        response = frontdesk_client.post(
            connect_url(patient), {"card_number": swipe(cards[1]), "next": "//evil.example/"}
        )
        assert response["Location"] == reverse("patients:detail", args=[patient.public_id])


class TestReplaceForm:
    def test_it_retires_the_old_card_for_good_and_keeps_username_and_tags(
        self, frontdesk_client: Client, carded: Profile, cards: list[str]
    ) -> None:
        tags_before = set(carded.tags.values_list("name", flat=True))
        response = frontdesk_client.post(replace_url(carded), {"card_number": swipe(cards[1])})
        assert response.status_code == 302
        old, new = Card.objects.get(number=cards[0]), Card.objects.get(number=cards[1])
        assert (old.state, old.replaced_by_id, old.retire_reason) == (
            CardState.RETIRED,
            new.pk,
            "Replaced",
        )
        assert (new.state, new.profile_id) == (CardState.ACTIVE, carded.pk)
        carded.refresh_from_db()
        assert carded.username == cards[0]
        assert set(carded.tags.values_list("name", flat=True)) == tags_before
        assert AuditEvent.objects.filter(action="card.replace", profile=carded).count() == 1

    def test_it_says_which_card_was_retired(
        self, frontdesk_client: Client, carded: Profile, cards: list[str]
    ) -> None:
        response = frontdesk_client.post(
            replace_url(carded), {"card_number": swipe(cards[1])}, follow=True
        )
        assert (
            f"Card …{cards[1][-4:]} is now the active card. Card …{cards[0][-4:]} was retired "
            "and will never work again."
        ) in text_of(response)

    def test_it_never_lets_the_retired_card_back(
        self, frontdesk_client: Client, acworth: Practice, carded: Profile, cards: list[str]
    ) -> None:
        frontdesk_client.post(replace_url(carded), {"card_number": swipe(cards[1])})
        old = Card.objects.get(number=cards[0])
        refuse(
            frontdesk_client,
            replace_url(carded),
            {"card_number": swipe(cards[0])},
            retired_message(old, acworth),
            409,
        )

    def test_it_refuses_the_card_the_patient_already_has(
        self, frontdesk_client: Client, carded: Profile, cards: list[str]
    ) -> None:
        refuse(
            frontdesk_client,
            replace_url(carded),
            {"card_number": swipe(cards[0])},
            "That is the card this patient already has. Swipe or type the new card.",
            409,
        )

    def test_it_refuses_a_card_active_on_another_patient(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        carded: Profile,
        cards: list[str],
        make_profile: Callable[..., Profile],
    ) -> None:
        make_profile(acworth, "Ava", "Brown", card=cards[2])
        refuse(
            frontdesk_client,
            replace_url(carded),
            {"card_number": swipe(cards[2])},
            "This card is already connected to Ava Brown. "
            "Use another card, or open that patient's profile.",
            409,
        )

    def test_it_refuses_an_unknown_card_and_keeps_the_old_one(
        self, frontdesk_client: Client, carded: Profile, cards: list[str]
    ) -> None:
        refuse(
            frontdesk_client,
            replace_url(carded),
            {"card_number": unissued_number(), "confirm_card_number": unissued_number()},
            "No card with that number belongs to this practice. "
            "Check the number, or use a card from one of this practice's card batches.",
            422,
        )
        assert Card.objects.get(number=cards[0]).state == CardState.ACTIVE

    def test_it_sends_a_patient_without_a_card_to_connect_card(
        self, frontdesk_client: Client, patient: Profile
    ) -> None:
        response = frontdesk_client.get(replace_url(patient))
        assert response.status_code == 302
        assert response["Location"] == connect_url(patient)

    def test_it_warns_that_the_old_card_will_be_retired(
        self, frontdesk_client: Client, carded: Profile, cards: list[str]
    ) -> None:
        response = frontdesk_client.get(replace_url(carded))
        assert response.status_code == 200
        assert f"Card …{cards[0][-4:]} will be retired for good" in text_of(response).replace(
            "<strong>", ""
        ).replace("</strong>", "")
