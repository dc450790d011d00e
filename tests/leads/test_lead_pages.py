"""Leads for staff: the list with its status filter and counts, add, edit,
status, erase; the actions' audit trail; another practice's lead is a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.conftest import SYSTEM, staff_client
from tests.leads.conftest import MIA

from rewardshub.audit.models import AuditEvent
from rewardshub.errors import ActionError
from rewardshub.leads.actions import erase_lead, set_status, update_lead
from rewardshub.leads.models import Lead, LeadSource, LeadStatus
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice, Role

ADD = "/leads/add/"


def form(**changes: Any) -> dict[str, Any]:
    body = {
        "first_name": "Noah",
        "last_name": "Baker",
        "email": "noah.baker@example.com",
        "phone": "",
        "birth_date": "2014-05-06",
        "source": "walk_in",
        "referred_by": "",
        "notes": "Asked about clear aligners.",
    }
    return {**body, **changes}


def test_it_adds_a_lead_and_audits_it_without_names(
    frontdesk_client: Client, acworth: Practice
) -> None:
    response = frontdesk_client.post(ADD, form())

    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.public_id}/"
    assert (lead.practice, lead.full_name, lead.source, lead.status) == (
        acworth,
        "Noah Baker",
        LeadSource.WALK_IN,
        LeadStatus.NEW,
    )
    event = AuditEvent.objects.get(action="lead.create")
    assert event.detail == {"lead": lead.public_id.hex, "source": "walk_in", "referred": False}
    assert "Noah" not in str(event.detail) and "Baker" not in str(event.detail)


def test_it_adds_a_lead_referred_by_a_patient_named_by_username(
    frontdesk_client: Client, referrer: Profile
) -> None:
    response = frontdesk_client.post(ADD, form(source="referral", referred_by=referrer.username))

    assert response.status_code == 302
    assert Lead.objects.get().referred_by == referrer


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"email": "", "phone": ""},
            None,
            "Enter an email or a phone number, so the practice can reach them.",
        ),
        ({"phone": "12"}, "phone", "A phone number has at least 7 digits, e.g. 770-555-0123."),
        (
            {"birth_date": "2999-01-01"},
            "birth_date",
            "The birth date is in the future. Check the date.",
        ),
        (
            {"referred_by": "1234"},
            "referred_by",
            "A username has 16 digits. Copy it from the patient's profile, or leave it empty.",
        ),
        ({"source": "billboard"}, "source", "Pick one of the sources listed."),
    ],
)
def test_it_refuses_bad_input_and_adds_nothing(
    frontdesk_client: Client, changes: dict[str, str], field: str | None, message: str
) -> None:
    response = frontdesk_client.post(ADD, form(**changes))

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors[field or "__all__"] == [message]
    assert not Lead.objects.exists()


def test_it_refuses_a_referrer_of_another_practice(
    frontdesk_client: Client, riverside: Practice, make_profile: Any, issue_cards: Any
) -> None:
    rita = make_profile(riverside, "Rita", "Rivers", card=issue_cards(riverside, 1)[0])

    response = frontdesk_client.post(ADD, form(source="referral", referred_by=rita.username))

    assert response.status_code == 422
    assert (
        response.context["form"]
        .errors["referred_by"][0]
        .startswith("No patient of this practice has that username.")
    )
    assert not Lead.objects.exists()


def test_it_lists_leads_with_counts_and_filters_by_status(
    frontdesk_client: Client, acworth: Practice, make_lead: Callable[..., Lead]
) -> None:
    make_lead(acworth)
    booked = make_lead(acworth, first_name="Ava", last_name="Reed", email="ava@example.com")
    set_status(practice=acworth, lead=booked, status=LeadStatus.CONSULT_BOOKED, actor=SYSTEM)

    everything = frontdesk_client.get("/leads/")
    only_booked = frontdesk_client.get("/leads/?status=consult_booked")
    bad = frontdesk_client.get("/leads/?status=purple")

    assert everything.status_code == 200
    counts = {row.value: row.count for row in everything.context["counts"]}
    assert counts == {
        "new": 1,
        "contacted": 0,
        "consult_booked": 1,
        "started_treatment": 0,
        "lost": 0,
    }
    assert (
        "All (2)" in everything.content.decode()
        and "Consult booked (1)" in everything.content.decode()
    )
    assert [lead.full_name for lead in only_booked.context["leads"]] == ["Ava Reed"]
    assert bad.status_code == 422
    assert "That status filter is not one of the statuses listed." in bad.content.decode()


def test_it_edits_a_lead_and_audits_the_fields(
    frontdesk_client: Client, acworth: Practice, make_lead: Callable[..., Lead]
) -> None:
    lead = make_lead(acworth)
    body = form(
        first_name="Mia",
        last_name="Lopez-Garcia",
        email=MIA["email"],
        birth_date="2013-02-09",
        source="website",
        notes="",
    )

    response = frontdesk_client.post(f"/leads/{lead.public_id}/edit/", body)

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.last_name == "Lopez-Garcia"
    assert AuditEvent.objects.get(action="lead.update").detail == {
        "lead": lead.public_id.hex,
        "fields": ["last_name"],
    }


def test_it_moves_the_status_and_audits_it(
    frontdesk_client: Client, acworth: Practice, make_lead: Callable[..., Lead]
) -> None:
    lead = make_lead(acworth)

    response = frontdesk_client.post(f"/leads/{lead.public_id}/status/", {"status": "contacted"})
    bad = frontdesk_client.post(f"/leads/{lead.public_id}/status/", {"status": "won"})

    assert response.status_code == 302
    assert bad.status_code == 422
    assert bad.context["status_form"].errors["status"] == ["Pick one of the statuses listed."]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONTACTED
    event = AuditEvent.objects.get(action="lead.status")
    assert event.detail == {"lead": lead.public_id.hex, "from": "new", "to": "contacted"}


def test_another_practices_lead_is_a_404_on_every_page(
    outsider_client: Client, acworth: Practice, make_lead: Callable[..., Lead]
) -> None:
    lead = make_lead(acworth)
    base = f"/leads/{lead.public_id}/"

    assert outsider_client.get(base).status_code == 404
    assert outsider_client.get(base + "edit/").status_code == 404
    assert outsider_client.post(base + "status/", {"status": "lost"}).status_code == 404
    assert outsider_client.post(base + "erase/").status_code == 404
    assert outsider_client.get("/leads/").context["leads"] == []
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_financial_staff_cannot_open_leads(financial_client: Client) -> None:
    response = financial_client.get("/leads/")

    assert response.status_code == 403
    assert "Your role in this practice cannot open this page." in response.content.decode()


class TestErase:
    def test_it_erases_a_lost_leads_personal_details_and_keeps_the_row(
        self,
        owner_client: Client,
        acworth: Practice,
        make_lead: Callable[..., Lead],
        referrer: Profile,
    ) -> None:
        lead = make_lead(acworth, referred_by=referrer, phone="770-555-0123", notes="Mom called")
        set_status(practice=acworth, lead=lead, status=LeadStatus.LOST, actor=SYSTEM)

        response = owner_client.post(f"/leads/{lead.public_id}/erase/")

        assert response.status_code == 302
        lead.refresh_from_db()
        assert (
            lead.first_name,
            lead.last_name,
            lead.email,
            lead.phone,
            lead.birth_date,
            lead.notes,
        ) == ("", "", "", "", None, "")
        assert lead.erased_at is not None
        assert (lead.status, lead.source, lead.referred_by) == (
            LeadStatus.LOST,
            LeadSource.REFERRAL,
            referrer,
        )
        assert AuditEvent.objects.get(action="lead.erase").detail == {"lead": lead.public_id.hex}
        page = owner_client.get(f"/leads/{lead.public_id}/").content.decode()
        assert "Erased lead" in page and "Mia" not in page

    def test_it_refuses_to_erase_an_open_lead(
        self, acworth: Practice, make_lead: Callable[..., Lead]
    ) -> None:
        lead = make_lead(acworth)

        with pytest.raises(ActionError) as refused:
            erase_lead(practice=acworth, lead=lead, actor=SYSTEM)

        assert refused.value.message == (
            "Only a lost lead can be erased. Set its status to Lost first, then erase it."
        )
        lead.refresh_from_db()
        assert (lead.first_name, lead.erased_at) == ("Mia", None)

    def test_an_erased_lead_cannot_change_again(
        self, acworth: Practice, make_lead: Callable[..., Lead]
    ) -> None:
        lead = make_lead(acworth)
        set_status(practice=acworth, lead=lead, status=LeadStatus.LOST, actor=SYSTEM)
        erase_lead(practice=acworth, lead=lead, actor=SYSTEM)

        for change in (
            lambda: erase_lead(practice=acworth, lead=lead, actor=SYSTEM),
            lambda: set_status(practice=acworth, lead=lead, status="new", actor=SYSTEM),
            lambda: update_lead(
                practice=acworth, lead=lead, data={"first_name": "X"}, actor=SYSTEM
            ),
        ):
            with pytest.raises(ActionError) as refused:
                change()
            assert refused.value.status == 409
        lead.refresh_from_db()
        assert (lead.first_name, lead.status) == ("", LeadStatus.LOST)

    def test_front_desk_cannot_erase(
        self, acworth: Practice, make_lead: Callable[..., Lead]
    ) -> None:
        lead = make_lead(acworth)
        set_status(practice=acworth, lead=lead, status=LeadStatus.LOST, actor=SYSTEM)
        client = staff_client(acworth, "desk2", Role.MARKETING)

        response = client.post(f"/leads/{lead.public_id}/erase/")

        assert response.status_code == 403
        lead.refresh_from_db()
        assert lead.erased_at is None
