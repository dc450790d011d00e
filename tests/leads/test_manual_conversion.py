"""Staff convert a lead by hand on its page: find the patient (by name or card,
as the Search patients box does), choose, confirm. The same conversion as a
confirmed match: no new profile, the status, the audit, the referral bonus.
Bad input is refused with a clear error and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from django.contrib.messages import get_messages
from django.db.models import Sum
from django.test import Client
from tests.conftest import SYSTEM
from tests.leads.conftest import BONUS

from rewardshub.audit.models import AuditEvent
from rewardshub.automations.models import AutoRule
from rewardshub.cards.models import Card
from rewardshub.errors import ActionError
from rewardshub.leads.actions import erase_lead, set_status
from rewardshub.leads.conversion import convert_lead, propose_matches
from rewardshub.leads.models import Lead, LeadMatch, LeadStatus, MatchState
from rewardshub.patients.models import Profile
from rewardshub.patients.queries import PROFILE_VIEW
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice


@pytest.fixture
def amelia(
    acworth: Practice,
    make_profile: Callable[..., Profile],
    issue_cards: Callable[[Practice, int], list[str]],
) -> Profile:
    """The patient the lead Mia Lopez became: she goes by another first name
    at the practice, so no sync matched her."""
    return make_profile(
        acworth, "Amelia", "Lopez", card=issue_cards(acworth, 1)[0], birth_date=dt.date(2013, 2, 9)
    )


def lead_url(lead: Lead, rest: str = "") -> str:
    return f"/leads/{lead.public_id}/{rest}"


def convert(client: Client, lead: Lead, profile: Any, confirm: bool = True) -> Any:
    body = {"profile": str(getattr(profile, "public_id", profile))}
    if confirm:
        body["confirm"] = "on"
    return client.post(lead_url(lead, "convert/"), body)


def unchanged(lead: Lead, status: str = LeadStatus.NEW) -> None:
    lead.refresh_from_db()
    assert (lead.status, lead.converted_profile, lead.converted_at) == (status, None, None)
    assert not AuditEvent.objects.filter(action="lead.convert").exists()


class Desk(NamedTuple):
    """What most refusals start from: the front desk, its practice, a lead maker
    and the patient Amelia."""

    client: Client
    practice: Practice
    make_lead: Callable[..., Lead]
    amelia: Profile


@pytest.fixture
def desk(
    frontdesk_client: Client,
    acworth: Practice,
    make_lead: Callable[..., Lead],
    amelia: Profile,
) -> Desk:
    return Desk(frontdesk_client, acworth, make_lead, amelia)


def assert_refused(response: Any, status: int, message: str) -> None:
    assert response.status_code == status
    assert response.context["convert_error"] == message


def balance(profile: Profile) -> int:
    profile.refresh_from_db()
    total = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
    assert profile.points_balance == total
    return total


class TestConvert:
    def test_it_finds_the_patient_confirms_and_converts_the_lead(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        referrer: Profile,
        make_lead: Callable[..., Lead],
        amelia: Profile,
        bonus_rule: AutoRule,
    ) -> None:
        lead = make_lead(acworth, referred_by=referrer)
        profiles_before = Profile.objects.count()
        page = frontdesk_client.get(lead_url(lead)).content.decode()
        assert "Convert into a patient" in page

        found = frontdesk_client.post(lead_url(lead, "convert/find/"), {"q": "lopez"})

        assert found.status_code == 200
        assert found.context["candidates"] == [amelia]
        assert "Choose" in found.content.decode()

        picked = convert(frontdesk_client, lead, amelia, confirm=False)

        assert picked.status_code == 200
        text = picked.content.decode()
        assert "Yes, convert into this patient" in text and amelia.username in text
        view = AuditEvent.objects.get(action=PROFILE_VIEW, profile=amelia)
        assert view.detail == {"page": "lead_convert"}
        unchanged(lead)

        done = convert(frontdesk_client, lead, amelia)

        assert done.status_code == 302 and done["Location"] == lead_url(lead)
        assert [str(m) for m in get_messages(done.wsgi_request)] == [
            f"Converted: the lead is hub patient {amelia.username} now, "
            "with the status Started treatment."
        ]
        lead.refresh_from_db()
        assert (lead.converted_profile, lead.status) == (amelia, LeadStatus.STARTED_TREATMENT)
        assert lead.converted_at is not None
        assert Profile.objects.count() == profiles_before
        event = AuditEvent.objects.get(action="lead.convert")
        assert (event.profile, event.actor_label) == (amelia, "frontdesk")
        assert event.detail == {
            "lead": lead.public_id.hex,
            "basis": "manual",
            "from": "new",
            "to": "started_treatment",
        }
        # The referral stage rule applies as for a matched conversion.
        assert balance(referrer) == BONUS
        assert lead.bonus_entry is not None
        shown = frontdesk_client.get(lead_url(lead)).content.decode()
        assert f'Amelia Lopez</a> <span class="username">{amelia.username}</span>' in shown
        assert 'id="lead-convert"' not in shown

    def test_it_finds_the_patient_by_card_number_without_showing_it_back(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        make_lead: Callable[..., Lead],
        amelia: Profile,
    ) -> None:
        lead = make_lead(acworth)
        card = Card.objects.get(profile=amelia).number

        found = frontdesk_client.post(lead_url(lead, "convert/find/"), {"q": card})

        assert found.status_code == 200
        assert found.context["candidates"] == [amelia]
        assert f'value="{card}"' not in found.content.decode()

    def test_a_waiting_match_of_the_same_pair_is_confirmed_and_others_dismissed(
        self,
        acworth: Practice,
        make_lead: Callable[..., Lead],
        make_profile: Callable[..., Profile],
    ) -> None:
        lead = make_lead(acworth)
        mia = make_profile(acworth, "Mia", "Lopez", birth_date=lead.birth_date)
        twin = make_profile(acworth, "Mia", "Lopez", birth_date=lead.birth_date, email="t@x.org")
        propose_matches(acworth, [mia.public_id, twin.public_id], SYSTEM)

        convert_lead(practice=acworth, lead=lead, profile=mia, actor=SYSTEM)

        states = dict(LeadMatch.objects.values_list("profile_id", "state"))
        assert states == {mia.pk: MatchState.CONFIRMED, twin.pk: MatchState.DISMISSED}

    def test_a_search_that_finds_no_one_says_so(
        self, frontdesk_client: Client, acworth: Practice, make_lead: Callable[..., Lead]
    ) -> None:
        lead = make_lead(acworth)

        found = frontdesk_client.post(lead_url(lead, "convert/find/"), {"q": "Nobody"})

        assert found.status_code == 200 and found.context["candidates"] == []
        assert "No patient of this practice matches that search." in found.content.decode()


class TestRefusals:
    def test_a_patient_of_another_practice_is_not_found(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        riverside: Practice,
        make_lead: Callable[..., Lead],
        make_profile: Callable[..., Profile],
    ) -> None:
        lead = make_lead(acworth)
        rita = make_profile(riverside, "Mia", "Lopez")

        for confirm in (False, True):
            response = convert(frontdesk_client, lead, rita, confirm=confirm)
            assert response.status_code == 404
            assert response.context["convert_error"] == (
                "That patient was not found in this practice. Search again. Nothing was changed."
            )
        unchanged(lead)
        assert not AuditEvent.objects.filter(profile=rita, action=PROFILE_VIEW).exists()
        with pytest.raises(ActionError) as refused:
            convert_lead(practice=acworth, lead=lead, profile=rita, actor=SYSTEM)
        assert (refused.value.code, refused.value.status) == ("not_found", 404)
        unchanged(lead)

    def test_an_already_converted_lead_says_which_patient_it_became(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        make_lead: Callable[..., Lead],
        make_profile: Callable[..., Profile],
        amelia: Profile,
    ) -> None:
        lead = make_lead(acworth)
        convert_lead(practice=acworth, lead=lead, profile=amelia, actor=SYSTEM)
        other = make_profile(acworth, "Mia", "Lopez")

        response = convert(frontdesk_client, lead, other)

        assert_refused(response, 409, (
            f"This lead was already converted into hub patient {amelia.username} "
            "(Amelia Lopez). Nothing was changed."
        ))
        lead.refresh_from_db()
        assert lead.converted_profile == amelia
        assert AuditEvent.objects.filter(action="lead.convert").count() == 1

    def test_an_erased_lead_cannot_be_converted(self, desk: Desk) -> None:
        frontdesk_client, acworth, make_lead, amelia = desk
        lead = make_lead(acworth)
        set_status(practice=acworth, lead=lead, status=LeadStatus.LOST, actor=SYSTEM)
        erase_lead(practice=acworth, lead=lead, actor=SYSTEM)

        response = convert(frontdesk_client, lead, amelia)

        assert_refused(response, 409, (
            "This lead's personal details were erased on request: it stays in the counts "
            "as an anonymous lost lead and cannot be changed."
        ))
        assert 'id="lead-convert"' not in response.content.decode()
        unchanged(lead, LeadStatus.LOST)

    def test_a_lost_lead_is_set_back_first(self, desk: Desk) -> None:
        frontdesk_client, acworth, make_lead, amelia = desk
        lead = make_lead(acworth)
        set_status(practice=acworth, lead=lead, status=LeadStatus.LOST, actor=SYSTEM)

        response = convert(frontdesk_client, lead, amelia)

        assert_refused(response, 409, (
            "This lead is marked Lost. If they came back, set its status first, "
            "then convert it. Nothing was changed."
        ))
        unchanged(lead, LeadStatus.LOST)

    def test_a_patient_who_is_another_leads_conversion_is_refused(self, desk: Desk) -> None:
        frontdesk_client, acworth, make_lead, amelia = desk
        first = make_lead(acworth)
        convert_lead(practice=acworth, lead=first, profile=amelia, actor=SYSTEM)
        second = make_lead(acworth, first_name="Ava", email="ava@example.com")

        response = convert(frontdesk_client, second, amelia)

        assert_refused(response, 409, (
            f"Hub patient {amelia.username} was already converted from another lead. "
            "Nothing was changed."
        ))
        second.refresh_from_db()
        assert (second.converted_profile, second.status) == (None, LeadStatus.NEW)

    def test_the_referrer_is_not_the_friend(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        referrer: Profile,
        make_lead: Callable[..., Lead],
        bonus_rule: AutoRule,
    ) -> None:
        lead = make_lead(acworth, referred_by=referrer)

        response = convert(frontdesk_client, lead, referrer)

        assert_refused(response, 409, (
            "This patient referred the lead: a lead becomes the friend's own profile, "
            "not the referrer's. Nothing was changed."
        ))
        unchanged(lead)
        assert balance(referrer) == 0

    @pytest.mark.parametrize(
        ("path", "body", "error"),
        [
            (
                "convert/",
                {"profile": "not-an-id", "confirm": "on"},
                "Pick a patient from the search.",
            ),
            ("convert/", {"confirm": "on"}, "Pick a patient from the search."),
            (
                "convert/find/",
                {"q": ""},
                "Type part of the patient's name, their username or card number, "
                "or swipe their card.",
            ),
            ("convert/find/", {"q": "x" * 301}, "A search holds at most 300 characters."),
        ],
    )
    def test_bad_input_gets_a_clear_error(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        make_lead: Callable[..., Lead],
        path: str,
        body: dict[str, str],
        error: str,
    ) -> None:
        lead = make_lead(acworth)

        response = frontdesk_client.post(lead_url(lead, path), body)

        assert response.status_code == 422
        shown = response.context.get("convert_error") or " ".join(
            response.context["search_form"].errors.get("q", [])
        )
        assert shown.startswith(error)
        unchanged(lead)


class TestTenancy:
    def test_another_practices_staff_get_404_and_change_nothing(
        self,
        outsider_client: Client,
        acworth: Practice,
        make_lead: Callable[..., Lead],
        amelia: Profile,
    ) -> None:
        lead = make_lead(acworth)

        assert (
            outsider_client.post(lead_url(lead, "convert/find/"), {"q": "Lopez"}).status_code == 404
        )
        assert convert(outsider_client, lead, amelia, confirm=False).status_code == 404
        assert convert(outsider_client, lead, amelia).status_code == 404
        unchanged(lead)
        assert not AuditEvent.objects.filter(action=PROFILE_VIEW, profile=amelia).exists()

    def test_financial_staff_cannot_convert(
        self,
        financial_client: Client,
        acworth: Practice,
        make_lead: Callable[..., Lead],
        amelia: Profile,
    ) -> None:
        lead = make_lead(acworth)

        assert convert(financial_client, lead, amelia).status_code == 403
        unchanged(lead)

    def test_get_is_not_allowed(
        self, frontdesk_client: Client, acworth: Practice, make_lead: Callable[..., Lead]
    ) -> None:
        lead = make_lead(acworth)

        assert frontdesk_client.get(lead_url(lead, "convert/")).status_code == 405
        assert frontdesk_client.get(lead_url(lead, "convert/find/")).status_code == 405
