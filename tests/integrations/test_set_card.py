"""Set card: every outcome and every refusal, with what it leaves in the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tests.integrations.conftest import CHART, EMMA, SYSTEM, Api

from rewardshub.audit.models import AuditEvent
from rewardshub.cards.actions import connect_card, replace_card
from rewardshub.cards.models import Card, CardState
from rewardshub.cards.numbers import luhn_check_digit
from rewardshub.integrations.models import LaunchToken, PmsLink, SyncEvent
from rewardshub.patients.models import Profile, ProfileKind
from rewardshub.practices.models import Practice


def _state() -> tuple[Any, ...]:
    """What a refused call must leave untouched."""
    return (
        list(Profile.objects.order_by("pk").values_list("pk", "username", "first_name", "kind")),
        list(PmsLink.objects.order_by("pk").values_list("chart_id", "profile_id")),
        list(Card.objects.order_by("pk").values_list("number", "state", "profile_id")),
        LaunchToken.objects.count(),
    )


def _failure_logged(code: str, chart_id: str = CHART) -> None:
    event = SyncEvent.objects.latest("id")
    assert (event.chart_id, event.action, event.outcome, event.error) == (
        chart_id,
        "set_card",
        "error",
        code,
    )
    audit = AuditEvent.objects.filter(action="pms.set_card").latest("id")
    assert audit.outcome == "failed" and audit.detail["error"] == code


class TestCreated:
    def test_it_creates_a_profile_named_by_an_available_card_and_links_the_chart(
        self, api: Api, cards: list[str], acworth: Practice
    ) -> None:
        response = api.set_card(CHART, cards[0], pms_user="FRONTDESK", **EMMA)

        assert response.status_code == 200
        body = response.json()
        profile = Profile.objects.get(username=cards[0])
        assert body["outcome"] == "created"
        assert body["username"] == cards[0]
        assert body["profile_id"] == str(profile.public_id)
        assert body["browser_url"].startswith("http://testserver/launch/")
        assert (profile.practice, profile.first_name, profile.kind) == (acworth, "Emma", "member")
        assert str(profile.birth_date) == "2012-04-17"
        link = PmsLink.objects.get(chart_id=CHART)
        assert (link.practice, link.system, link.profile) == (acworth, "orthotrac", profile)

    def test_it_leaves_the_card_available_for_connect_card(
        self, api: Api, cards: list[str], acworth: Practice
    ) -> None:
        api.set_card(CHART, cards[0], **EMMA)

        card = Card.objects.get(number=cards[0])
        assert (card.state, card.profile) == (CardState.AVAILABLE, None)
        profile = Profile.objects.get(username=cards[0])
        connect_card(practice=acworth, profile=profile, raw=cards[0], actor=SYSTEM)
        card.refresh_from_db()
        assert (card.state, card.profile) == (CardState.ACTIVE, profile)

    def test_it_accepts_a_raw_swipe(self, api: Api, cards: list[str]) -> None:
        swipe = f"%B{cards[0]}^JOHNSON/EMMA^9912?;{cards[0]}=9912?"
        response = api.set_card(CHART, swipe, **EMMA)
        assert response.json()["username"] == cards[0]

    def test_it_records_the_sync_and_audits_as_the_pms_user(
        self, api: Api, cards: list[str]
    ) -> None:
        api.set_card(CHART, cards[0], pms_user="FRONTDESK", **EMMA)

        event = SyncEvent.objects.get()
        assert (event.action, event.outcome, event.chart_id, event.pms_user) == (
            "set_card",
            "created",
            CHART,
            "FRONTDESK",
        )
        assert event.message == f"Created hub patient {cards[0]} and synced the chart with it."
        audit = AuditEvent.objects.get(action="pms.set_card")
        assert (audit.actor_kind, audit.actor_label) == ("integration", "Orthotrac (FRONTDESK)")
        assert (
            AuditEvent.objects.get(action="profile.create").actor_label == "Orthotrac (FRONTDESK)"
        )

    def test_it_needs_first_and_last_name_to_create(self, api: Api, cards: list[str]) -> None:
        before = _state()
        response = api.set_card(CHART, cards[0], first_name="Emma")

        assert response.status_code == 422
        assert response.json() == {
            "error": "validation_error",
            "message": "first_name and last_name are required to create a new hub patient: "
            "send the chart's first and last name.",
        }
        assert _state() == before
        _failure_logged("validation_error")


# The chart of a patient the hub already has, agreeing on name and birth date.
LIAM = {"first_name": "Liam", "last_name": "Brown", "birth_date": "2011-02-03"}
LIAM_BORN = dt.date(2011, 2, 3)


class TestLinked:
    def test_it_links_an_existing_profile_by_its_username(
        self, api: Api, acworth: Practice, make_profile: Callable[..., Profile]
    ) -> None:
        # The seed's existing-patient flow: a profile without a card, username pasted.
        profile = make_profile(acworth, "Liam", "Brown", birth_date=LIAM_BORN)
        response = api.set_card(CHART, profile.username, **LIAM)

        assert response.status_code == 200
        assert response.json()["outcome"] == "linked"
        assert response.json()["username"] == profile.username
        assert PmsLink.objects.get(chart_id=CHART).profile == profile

    def test_it_links_the_profile_whose_active_card_is_swiped(
        self, api: Api, acworth: Practice, cards: list[str], make_profile: Callable[..., Profile]
    ) -> None:
        profile = make_profile(acworth, "Liam", "Brown", card=cards[0], birth_date=LIAM_BORN)
        replace_card(practice=acworth, profile=profile, raw=cards[1], actor=SYSTEM)

        response = api.set_card(CHART, f";{cards[1]}=9912?", **LIAM)

        assert response.json()["outcome"] == "linked"
        assert response.json()["username"] == cards[0]
        assert PmsLink.objects.get(chart_id=CHART).profile == profile

    def test_it_links_by_username_even_after_that_card_was_retired(
        self, api: Api, acworth: Practice, cards: list[str], make_profile: Callable[..., Profile]
    ) -> None:
        profile = make_profile(acworth, "Liam", "Brown", card=cards[0], birth_date=LIAM_BORN)
        replace_card(practice=acworth, profile=profile, raw=cards[1], actor=SYSTEM)

        response = api.set_card(CHART, cards[0], **LIAM)

        assert response.status_code == 200
        assert response.json()["outcome"] == "linked"
        assert PmsLink.objects.get(chart_id=CHART).profile == profile

    def test_it_applies_the_charts_demographics_to_a_linked_profile(
        self, api: Api, acworth: Practice, make_profile: Callable[..., Profile]
    ) -> None:
        profile = make_profile(
            acworth, "Liam", "Brown", birth_date=LIAM_BORN, email="old@example.com"
        )
        response = api.set_card(
            CHART, profile.username, **LIAM, email="l@example.com", phone_mobile="770-555-0199"
        )

        assert response.json()["changed"] == ["email", "phone_mobile"]
        assert response.json()["changes"] == [
            "Email updated from old@example.com to l@example.com",
            "Mobile phone set to 770-555-0199",
        ]
        profile.refresh_from_db()
        assert (profile.email, profile.phone_mobile) == ("l@example.com", "770-555-0199")
        audit = AuditEvent.objects.filter(action="profile.update").latest("id")
        assert audit.detail == {"fields": ["email", "phone_mobile"]}


class TestAlreadyLinked:
    def test_it_changes_nothing_when_the_same_chart_sets_the_same_number(
        self, api: Api, cards: list[str]
    ) -> None:
        first = api.set_card(CHART, cards[0], **EMMA).json()
        before = _state()[:3]

        response = api.set_card(CHART, cards[0], **EMMA)

        assert response.status_code == 200
        body = response.json()
        assert (body["outcome"], body["username"], body["profile_id"], body["changed"]) == (
            "already_linked",
            cards[0],
            first["profile_id"],
            [],
        )
        assert body["browser_url"] != first["browser_url"]  # a fresh one-time link
        assert _state()[:3] == before


class TestConflicts:
    def test_it_refuses_a_chart_already_linked_to_another_profile_naming_its_username(
        self, api: Api, acworth: Practice, cards: list[str], make_profile: Callable[..., Profile]
    ) -> None:
        api.set_card(CHART, cards[0], **EMMA)
        other = make_profile(acworth, "Liam", "Brown")
        before = _state()

        response = api.set_card(CHART, other.username)

        assert response.status_code == 409
        assert response.json() == {
            "error": "chart_linked_elsewhere",
            "message": f"This chart is already synced with another hub patient (username "
            f"{cards[0]}). Launch Patient Rewards Hub opens that patient; if they need a new "
            "card, use Replace Card there. A chart can be synced with only one patient.",
        }
        assert _state() == before
        _failure_logged("chart_linked_elsewhere")

    def test_it_refuses_a_new_card_for_a_chart_already_synced(
        self, api: Api, cards: list[str]
    ) -> None:
        api.set_card(CHART, cards[0], **EMMA)
        before = _state()

        response = api.set_card(CHART, cards[1], **EMMA)

        assert response.status_code == 409
        assert response.json()["error"] == "chart_linked_elsewhere"
        assert _state() == before

    def test_it_refuses_a_profile_already_linked_to_another_chart_naming_the_chart(
        self, api: Api, cards: list[str]
    ) -> None:
        api.set_card("OT-2002", cards[0], **EMMA)
        before = _state()

        response = api.set_card(CHART, cards[0], **EMMA)

        assert response.status_code == 409
        assert response.json() == {
            "error": "profile_linked_elsewhere",
            "message": "This hub patient is already synced with Orthotrac chart OT-2002. "
            "Check that you opened the right chart: a hub patient can be synced with only "
            "one chart.",
        }
        assert _state() == before
        _failure_logged("profile_linked_elsewhere")

    def test_it_refuses_a_retired_card_that_is_no_username(
        self, api: Api, acworth: Practice, cards: list[str], make_profile: Callable[..., Profile]
    ) -> None:
        profile = make_profile(acworth, "Liam", "Brown", card=cards[0])
        replace_card(practice=acworth, profile=profile, raw=cards[1], actor=SYSTEM)
        replace_card(practice=acworth, profile=profile, raw=cards[2], actor=SYSTEM)
        before = _state()

        response = api.set_card(CHART, cards[1], **EMMA)  # retired, never a username

        assert response.status_code == 409
        body = response.json()
        assert body["error"] == "card_retired"
        assert body["message"].startswith("This card was replaced on ")
        assert body["message"].endswith(" and no longer works. Use the patient's new card.")
        assert _state() == before
        _failure_logged("card_retired")

    def test_it_refuses_another_patients_card_for_a_synced_chart(
        self, api: Api, acworth: Practice, cards: list[str], make_profile: Callable[..., Profile]
    ) -> None:
        api.set_card(CHART, cards[0], **EMMA)
        liam = make_profile(acworth, "Liam", "Brown", card=cards[1])
        replace_card(practice=acworth, profile=liam, raw=cards[2], actor=SYSTEM)
        before = _state()

        response = api.set_card(CHART, cards[2])

        assert response.status_code == 409
        assert response.json() == {
            "error": "card_in_use",
            "message": "This card is already connected to Liam Brown. "
            "Use another card, or open that patient's profile.",
        }
        assert _state() == before


class TestCardInputErrors:
    """The same messages as the hub's card form (cards.queries)."""

    def test_it_refuses_a_number_of_the_wrong_length(self, api: Api, cards: list[str]) -> None:
        before = _state()
        response = api.set_card(CHART, "6277 1234", **EMMA)
        assert response.status_code == 422
        assert response.json() == {
            "error": "card_invalid",
            "message": "A card number has 16 digits, but 8 were entered. "
            "Check the number and enter it again.",
        }
        assert _state() == before
        _failure_logged("card_invalid")

    def test_it_refuses_a_wrong_check_digit(self, api: Api, cards: list[str]) -> None:
        wrong = cards[0][:-1] + str((int(cards[0][-1]) + 1) % 10)
        before = _state()
        response = api.set_card(CHART, wrong, **EMMA)
        assert response.status_code == 422
        assert response.json() == {
            "error": "card_check_digit",
            "message": "That number's check digit is wrong: check the number and type it again.",
        }
        assert _state() == before

    def test_it_refuses_an_unknown_number(self, api: Api, cards: list[str]) -> None:
        body = "627799999999999"
        before = _state()
        response = api.set_card(CHART, body + luhn_check_digit(body), **EMMA)
        assert response.status_code == 422
        assert response.json() == {
            "error": "card_unknown",
            "message": "No card with that number belongs to this practice. "
            "Check the number, or use a card from one of this practice's card batches.",
        }
        assert _state() == before

    def test_it_answers_another_practices_card_as_unknown(
        self,
        riverside_api: Api,
        acworth: Practice,
        cards: list[str],
        make_profile: Callable[..., Profile],
    ) -> None:
        make_profile(acworth, "Liam", "Brown", card=cards[1])
        for number in (cards[0], cards[1]):  # available, and a username + active card
            response = riverside_api.set_card(CHART, number, **EMMA)
            assert response.status_code == 422
            assert response.json()["error"] == "card_unknown"
        assert not PmsLink.objects.exists()

    def test_it_asks_to_swipe_again_after_a_read_error(self, api: Api) -> None:
        response = api.set_card(CHART, "%E?", **EMMA)
        assert response.status_code == 422
        assert response.json() == {
            "error": "card_read_error",
            "message": "The card reader could not read the card. "
            "Swipe it again, or type the number.",
        }


class TestLeadsFromBatch:
    """Charts a batch sync gave chart-only profiles still follow the seed's workflows."""

    def test_it_gives_a_charts_chart_only_profile_the_new_cards_number(
        self, api: Api, cards: list[str]
    ) -> None:
        api.batch([{"chart_id": CHART, **EMMA}])
        chart_only = PmsLink.objects.get(chart_id=CHART).profile

        response = api.set_card(CHART, cards[0], **EMMA)

        assert response.json()["outcome"] == "linked"
        chart_only.refresh_from_db()
        assert (chart_only.username, chart_only.kind) == (cards[0], ProfileKind.MEMBER)
        assert Profile.objects.count() == 1

    def test_it_hands_the_chart_from_its_chart_only_profile_to_the_existing_patient(
        self, api: Api, acworth: Practice, make_profile: Callable[..., Profile]
    ) -> None:
        api.batch([{"chart_id": CHART, **EMMA}])
        existing = make_profile(acworth, "Emma", "Johnson", birth_date=dt.date(2012, 4, 17))

        response = api.set_card(CHART, existing.username, **EMMA)

        assert response.json()["outcome"] == "linked"
        assert PmsLink.objects.get(chart_id=CHART).profile == existing
