"""A chart that syncs from the PMS and matches a lead: the match is proposed in
the window set card opens, and converts the lead once staff confirm it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.test import Client
from tests.conftest import SYSTEM
from tests.integrations.conftest import Api
from tests.leads.conftest import MIA

from rewardshub.audit.models import AuditEvent
from rewardshub.errors import ActionError
from rewardshub.integrations.models import LaunchToken, LaunchView, PmsLink
from rewardshub.leads.actions import set_status
from rewardshub.leads.conversion import confirm_match, dismiss_match, propose_matches
from rewardshub.leads.models import Lead, LeadMatch, LeadStatus, MatchState
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

CHART = "OT-MIA"
MIA_CHART = {"first_name": "Mia", "last_name": "Lopez", "birth_date": "2013-02-09"}


def window_of(client: Client, answer: dict[str, str]) -> str:
    """Open set card's browser_url as the PMS does: where the window lands."""
    response = client.get(urlsplit(answer["browser_url"]).path)
    assert response.status_code == 302, response.content
    return response["Location"]


def test_set_card_proposes_the_match_and_opens_its_window(
    api: Api, cards: list[str], acworth: Practice, make_lead: Callable[..., Lead]
) -> None:
    lead = make_lead(acworth)

    answer = api.set_card(CHART, cards[0], **MIA_CHART).json()

    assert answer["outcome"] == "created"
    profile = Profile.objects.get(username=answer["username"])
    match = LeadMatch.objects.get()
    assert (match.lead, match.profile, match.basis, match.state) == (
        lead,
        profile,
        "name_birth",
        MatchState.PROPOSED,
    )
    assert LaunchToken.objects.get(profile=profile).view == LaunchView.LEAD_MATCH
    client = Client()
    where = window_of(client, answer)
    assert where == f"/leads/synced/{profile.public_id}/"
    page = client.get(where)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Mia is synced with the Patient Rewards Hub." in text
    assert "Is this patient a lead?" in text and "Yes, convert the lead" in text
    # Unconfirmed: nothing changes.
    lead.refresh_from_db()
    assert (lead.status, lead.converted_profile) == (LeadStatus.NEW, None)
    assert Profile.objects.count() == 1


def test_confirming_in_the_window_converts_the_lead_into_that_patient(
    api: Api, cards: list[str], acworth: Practice, make_lead: Callable[..., Lead]
) -> None:
    lead = make_lead(acworth)
    answer = api.set_card(CHART, cards[0], **MIA_CHART).json()
    client = Client()
    where = window_of(client, answer)
    match = LeadMatch.objects.get()

    response = client.post(f"/leads/matches/{match.public_id}/confirm/", {"back": "window"})

    assert response.status_code == 302 and response["Location"] == where
    lead.refresh_from_db()
    profile = Profile.objects.get(username=answer["username"])
    assert (lead.converted_profile, lead.status) == (profile, LeadStatus.STARTED_TREATMENT)
    assert Profile.objects.count() == 1  # no duplicate profile
    assert PmsLink.objects.get(chart_id=CHART).profile == profile
    match.refresh_from_db()
    assert match.state == MatchState.CONFIRMED
    assert match.decided_by == "Orthotrac"
    event = AuditEvent.objects.get(action="lead.convert")
    assert (event.profile, event.detail["to"]) == (profile, "started_treatment")
    page = client.get(where).content.decode()
    assert "Converted: the lead is hub patient" in page and "Yes, convert the lead" not in page


def test_a_repeated_set_card_asks_again_until_decided_then_not(
    api: Api, cards: list[str], acworth: Practice, make_lead: Callable[..., Lead]
) -> None:
    make_lead(acworth)
    first = api.set_card(CHART, cards[0], **MIA_CHART).json()
    again = api.set_card(CHART, cards[0], **MIA_CHART).json()
    assert again["outcome"] == "already_linked"
    assert LeadMatch.objects.count() == 1
    profile = Profile.objects.get(username=first["username"])
    assert list(LaunchToken.objects.filter(profile=profile).values_list("view", flat=True)) == [
        "lead_match",
        "lead_match",
    ]

    dismiss_match(practice=acworth, match=LeadMatch.objects.get(), actor=SYSTEM)
    api.set_card(CHART, cards[0], **MIA_CHART)

    assert LeadMatch.objects.get().state == MatchState.DISMISSED
    assert LaunchToken.objects.filter(profile=profile).order_by("-id")[0].view == "synced"
    assert AuditEvent.objects.filter(action="lead.match_dismiss", profile=profile).count() == 1


def test_it_matches_on_email_and_last_name_but_not_on_email_alone(
    api: Api, cards: list[str], acworth: Practice, make_lead: Callable[..., Lead]
) -> None:
    lead = make_lead(acworth, birth_date=None, first_name="Mia")
    # A sibling with the family's email but another last name: email alone is not enough.
    api.set_card("OT-SIB", cards[1], first_name="Max", last_name="Reyes", email=MIA["email"])
    assert not LeadMatch.objects.exists()

    api.set_card(
        CHART, cards[0], first_name="Amelia", last_name="LÓPEZ", email="MIA.LOPEZ@example.com"
    )

    match = LeadMatch.objects.get()
    assert (match.lead, match.basis) == (lead, "email")


def test_no_match_with_a_closed_lead_or_another_practices(
    api: Api,
    cards: list[str],
    acworth: Practice,
    riverside: Practice,
    make_lead: Callable[..., Lead],
) -> None:
    lost = make_lead(acworth)
    set_status(practice=acworth, lead=lost, status=LeadStatus.LOST, actor=SYSTEM)
    make_lead(riverside)

    answer = api.set_card(CHART, cards[0], **MIA_CHART).json()

    assert answer["outcome"] == "created"
    assert not LeadMatch.objects.exists()
    assert LaunchToken.objects.get().view == LaunchView.SYNCED


def test_batch_and_update_propose_matches_for_the_leads_page(
    api: Api, acworth: Practice, make_lead: Callable[..., Lead], frontdesk_client: Client
) -> None:
    lead = make_lead(acworth)
    api.batch([{"chart_id": CHART, "first_name": "Mia", "last_name": "Lopes"}])
    assert not LeadMatch.objects.exists()

    api.update(CHART, **MIA_CHART)

    match = LeadMatch.objects.get()
    assert match.lead == lead and match.profile.kind == "chart"
    other = make_lead(
        acworth, first_name="Ava", last_name="Reed", email="", phone="7705550100", birth_date=None
    )
    api.batch(
        [
            {
                "chart_id": "OT-AVA",
                "first_name": "Ava",
                "last_name": "Reed",
                "email": "",
                "birth_date": "2012-01-01",
            }
        ]
    )
    assert not LeadMatch.objects.filter(lead=other).exists()  # no birth date on the lead, no email
    page = frontdesk_client.get("/leads/").content.decode()
    assert "Possible matches to confirm" in page and str(match.public_id) in page


def test_a_batch_sync_proposes_the_match_of_a_new_chart(
    api: Api, acworth: Practice, make_lead: Callable[..., Lead]
) -> None:
    lead = make_lead(acworth)

    answer = api.batch(
        [{"chart_id": CHART, **MIA_CHART}, {"chart_id": "OT-2", **MIA_CHART, "first_name": "Noah"}]
    )

    assert [row["outcome"] for row in answer.json()["results"]] == ["created", "created"]
    match = LeadMatch.objects.get()
    assert (match.lead, match.profile.first_name, match.state) == (lead, "Mia", MatchState.PROPOSED)
    assert AuditEvent.objects.get(action="lead.match").profile == match.profile


def test_a_confirmed_link_proposes_the_match_in_the_same_window(
    api: Api,
    cards: list[str],
    acworth: Practice,
    make_lead: Callable[..., Lead],
    make_profile: Callable[..., Profile],
) -> None:
    # The hub already has Mia (added at the desk, birth date mistyped); a lead for her too.
    mia = make_profile(acworth, "Mia", "Lopez", card=cards[0], birth_date=dt.date(2013, 9, 2))
    lead = make_lead(acworth)
    answer = api.set_card(CHART, mia.username, **MIA_CHART).json()
    assert answer["outcome"] == "needs_confirmation"
    assert not LeadMatch.objects.exists()
    client = Client()
    where = window_of(client, answer)

    client.post(where + "link/")

    match = LeadMatch.objects.get()
    assert (match.lead, match.profile) == (lead, mia)
    page = client.get(where).content.decode()
    assert "Linked: Mia is synced with the Patient Rewards Hub." in page
    assert "Review the match" in page and f"/leads/synced/{mia.public_id}/" in page


class TestRefusals:
    def test_a_lead_converts_once(
        self,
        acworth: Practice,
        make_lead: Callable[..., Lead],
        make_profile: Callable[..., Profile],
    ) -> None:
        lead = make_lead(acworth)
        twins = [
            make_profile(acworth, "Mia", "Lopez", birth_date=MIA["birth_date"]) for _ in (1, 2)
        ]
        propose_matches(acworth, [p.public_id for p in twins], SYSTEM)
        first, second = LeadMatch.objects.order_by("profile_id")
        confirm_match(practice=acworth, match=first, actor=SYSTEM)

        with pytest.raises(ActionError) as refused:
            confirm_match(practice=acworth, match=second, actor=SYSTEM)

        assert refused.value.code == "match_decided"  # dismissed by the conversion
        second.refresh_from_db()
        assert second.state == MatchState.DISMISSED
        lead.refresh_from_db()
        assert lead.converted_profile == twins[0]

    def test_a_patient_is_the_conversion_of_one_lead(
        self,
        acworth: Practice,
        make_lead: Callable[..., Lead],
        make_profile: Callable[..., Profile],
    ) -> None:
        first = make_lead(acworth)
        second = make_lead(acworth, email="mia.other@example.com")
        mia = make_profile(acworth, "Mia", "Lopez", birth_date=MIA["birth_date"])
        propose_matches(acworth, [mia.public_id], SYSTEM)
        assert LeadMatch.objects.count() == 2
        confirm_match(practice=acworth, match=LeadMatch.objects.get(lead=first), actor=SYSTEM)

        with pytest.raises(ActionError) as refused:
            confirm_match(practice=acworth, match=LeadMatch.objects.get(lead=second), actor=SYSTEM)

        assert refused.value.code == "match_decided"
        second.refresh_from_db()
        assert second.converted_profile is None

    def test_another_practices_match_is_a_404(
        self,
        api: Api,
        cards: list[str],
        acworth: Practice,
        make_lead: Callable[..., Lead],
        outsider_client: Client,
    ) -> None:
        make_lead(acworth)
        answer = api.set_card(CHART, cards[0], **MIA_CHART).json()
        match = LeadMatch.objects.get()
        profile = Profile.objects.get(username=answer["username"])

        assert outsider_client.post(f"/leads/matches/{match.public_id}/confirm/").status_code == 404
        assert outsider_client.post(f"/leads/matches/{match.public_id}/dismiss/").status_code == 404
        assert outsider_client.get(f"/leads/synced/{profile.public_id}/").status_code == 404
        match.refresh_from_db()
        assert match.state == MatchState.PROPOSED
