"""Staff patient pages: list, search box, add member, profile, edit, tags, missing tags, tenancy."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind, AuditEvent
from rewardshub.cards.actions import connect_card, replace_card
from rewardshub.cards.models import Card, CardState
from rewardshub.cards.numbers import USERNAME_PREFIX, luhn_check_digit
from rewardshub.patients.actions import create_profile
from rewardshub.patients.models import Profile, Tag, TagGroup, TagGroupKind
from rewardshub.practices.actions import add_staff
from rewardshub.practices.models import Location, Practice, Role

SYSTEM = Actor.system("tests")
UNKNOWN = (
    "No card with that number belongs to this practice. "
    "Check the number, or use a card from one of this practice's card batches."
)
MISMATCH = "The two numbers do not match. Type the card number again in both fields."


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def swipe2(number: str) -> str:
    return f";{number}=9912?"


def swipe1(number: str) -> str:
    return f"%B{number}^LOPEZ/MIA^9912?"


def detail_url(profile: Profile) -> str:
    return reverse("patients:detail", kwargs={"public_id": profile.public_id})


def tags_url(profile: Profile) -> str:
    return reverse("patients:tags", kwargs={"public_id": profile.public_id})


def tag(practice: Practice, name: str) -> Tag:
    return Tag.objects.get(practice=practice, name=name)


def add_tag_by_form(client: Client, profile: Profile, chosen: Tag) -> Any:
    return client.post(tags_url(profile), {"op": "add", "tag": str(chosen.public_id)})


def search(client: Client, text: str) -> Any:
    return client.post(reverse("patients:search"), {"q": text})


def retired_message(number: str, practice: Practice) -> str:
    card = Card.objects.get(number=number)
    when = formats.date_format(card.retired_at.astimezone(ZoneInfo(practice.time_zone)), "N j, Y")
    return f"This card was replaced on {when} and no longer works. Use the patient's new card."


@pytest.fixture
def cards(acworth: Practice, issue_cards: Callable[..., list[str]]) -> list[str]:
    return issue_cards(acworth, 6)


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile], cards: list[str]) -> Profile:
    return make_profile(
        acworth, "Emma", "Johnson", card=cards[0], tags=("*Orthodontic Patient", "*Acworth")
    )


@pytest.fixture
def mia(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    """A patient without a card (a generated username) and without tags."""
    return make_profile(acworth, "Mia", "Lopez")


@pytest.fixture
def interests(acworth: Practice) -> TagGroup:
    group = TagGroup.objects.create(
        practice=acworth, name="Interests", kind=TagGroupKind.CUSTOM, position=5
    )
    for position, name in enumerate(("Soccer", "Art")):
        Tag.objects.create(practice=acworth, group=group, name=name, position=position)
    return group


class TestList:
    def test_it_lists_patients_with_username_card_state_and_tags(
        self, frontdesk_client: Client, emma: Profile, mia: Profile, cards: list[str]
    ) -> None:
        response = frontdesk_client.get(reverse("patients:list"))
        assert response.status_code == 200
        page = text_of(response)
        assert "Johnson, Emma" in page and "Lopez, Mia" in page
        assert emma.username in page and mia.username in page
        assert f"…{cards[0][-4:]}" in page
        assert "No card" in page
        assert "*Orthodontic Patient" in page and "*Acworth" in page

    def test_it_has_a_search_box_labelled_search_patients(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        page = text_of(frontdesk_client.get(reverse("patients:list")))
        assert '<label for="id_q">Search patients</label>' in page
        assert f'action="{reverse("patients:search")}"' in page
        assert 'method="post"' in page

    def test_it_filters_by_tag(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile, mia: Profile
    ) -> None:
        wanted = tag(acworth, "*Acworth")
        response = frontdesk_client.get(reverse("patients:list"), {"tag": wanted.public_id})
        assert response.status_code == 200
        assert [p.pk for p in response.context["rows"]] == [emma.pk]

    def test_it_offers_the_practices_tags_as_filters(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        page = text_of(frontdesk_client.get(reverse("patients:list")))
        assert f'<option value="{tag(acworth, "*Marietta").public_id}">*Marietta</option>' in page

    def test_it_404s_a_tag_of_another_practice(
        self, frontdesk_client: Client, riverside: Practice, emma: Profile
    ) -> None:
        foreign = tag(riverside, "*Riverside")
        response = frontdesk_client.get(reverse("patients:list"), {"tag": foreign.public_id})
        assert response.status_code == 404

    def test_it_404s_a_malformed_tag_filter(self, frontdesk_client: Client, emma: Profile) -> None:
        response = frontdesk_client.get(reverse("patients:list"), {"tag": "not-a-uuid"})
        assert response.status_code == 404

    def test_it_paginates(
        self, frontdesk_client: Client, acworth: Practice, make_profile: Callable[..., Profile]
    ) -> None:
        for i in range(30):
            make_profile(acworth, "Pat", f"Person{i:02d}")
        first = frontdesk_client.get(reverse("patients:list"))
        second = frontdesk_client.get(reverse("patients:list"), {"page": 2})
        assert len(first.context["rows"]) == 25
        assert len(second.context["rows"]) == 5
        assert "Page 2 of 2" in text_of(second)

    def test_it_reads_any_number_of_rows_in_a_fixed_number_of_queries(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        make_profile: Callable[..., Profile],
        issue_cards: Callable[..., list[str]],
        django_assert_max_num_queries: Any,
    ) -> None:
        numbers = issue_cards(acworth, 25)
        for i, number in enumerate(numbers):
            make_profile(
                acworth, "Pat", f"Person{i:02d}", card=number,
                tags=("*Retainer Patient", "*Marietta"),
            )
        frontdesk_client.get(reverse("patients:list"))  # warm the session
        with django_assert_max_num_queries(9):
            response = frontdesk_client.get(reverse("patients:list"))
        assert len(response.context["rows"]) == 25

    def test_it_sends_staff_who_are_not_signed_in_to_the_sign_in_page(self, client: Client) -> None:
        response = client.get(reverse("patients:list"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_it_refuses_financial_staff(self, acworth: Practice, client: Client) -> None:
        user = add_staff(
            practice=acworth, username="books", password="x-long-password-1",
            role=Role.FINANCIAL, actor=SYSTEM,
        ).user
        client.force_login(user)
        response = client.get(reverse("patients:list"))
        assert response.status_code == 403
        assert "Your role in this practice cannot open this page." in text_of(response)


class TestSearch:
    def test_it_jumps_to_the_profile_on_a_track_2_swipe(
        self, frontdesk_client: Client, emma: Profile, cards: list[str]
    ) -> None:
        response = search(frontdesk_client, swipe2(cards[0]))
        assert response.status_code == 302
        assert response["Location"] == detail_url(emma)

    def test_it_jumps_to_the_profile_on_a_track_1_swipe(
        self, frontdesk_client: Client, emma: Profile, cards: list[str]
    ) -> None:
        response = search(frontdesk_client, swipe1(cards[0]))
        assert response["Location"] == detail_url(emma)

    def test_it_jumps_to_the_profile_on_both_tracks_with_the_readers_enter(
        self, frontdesk_client: Client, emma: Profile, cards: list[str]
    ) -> None:
        response = search(frontdesk_client, swipe1(cards[0]) + swipe2(cards[0]) + "\r\n")
        assert response["Location"] == detail_url(emma)

    def test_it_jumps_to_the_profile_on_a_typed_card_number_with_dashes(
        self, frontdesk_client: Client, emma: Profile, cards: list[str]
    ) -> None:
        dashed = "-".join(cards[0][i : i + 4] for i in range(0, 16, 4))
        response = search(frontdesk_client, dashed)
        assert response["Location"] == detail_url(emma)

    def test_it_jumps_to_the_profile_on_a_generated_username(
        self, frontdesk_client: Client, mia: Profile
    ) -> None:
        assert mia.username.startswith(USERNAME_PREFIX)
        response = search(frontdesk_client, mia.username)
        assert response["Location"] == detail_url(mia)

    def test_it_jumps_to_the_profile_on_its_new_card_after_a_replacement(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile, cards: list[str]
    ) -> None:
        replace_card(practice=acworth, profile=emma, raw=cards[1], actor=SYSTEM)
        response = search(frontdesk_client, swipe2(cards[1]))
        assert response["Location"] == detail_url(emma)

    def test_it_never_puts_the_number_in_a_url(
        self, frontdesk_client: Client, emma: Profile, cards: list[str]
    ) -> None:
        response = search(frontdesk_client, swipe2(cards[0]))
        assert cards[0] not in response["Location"]

    def test_it_lists_name_matches(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        emma: Profile,
        mia: Profile,
        make_profile: Callable[..., Profile],
    ) -> None:
        make_profile(acworth, "Emmett", "Brown")
        response = search(frontdesk_client, "emm")
        assert response.status_code == 200
        assert {p.first_name for p in response.context["rows"]} == {"Emma", "Emmett"}
        assert "2 patients match “emm”." in text_of(response)

    def test_it_finds_names_whatever_the_case_in_any_alphabet(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        emma: Profile,
        make_profile: Callable[..., Profile],
    ) -> None:
        # SQLite folds only ASCII letters by itself; a front desk types "émilie"
        # as often as "Émilie".
        emilie = make_profile(acworth, "Émilie", "Ødegård")
        make_profile(acworth, "Zoë", "Шевченко")
        for typed in ("émilie", "ÉMILIE", "ødegÅrd", "émilie ØDEGÅRD"):
            response = search(frontdesk_client, typed)
            assert [p.pk for p in response.context["rows"]] == [emilie.pk], typed
            assert f"1 patient matches “{typed}”." in text_of(response)
        response = search(frontdesk_client, "шевченко")
        assert [p.first_name for p in response.context["rows"]] == ["Zoë"]
        # A regular-expression character is a letter to look for, not a pattern.
        assert search(frontdesk_client, "é.*").context["rows"] == []

    def test_it_matches_first_and_last_name_together(
        self, frontdesk_client: Client, emma: Profile, mia: Profile
    ) -> None:
        response = search(frontdesk_client, "Mia Lopez")
        assert [p.pk for p in response.context["rows"]] == [mia.pk]

    def test_it_says_when_no_name_matches(self, frontdesk_client: Client, emma: Profile) -> None:
        response = search(frontdesk_client, "Zebedee")
        assert response.status_code == 200
        assert "No patient matches “Zebedee”." in text_of(response)

    def test_it_says_a_retired_card_was_replaced_and_links_its_patient(
        self, frontdesk_client: Client, acworth: Practice, mia: Profile, cards: list[str]
    ) -> None:
        connect_card(practice=acworth, profile=mia, raw=cards[1], actor=SYSTEM)
        replace_card(practice=acworth, profile=mia, raw=cards[2], actor=SYSTEM)
        response = search(frontdesk_client, cards[1])
        assert response.status_code == 200
        page = text_of(response)
        assert retired_message(cards[1], acworth) in page
        assert f'<a href="{detail_url(mia)}">Mia Lopez</a>' in page

    def test_it_says_a_swiped_retired_first_card_was_replaced(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile, cards: list[str]
    ) -> None:
        # Emma's username is her first card's number; swiping that card still means the card.
        replace_card(practice=acworth, profile=emma, raw=cards[1], actor=SYSTEM)
        response = search(frontdesk_client, swipe2(cards[0]))
        assert response.status_code == 200
        assert retired_message(cards[0], acworth) in text_of(response)

    def test_it_opens_the_profile_on_a_typed_username_that_was_a_retired_card(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile, cards: list[str]
    ) -> None:
        replace_card(practice=acworth, profile=emma, raw=cards[1], actor=SYSTEM)
        response = search(frontdesk_client, emma.username)
        assert response["Location"] == detail_url(emma)
        followed = frontdesk_client.get(response["Location"])
        assert retired_message(cards[0], acworth) in text_of(followed)

    def test_it_offers_add_member_for_a_card_not_connected_yet(
        self, frontdesk_client: Client, emma: Profile, cards: list[str]
    ) -> None:
        response = search(frontdesk_client, swipe2(cards[3]))
        assert response.status_code == 200
        page = text_of(response)
        assert f"Card …{cards[3][-4:]} is not connected to a patient yet." in page
        assert f'<input type="hidden" name="card_number" value="{cards[3]}">' in page
        assert f'action="{reverse("patients:add")}"' in page

    def test_it_says_an_unknown_number_is_unknown(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        body = "627711111111111"
        response = search(frontdesk_client, body + luhn_check_digit(body))
        assert response.status_code == 200
        assert UNKNOWN in text_of(response)

    def test_it_says_a_mistyped_number_has_a_wrong_check_digit(
        self, frontdesk_client: Client, emma: Profile, cards: list[str]
    ) -> None:
        wrong = cards[4][:15] + str((int(cards[4][15]) + 1) % 10)
        response = search(frontdesk_client, wrong)
        assert (
            "That number's check digit is wrong: check the number and type it again."
            in text_of(response)
        )

    def test_it_answers_another_practices_card_as_unknown(
        self,
        frontdesk_client: Client,
        riverside: Practice,
        emma: Profile,
        make_profile: Callable[..., Profile],
        issue_cards: Callable[..., list[str]],
    ) -> None:
        foreign = issue_cards(riverside, 1)[0]
        make_profile(riverside, "Rita", "River", card=foreign)
        response = search(frontdesk_client, swipe2(foreign))
        assert response.status_code == 200
        page = text_of(response)
        assert UNKNOWN in page
        assert "Rita" not in page

    def test_it_asks_to_swipe_again_after_a_read_error(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        response = search(frontdesk_client, "%E?")
        assert (
            "The card reader could not read the card. Swipe it again, or type the number."
            in text_of(response)
        )

    @pytest.mark.parametrize("typed", ["E", ";E?"])
    def test_it_takes_a_readers_uppercase_e_as_a_read_error(
        self, frontdesk_client: Client, emma: Profile, typed: str
    ) -> None:
        assert "could not read the card" in text_of(search(frontdesk_client, typed))

    def test_it_searches_names_for_a_lowercase_e(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        # Emma Johnson's first name holds an "e": the box looks for names, as the
        # card parser agrees (only a reader's uppercase forms are read errors).
        page = text_of(search(frontdesk_client, "e"))
        assert "could not read the card" not in page
        assert "Johnson" in page

    def test_it_says_how_many_digits_a_short_number_has(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        response = search(frontdesk_client, "1234 5678")
        assert (
            "A card number has 16 digits, but 8 were entered. Check the number and enter it again."
            in text_of(response)
        )

    def test_it_does_not_search_with_a_get(self, frontdesk_client: Client) -> None:
        response = frontdesk_client.get(reverse("patients:search"))
        assert response.status_code == 302
        assert response["Location"] == reverse("patients:list")


class TestAddMember:
    def form(self, acworth: Practice, **extra: str) -> dict[str, str]:
        location = Location.objects.get(practice=acworth, name="Marietta")
        data = {
            "first_name": "Liam",
            "last_name": "Carter",
            "preferred_name": "Lee",
            "birth_date": "2012-04-05",
            "email": "carter@example.com",
            "phone_mobile": "770-555-0101",
            "phone_home": "",
            "responsible_party": "Dana Carter",
            "location": str(location.public_id),
            "status_tag": str(tag(acworth, "*Orthodontic Patient").public_id),
        }
        data.update(extra)
        return data

    def test_it_adds_a_member_with_a_swiped_card_whose_number_is_the_username(
        self, frontdesk_client: Client, acworth: Practice, cards: list[str]
    ) -> None:
        response = frontdesk_client.post(
            reverse("patients:add"), self.form(acworth, card_number=swipe2(cards[2]))
        )
        profile = Profile.objects.get(last_name="Carter")
        assert response.status_code == 302
        assert response["Location"] == detail_url(profile)
        assert profile.username == cards[2]
        assert (profile.preferred_name, profile.responsible_party) == ("Lee", "Dana Carter")
        assert str(profile.birth_date) == "2012-04-05"
        card = Card.objects.get(number=cards[2])
        assert (card.state, card.profile_id) == (CardState.ACTIVE, profile.pk)
        assert set(profile.tags.values_list("name", flat=True)) == {
            "*Orthodontic Patient",
            "*Marietta",
        }
        assert AuditEvent.objects.filter(action="profile.create", profile=profile).count() == 1

    def test_it_adds_a_member_with_a_number_typed_twice(
        self, frontdesk_client: Client, acworth: Practice, cards: list[str]
    ) -> None:
        data = self.form(acworth, card_number=cards[2], confirm_card_number=cards[2])
        response = frontdesk_client.post(reverse("patients:add"), data)
        assert response.status_code == 302
        assert Profile.objects.get(last_name="Carter").username == cards[2]

    def test_it_adds_a_member_without_a_card(
        self, frontdesk_client: Client, acworth: Practice, cards: list[str]
    ) -> None:
        response = frontdesk_client.post(reverse("patients:add"), self.form(acworth), follow=True)
        profile = Profile.objects.get(last_name="Carter")
        assert profile.username.startswith(USERNAME_PREFIX)
        assert not Card.objects.filter(profile=profile).exists()
        assert "Liam Carter was added without a card." in text_of(response)
        assert "Connect Card" in text_of(response)

    def test_it_refuses_two_different_typed_numbers_and_creates_nothing(
        self, frontdesk_client: Client, acworth: Practice, cards: list[str]
    ) -> None:
        before = (Profile.objects.count(), AuditEvent.objects.count())
        data = self.form(acworth, card_number=cards[2], confirm_card_number=cards[3])
        response = frontdesk_client.post(reverse("patients:add"), data)
        assert response.status_code == 422
        assert MISMATCH in text_of(response)
        assert (Profile.objects.count(), AuditEvent.objects.count()) == before

    def test_it_refuses_a_card_in_use_and_creates_nothing(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile, cards: list[str]
    ) -> None:
        before = (Profile.objects.count(), AuditEvent.objects.count())
        response = frontdesk_client.post(
            reverse("patients:add"), self.form(acworth, card_number=swipe2(cards[0]))
        )
        assert response.status_code == 409
        assert (
            "This card is already connected to Emma Johnson. "
            "Use another card, or open that patient's profile."
        ) in text_of(response)
        assert (Profile.objects.count(), AuditEvent.objects.count()) == before

    def test_it_refuses_a_retired_card_and_creates_nothing(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile, cards: list[str]
    ) -> None:
        replace_card(practice=acworth, profile=emma, raw=cards[1], actor=SYSTEM)
        before = (Profile.objects.count(), AuditEvent.objects.count())
        response = frontdesk_client.post(
            reverse("patients:add"), self.form(acworth, card_number=swipe2(cards[0]))
        )
        assert response.status_code == 409
        assert retired_message(cards[0], acworth) in text_of(response)
        assert (Profile.objects.count(), AuditEvent.objects.count()) == before

    def test_it_shows_a_missing_name_next_to_the_field_and_creates_nothing(
        self, frontdesk_client: Client, acworth: Practice, cards: list[str]
    ) -> None:
        response = frontdesk_client.post(
            reverse("patients:add"), self.form(acworth, first_name="", card_number=swipe2(cards[2]))
        )
        assert response.status_code == 422
        assert response.context["form"].errors == {"first_name": ["This field is required."]}
        assert not Profile.objects.filter(last_name="Carter").exists()
        assert Card.objects.get(number=cards[2]).state == CardState.AVAILABLE

    def test_it_refuses_a_birth_date_in_the_future(
        self, frontdesk_client: Client, acworth: Practice
    ) -> None:
        response = frontdesk_client.post(
            reverse("patients:add"), self.form(acworth, birth_date="2999-01-01")
        )
        assert response.status_code == 422
        assert "The birth date is in the future. Check the date." in text_of(response)
        assert not Profile.objects.filter(last_name="Carter").exists()

    def test_it_refuses_a_location_of_another_practice(
        self, frontdesk_client: Client, acworth: Practice, riverside: Practice
    ) -> None:
        foreign = Location.objects.get(practice=riverside)
        response = frontdesk_client.post(
            reverse("patients:add"), self.form(acworth, location=str(foreign.public_id))
        )
        assert response.status_code == 422
        assert not Profile.objects.filter(last_name="Carter").exists()

    def test_it_prefills_the_card_offered_by_the_search_box(
        self, frontdesk_client: Client, cards: list[str]
    ) -> None:
        response = frontdesk_client.post(
            reverse("patients:add"), {"prefill": "1", "card_number": cards[3]}
        )
        assert response.status_code == 200
        assert response.context["form"].errors == {}
        page = text_of(response)
        assert f'name="card_number" value="{cards[3]}"' in page
        assert f'name="confirm_card_number" value="{cards[3]}"' in page
        assert not Profile.objects.exists()


class TestProfile:
    def test_it_shows_the_username_with_a_copy_button(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        response = frontdesk_client.get(detail_url(emma))
        assert response.status_code == 200
        page = text_of(response)
        assert "<dt>Username</dt>" in page
        assert f'data-copy="{emma.username}">Copy username</button>' in page

    def test_it_shows_the_orange_connect_card_button_without_a_card(
        self, frontdesk_client: Client, mia: Profile
    ) -> None:
        page = text_of(frontdesk_client.get(detail_url(mia)))
        assert '<button type="submit" class="btn btn-connect">Connect Card</button>' in page
        assert "Replace Card" not in page

    def test_it_shows_the_blue_replace_card_button_with_a_card(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        page = text_of(frontdesk_client.get(detail_url(emma)))
        assert '<button type="submit" class="btn btn-replace">Replace Card</button>' in page
        assert "btn-connect" not in page

    def test_it_shows_the_active_card_and_the_retired_ones(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile, cards: list[str]
    ) -> None:
        replace_card(practice=acworth, profile=emma, raw=cards[1], actor=SYSTEM)
        response = frontdesk_client.get(detail_url(emma))
        page = text_of(response)
        assert f"Active</span> card …{cards[1][-4:]}" in page
        assert f"Retired</span> card …{cards[0][-4:]}" in page
        assert response.context["retired_cards"] == [Card.objects.get(number=cards[0])]

    def test_it_shows_demographics_and_points(
        self, frontdesk_client: Client, acworth: Practice, make_profile: Callable[..., Profile]
    ) -> None:
        profile = make_profile(
            acworth, "Ava", "Brown", email="ava@example.com", responsible_party="Sam Brown"
        )
        Profile.objects.filter(pk=profile.pk).update(points_balance=125)
        page = text_of(frontdesk_client.get(detail_url(profile)))
        assert "ava@example.com" in page and "Sam Brown" in page
        assert '<p class="points">125</p>' in page

    def test_it_audits_every_view(
        self, frontdesk_client: Client, frontdesk: Any, emma: Profile
    ) -> None:
        frontdesk_client.get(detail_url(emma))
        event = AuditEvent.objects.filter(action="profile.view").get()
        assert (event.profile_id, event.actor_user_id, event.actor_label) == (
            emma.pk,
            frontdesk.pk,
            "frontdesk",
        )

    def test_it_tells_recent_activity_in_words(
        self, frontdesk_client: Client, mia: Profile, cards: list[str]
    ) -> None:
        frontdesk_client.post(
            reverse("cards:connect", args=[mia.public_id]), {"card_number": swipe2(cards[4])}
        )
        page = text_of(frontdesk_client.get(detail_url(mia)))
        assert "Card connected by frontdesk" in page
        assert f"card …{cards[4][-4:]}" in page
        assert "Profile created by tests" in page

    def test_it_tells_pms_events_in_the_audit_logs_words_without_the_status_reads(
        self, frontdesk_client: Client, acworth: Practice, mia: Profile
    ) -> None:
        pms = Actor(kind=ActorKind.INTEGRATION, label="Orthotrac (FRONTDESK)")
        for action in ("pms.set_card", "pms.status"):
            detail = {"chart_id": "OT-10007", "outcome": "created"}
            record_event(practice=acworth, actor=pms, action=action, profile=mia, detail=detail)
        page = text_of(frontdesk_client.get(detail_url(mia)))
        assert "PMS set card for chart OT-10007: created by Orthotrac (FRONTDESK)" in page
        assert "PMS read the status" not in page and "Pms" not in page

    def test_it_warns_which_tags_are_missing(self, frontdesk_client: Client, mia: Profile) -> None:
        page = text_of(frontdesk_client.get(detail_url(mia)))
        assert "This patient has no Status tag." in page
        assert "This patient has no Location tag." in page

    def test_it_warns_only_about_the_missing_location_tag(
        self, frontdesk_client: Client, acworth: Practice, make_profile: Callable[..., Profile]
    ) -> None:
        profile = make_profile(acworth, "Ava", "Brown", tags=("*Adult Patient",))
        page = text_of(frontdesk_client.get(detail_url(profile)))
        assert "This patient has no Status tag." not in page
        assert "This patient has no Location tag." in page

    def test_it_does_not_warn_when_both_tags_are_there(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        page = text_of(frontdesk_client.get(detail_url(emma)))
        assert "This patient has no" not in page

    def test_it_404s_an_unknown_profile(self, frontdesk_client: Client, emma: Profile) -> None:
        response = frontdesk_client.get("/patients/00000000-0000-0000-0000-000000000000/")
        assert response.status_code == 404


class TestEdit:
    def test_it_saves_changed_fields_and_audits_their_names_only(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        acworth_location = Location.objects.get(practice=acworth, name="Acworth")
        response = frontdesk_client.post(
            reverse("patients:edit", args=[emma.public_id]),
            {
                "first_name": "Emma",
                "last_name": "Johnson",
                "email": "new@example.com",
                "phone_mobile": "404-555-0199",
                "location": str(acworth_location.public_id),
            },
        )
        assert response.status_code == 302
        emma.refresh_from_db()
        assert (emma.email, emma.phone_mobile) == ("new@example.com", "404-555-0199")
        event = AuditEvent.objects.get(action="profile.update", profile=emma)
        assert event.detail == {"fields": ["email", "phone_mobile", "location"]}

    def test_it_moves_the_location_tag_with_the_location(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        marietta = Location.objects.get(practice=acworth, name="Marietta")
        frontdesk_client.post(
            reverse("patients:edit", args=[emma.public_id]),
            {"first_name": "Emma", "last_name": "Johnson", "location": str(marietta.public_id)},
        )
        assert set(emma.tags.values_list("name", flat=True)) == {
            "*Orthodontic Patient",
            "*Marietta",
        }

    def test_it_shows_a_bad_email_next_to_the_field_and_changes_nothing(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        marietta = Location.objects.get(practice=acworth, name="Marietta")
        before = AuditEvent.objects.count()
        response = frontdesk_client.post(
            reverse("patients:edit", args=[emma.public_id]),
            {
                "first_name": "Emily",
                "last_name": "Johnson",
                "email": "not-an-address",
                "location": str(marietta.public_id),
            },
        )
        assert response.status_code == 422
        assert response.context["form"].errors == {"email": ["Enter a valid email address."]}
        emma.refresh_from_db()
        assert emma.first_name == "Emma"
        assert AuditEvent.objects.count() == before

    def test_it_keeps_a_location_that_has_since_closed(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        marietta = Location.objects.get(practice=acworth, name="Marietta")
        Profile.objects.filter(pk=emma.pk).update(location=marietta)
        Location.objects.filter(pk=marietta.pk).update(active=False)
        response = frontdesk_client.post(
            reverse("patients:edit", args=[emma.public_id]),
            {"first_name": "Emily", "last_name": "Johnson", "location": str(marietta.public_id)},
        )
        assert response.status_code == 302
        emma.refresh_from_db()
        assert (emma.first_name, emma.location_id) == ("Emily", marietta.pk)

    def test_it_fills_the_form_with_the_current_details(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        response = frontdesk_client.get(reverse("patients:edit", args=[emma.public_id]))
        assert response.status_code == 200
        assert 'name="first_name" value="Emma"' in text_of(response)


class TestTags:
    def set_tag(self, client: Client, profile: Profile, group: TagGroup, value: str) -> Any:
        return client.post(
            tags_url(profile), {"op": "set", "group": str(group.public_id), "tag": value}
        )

    def test_it_sets_the_status_tag(
        self, frontdesk_client: Client, acworth: Practice, mia: Profile
    ) -> None:
        status = TagGroup.objects.get(practice=acworth, kind=TagGroupKind.STATUS)
        wanted = tag(acworth, "*Orthodontic Patient")
        response = self.set_tag(frontdesk_client, mia, status, str(wanted.public_id))
        assert response.status_code == 302
        assert response["Location"] == detail_url(mia)
        assert list(mia.tags.values_list("name", flat=True)) == ["*Orthodontic Patient"]

    def test_it_keeps_one_status_tag_when_another_is_chosen(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        status = TagGroup.objects.get(practice=acworth, kind=TagGroupKind.STATUS)
        retainer = tag(acworth, "*Retainer Patient")
        self.set_tag(frontdesk_client, emma, status, str(retainer.public_id))
        assert set(emma.tags.values_list("name", flat=True)) == {"*Retainer Patient", "*Acworth"}

    def test_it_keeps_one_location_tag_even_when_one_is_added(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        frontdesk_client.post(
            tags_url(emma), {"op": "add", "tag": str(tag(acworth, "*Marietta").public_id)}
        )
        assert set(emma.tags.values_list("name", flat=True)) == {
            "*Orthodontic Patient",
            "*Marietta",
        }

    def test_it_clears_a_status_tag(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        status = TagGroup.objects.get(practice=acworth, kind=TagGroupKind.STATUS)
        response = self.set_tag(frontdesk_client, emma, status, "")
        assert response.status_code == 302
        assert list(emma.tags.values_list("name", flat=True)) == ["*Acworth"]
        assert AuditEvent.objects.filter(action="profile.untag", profile=emma).count() == 1

    def test_it_adds_and_removes_custom_tags(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile, interests: TagGroup
    ) -> None:
        for name in ("Soccer", "Art"):
            add_tag_by_form(frontdesk_client, emma, tag(acworth, name))
        frontdesk_client.post(
            tags_url(emma), {"op": "remove", "tag": str(tag(acworth, "Soccer").public_id)}
        )
        assert set(emma.tags.values_list("name", flat=True)) == {
            "*Orthodontic Patient",
            "*Acworth",
            "Art",
        }

    def test_it_refuses_a_tag_of_another_group_for_a_group(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        status = TagGroup.objects.get(practice=acworth, kind=TagGroupKind.STATUS)
        marietta = tag(acworth, "*Marietta")
        response = self.set_tag(frontdesk_client, emma, status, str(marietta.public_id))
        assert response.status_code == 404
        assert set(emma.tags.values_list("name", flat=True)) == {"*Orthodontic Patient", "*Acworth"}

    def test_it_404s_a_tag_of_another_practice(
        self, frontdesk_client: Client, riverside: Practice, emma: Profile
    ) -> None:
        foreign = tag(riverside, "*Riverside")
        response = add_tag_by_form(frontdesk_client, emma, foreign)
        assert response.status_code == 404
        assert not emma.tags.filter(pk=foreign.pk).exists()

    def test_it_goes_back_to_a_same_site_next_page(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile, interests: TagGroup
    ) -> None:
        response = frontdesk_client.post(
            tags_url(emma),
            {"op": "add", "tag": str(tag(acworth, "Art").public_id), "next": "/chart/x/"},
        )
        assert response["Location"] == "/chart/x/"

    def test_it_shows_single_choice_selects_for_status_and_location(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        page = text_of(frontdesk_client.get(tags_url(emma)))
        selected = tag(acworth, "*Acworth")
        assert f'<option value="{selected.public_id}" selected>*Acworth</option>' in page
        assert "No status tag" in page and "No location tag" in page


class TestMissingTags:
    def test_it_lists_patients_missing_a_tag_and_which(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        emma: Profile,
        mia: Profile,
        make_profile: Callable[..., Profile],
    ) -> None:
        ava = make_profile(acworth, "Ava", "Brown", tags=("*Marietta",))
        response = frontdesk_client.get(reverse("patients:missing_tags"))
        assert response.status_code == 200
        rows = {row["profile"].pk: row["missing"] for row in response.context["rows"]}
        assert rows == {mia.pk: ["Status", "Location"], ava.pk: ["Status"]}
        page = text_of(response)
        assert "No Status tag" in page and "No Location tag" in page
        assert f'href="{tags_url(ava)}">Fix tags</a>' in page

    def test_it_drops_a_patient_once_fixed(
        self, frontdesk_client: Client, acworth: Practice, mia: Profile
    ) -> None:
        for name in ("*Future Patient", "*Acworth"):
            add_tag_by_form(frontdesk_client, mia, tag(acworth, name))
        response = frontdesk_client.get(reverse("patients:missing_tags"))
        assert list(response.context["rows"]) == []
        assert "Every patient has a Status tag and a Location tag." in text_of(response)

    def test_it_leaves_out_other_practices_patients(
        self,
        frontdesk_client: Client,
        riverside: Practice,
        make_profile: Callable[..., Profile],
    ) -> None:
        make_profile(riverside, "Rita", "River")
        response = frontdesk_client.get(reverse("patients:missing_tags"))
        assert "Rita" not in text_of(response)


class TestTenancy:
    """Another practice's staff get 404 on every route of an Acworth profile."""

    @pytest.fixture
    def target(self, acworth: Practice, emma: Profile) -> Profile:
        return emma

    @pytest.mark.parametrize(
        "name",
        ["patients:detail", "patients:edit", "patients:tags", "cards:connect", "cards:replace"],
    )
    def test_it_404s_a_get(self, outsider_client: Client, target: Profile, name: str) -> None:
        response = outsider_client.get(reverse(name, args=[target.public_id]))
        assert response.status_code == 404

    @pytest.mark.parametrize(
        "name", ["patients:edit", "patients:tags", "cards:connect", "cards:replace"]
    )
    def test_it_404s_a_post_and_changes_nothing(
        self, outsider_client: Client, target: Profile, cards: list[str], name: str
    ) -> None:
        before = (
            list(Card.objects.values_list("number", "state", "profile_id")),
            AuditEvent.objects.count(),
        )
        data = {
            "first_name": "X",
            "last_name": "Y",
            "op": "remove",
            "tag": str(target.tags.first().public_id),
            "card_number": swipe2(cards[5]),
        }
        response = outsider_client.post(reverse(name, args=[target.public_id]), data)
        assert response.status_code == 404
        assert (
            list(Card.objects.values_list("number", "state", "profile_id")),
            AuditEvent.objects.count(),
        ) == before
        target.refresh_from_db()
        assert target.first_name == "Emma"

    def test_it_does_not_find_the_profile_by_its_card(
        self, outsider_client: Client, target: Profile, cards: list[str]
    ) -> None:
        response = search(outsider_client, swipe2(cards[0]))
        assert response.status_code == 200
        assert UNKNOWN in text_of(response)
        assert "Emma" not in text_of(response)

    def test_it_does_not_list_the_profile(self, outsider_client: Client, target: Profile) -> None:
        assert "Emma" not in text_of(outsider_client.get(reverse("patients:list")))
        response = search(outsider_client, "Emma")
        assert response.context["rows"] == []
        assert "Johnson" not in text_of(response)


def test_it_keeps_the_username_of_a_profile_created_by_a_pms(
    frontdesk_client: Client, acworth: Practice, cards: list[str]
) -> None:
    """The seed's new-patient flow: a profile named by a card number, card not connected yet."""
    profile = create_profile(
        practice=acworth, data={"first_name": "Zoe", "last_name": "Hart"}, actor=SYSTEM,
        username=cards[5],
    )
    response = search(frontdesk_client, swipe2(cards[5]))
    assert response["Location"] == detail_url(profile)
    page = text_of(frontdesk_client.get(detail_url(profile)))
    assert "Connect Card" in page
