"""Update (PUT) and status (GET) of a chart, and the PMS tag mapping they apply."""

from __future__ import annotations

from collections.abc import Callable

from tests.integrations.conftest import CHART, EMMA, SYSTEM, Api

from rewardshub.audit.models import AuditEvent
from rewardshub.cards.actions import connect_card
from rewardshub.integrations.models import SyncEvent, TagRule
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

NOT_SYNCED = (
    "This patient has not synced with the Patient Rewards Hub. In Orthotrac, open Patient "
    "Chart > Patient Rewards Hub > Set Patient Rewards Hub Card #, set the card number (swipe "
    "the card or paste the hub username), then try again."
)


def _synced(api: Api, card: str, **fields: str) -> Profile:
    api.set_card(CHART, card, **{**EMMA, **fields})
    return Profile.objects.get(username=card)


class TestUpdate:
    def test_it_updates_the_fields_that_changed_and_names_them(
        self, api: Api, cards: list[str]
    ) -> None:
        profile = _synced(api, cards[0])

        response = api.update(CHART, first_name="Emma", last_name="Johnson-Lee", phone_mobile="555")

        assert response.status_code == 200
        assert response.json() == {
            "outcome": "updated",
            "username": cards[0],
            "profile_id": str(profile.public_id),
            "changed": ["last_name", "phone_mobile"],
        }
        profile.refresh_from_db()
        assert (profile.last_name, profile.phone_mobile) == ("Johnson-Lee", "555")
        audit = AuditEvent.objects.filter(action="profile.update").latest("id")
        assert audit.detail == {"fields": ["last_name", "phone_mobile"]}
        assert audit.actor_kind == "integration"

    def test_it_says_unchanged_when_nothing_differs(self, api: Api, cards: list[str]) -> None:
        _synced(api, cards[0])
        response = api.update(CHART, **EMMA)
        assert response.json()["outcome"] == "unchanged"
        assert response.json()["changed"] == []
        assert not AuditEvent.objects.filter(action="profile.update").exists()
        assert SyncEvent.objects.latest("id").outcome == "unchanged"

    def test_it_clears_a_field_sent_empty_and_ignores_unknown_fields(
        self, api: Api, cards: list[str]
    ) -> None:
        profile = _synced(api, cards[0], preferred_name="Em")
        response = api.update(CHART, preferred_name="", shoe_size="7")
        assert response.json()["changed"] == ["preferred_name"]
        profile.refresh_from_db()
        assert profile.preferred_name == ""

    def test_it_answers_not_synced_for_an_unknown_chart(self, api: Api) -> None:
        response = api.update("OT-404", first_name="Nobody")
        assert response.status_code == 404
        assert response.json() == {"error": "not_synced", "message": NOT_SYNCED}
        assert not Profile.objects.exists()
        assert SyncEvent.objects.get().error == "not_synced"

    def test_it_names_the_field_of_a_value_too_long(self, api: Api, cards: list[str]) -> None:
        profile = _synced(api, cards[0])
        response = api.update(CHART, first_name="E" * 101)
        assert response.status_code == 422
        assert response.json() == {
            "error": "validation_error",
            "message": "first_name must be at most 100 characters.",
        }
        profile.refresh_from_db()
        assert profile.first_name == "Emma"

    def test_it_refuses_an_email_that_is_not_one(self, api: Api, cards: list[str]) -> None:
        _synced(api, cards[0])
        response = api.update(CHART, email="emma at home")
        assert response.status_code == 422
        assert response.json()["message"] == "email is not an email address."

    def test_it_refuses_a_birth_date_not_written_as_a_date(
        self, api: Api, cards: list[str]
    ) -> None:
        _synced(api, cards[0])
        response = api.update(CHART, birth_date="04/17/2012")
        assert response.status_code == 422
        assert response.json()["message"] == "birth_date must be a date written YYYY-MM-DD."


class TestTagMapping:
    def test_it_tags_a_new_patient_from_status_and_office(
        self, api: Api, cards: list[str], tag_rules: list[TagRule]
    ) -> None:
        profile = _synced(api, cards[0], pms_status="Active Tx", office="acw")

        assert set(profile.tags.values_list("name", flat=True)) == {
            "*Orthodontic Patient",
            "*Acworth",
        }
        assert profile.location is not None and profile.location.name == "Acworth"
        assert api.status(CHART).json()["tags"] == ["*Orthodontic Patient", "*Acworth"]

    def test_it_replaces_the_status_tag_when_the_pms_status_changes(
        self, api: Api, cards: list[str], tag_rules: list[TagRule]
    ) -> None:
        profile = _synced(api, cards[0], pms_status="Active Tx", office="ACW")

        response = api.update(CHART, pms_status="Retention", office="MAR")

        assert response.json()["changed"] == ["location", "tags"]
        assert set(profile.tags.values_list("name", flat=True)) == {
            "*Retainer Patient",
            "*Marietta",
        }

    def test_it_notes_a_value_without_mapping_in_the_sync_log(
        self, api: Api, cards: list[str], tag_rules: list[TagRule]
    ) -> None:
        profile = _synced(api, cards[0], pms_status="Debonded")
        assert not profile.tags.exists()
        assert SyncEvent.objects.latest("id").message.endswith(
            "No tag mapping for PMS status “Debonded”."
        )


class TestStatus:
    def test_it_says_a_chart_is_not_linked(self, api: Api) -> None:
        response = api.status("OT-404")
        assert response.status_code == 200
        assert response.json() == {"linked": False}

    def test_it_summarises_a_linked_chart(
        self, api: Api, acworth: Practice, cards: list[str], tag_rules: list[TagRule]
    ) -> None:
        profile = _synced(api, cards[0], pms_status="Active Tx")
        connect_card(practice=acworth, profile=profile, raw=cards[0], actor=SYSTEM)

        body = api.status(CHART).json()

        assert body.pop("last_sync").startswith(str(profile.created_at.date()))
        assert body == {
            "linked": True,
            "username": cards[0],
            "profile_id": str(profile.public_id),
            "card_state": "active",
            "tags": ["*Orthodontic Patient"],
            "points": 0,
        }

    def test_it_logs_the_read_in_the_audit_log(self, api: Api, cards: list[str]) -> None:
        profile = _synced(api, cards[0])
        api.status(CHART)
        audit = AuditEvent.objects.filter(action="pms.status").latest("id")
        assert audit.profile == profile


class TestOtherPractices:
    """A key of one practice never sees or touches another practice's charts."""

    def test_it_shows_another_practices_chart_as_not_linked(
        self, api: Api, riverside_api: Api, cards: list[str]
    ) -> None:
        _synced(api, cards[0])
        assert riverside_api.status(CHART).json() == {"linked": False}

    def test_it_answers_not_synced_to_launch_and_update_of_another_practices_chart(
        self, api: Api, riverside_api: Api, cards: list[str]
    ) -> None:
        profile = _synced(api, cards[0])
        assert riverside_api.launch(CHART).status_code == 404
        response = riverside_api.update(CHART, first_name="Mallory")
        assert response.status_code == 404 and response.json()["error"] == "not_synced"
        profile.refresh_from_db()
        assert profile.first_name == "Emma"

    def test_it_keeps_the_same_chart_id_apart_per_practice(
        self,
        api: Api,
        riverside_api: Api,
        riverside: Practice,
        cards: list[str],
        issue_cards: Callable[[Practice, int], list[str]],
    ) -> None:
        _synced(api, cards[0])
        theirs = issue_cards(riverside, 1)[0]
        response = riverside_api.set_card(CHART, theirs, first_name="Ava", last_name="Lee")
        assert response.json()["outcome"] == "created"
        assert api.status(CHART).json()["username"] == cards[0]
        assert riverside_api.status(CHART).json()["username"] == theirs
