"""Set card on a chart whose patient differs from the hub patient the number names:
nothing is linked until staff confirm it in the hub (issue 11, section 1)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from tests.integrations.conftest import CHART, Api

from rewardshub.audit.models import AuditEvent
from rewardshub.integrations.models import LinkState, PendingLink, PmsLink, SyncEvent
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

BORN = dt.date(2010, 5, 9)
# Emma as the hub knows her, and her chart as the PMS sends it (they agree).
CHART_EMMA = {"first_name": "Emma", "last_name": "Johnson", "birth_date": "2010-05-09"}


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    return make_profile(
        acworth, "Emma", "Johnson", birth_date=BORN, email="johnson.family@example.com"
    )


def _path(url: str) -> str:
    return urlsplit(url).path


def _open(client: Client, url: str) -> tuple[Any, str]:
    """Follow a one-time link like a browser; the last response and its address."""
    response = client.get(_path(url), follow=True)
    final = response.redirect_chain[-1][0] if response.redirect_chain else _path(url)
    return response, final


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _hold(api: Api, emma: Profile, **chart: Any) -> dict[str, Any]:
    response = api.set_card(CHART, emma.username, **{**CHART_EMMA, **chart})
    assert response.status_code == 202, response.content
    return dict(response.json())


def _nothing_linked(emma: Profile) -> None:
    assert not PmsLink.objects.filter(chart_id=CHART).exists()
    fresh = Profile.objects.get(pk=emma.pk)
    assert (fresh.first_name, fresh.last_name, fresh.birth_date, fresh.email) == (
        "Emma",
        "Johnson",
        BORN,
        "johnson.family@example.com",
    )


class TestSetCardHolds:
    @pytest.mark.parametrize(
        ("chart", "differences"),
        [
            ({"first_name": "Emily"}, ["first_name"]),
            ({"last_name": "Jonson"}, ["last_name"]),
            ({"birth_date": "2010-09-05"}, ["birth_date"]),
            ({"first_name": "Ava", "birth_date": "2011-05-09"}, ["first_name", "birth_date"]),
        ],
    )
    def test_it_links_nothing_when_the_chart_differs(
        self, api: Api, emma: Profile, chart: dict[str, str], differences: list[str]
    ) -> None:
        body = _hold(api, emma, **chart, email="someone.else@example.com")

        assert body["outcome"] == "needs_confirmation"
        assert body["differences"] == differences
        assert body["username"] == emma.username
        assert body["expires_in"] == 1800
        assert "a staff member must confirm in the hub" in body["message"]
        assert _path(body["browser_url"]).startswith("/launch/")
        _nothing_linked(emma)
        pending = PendingLink.objects.get()
        assert (pending.state, pending.chart_id, pending.profile) == ("pending", CHART, emma)
        event = SyncEvent.objects.filter(action="set_card").latest("id")
        assert event.outcome == "needs_confirmation" and event.profile == emma
        # The Sync log names the fields, never the chart's values.
        assert "Emily" not in event.message and "someone.else" not in event.message

    def test_it_counts_a_birth_date_missing_on_the_chart_as_a_difference(
        self, api: Api, emma: Profile
    ) -> None:
        response = api.set_card(CHART, emma.username, first_name="Emma", last_name="Johnson")

        assert response.status_code == 202
        assert response.json()["differences"] == ["birth_date"]
        _nothing_linked(emma)

    def test_it_counts_a_birth_date_missing_on_the_profile_as_a_difference(
        self, api: Api, acworth: Practice, make_profile: Callable[..., Profile]
    ) -> None:
        undated = make_profile(acworth, "Emma", "Johnson")

        response = api.set_card(CHART, undated.username, **CHART_EMMA)

        assert response.status_code == 202
        assert response.json()["differences"] == ["birth_date"]

    def test_it_holds_a_swiped_card_of_another_patient_too(
        self, api: Api, acworth: Practice, cards: list[str], make_profile: Callable[..., Profile]
    ) -> None:
        liam = make_profile(acworth, "Liam", "Brown", card=cards[0], birth_date=BORN)

        response = api.set_card(CHART, f";{cards[0]}=9912?", **CHART_EMMA)

        assert response.status_code == 202
        assert response.json()["differences"] == ["first_name", "last_name"]
        assert response.json()["username"] == liam.username

    def test_it_links_at_once_when_names_differ_only_in_case_accents_and_spaces(
        self, api: Api, acworth: Practice, make_profile: Callable[..., Profile]
    ) -> None:
        jose = make_profile(acworth, "José", "Da Silva", birth_date=BORN)

        response = api.set_card(
            CHART, jose.username, first_name="JOSE", last_name="dasilva", birth_date="2010-05-09"
        )

        assert response.status_code == 200
        assert response.json()["outcome"] == "linked"

    def test_it_takes_the_preferred_name_for_the_first_name(
        self, api: Api, acworth: Practice, make_profile: Callable[..., Profile]
    ) -> None:
        bella = make_profile(acworth, "Isabella", "Rossi", birth_date=BORN)

        response = api.set_card(
            CHART,
            bella.username,
            first_name="Bella",
            preferred_name="Isabella",
            last_name="Rossi",
            birth_date="2010-05-09",
        )

        assert response.status_code == 200

    def test_it_lists_what_changed_when_the_chart_matches(
        self, api: Api, emma: Profile, tag_rules: Any
    ) -> None:
        response = api.set_card(
            CHART, emma.username, **CHART_EMMA, email="new@example.com", office="ACW"
        )

        assert response.status_code == 200
        body = response.json()
        assert body["outcome"] == "linked"
        assert body["changes"] == [
            "Email updated from johnson.family@example.com to new@example.com",
            "Location set to Acworth",
            "Tags set to *Acworth",
        ]
        # The window set card opens lists them too, once.
        response, final = _open(Client(), body["browser_url"])
        assert final == "/synced/"
        assert "Email updated from johnson.family@example.com to new@example.com" in _text(
            response
        )
        assert "new@example.com" not in final

    def test_it_answers_status_and_launch_with_the_waiting_confirmation(
        self, api: Api, emma: Profile
    ) -> None:
        _hold(api, emma, birth_date="2011-01-01")

        assert api.status(CHART).json() == {
            "linked": False,
            "state": "needs_confirmation",
            "username": emma.username,
        }
        launched = api.launch(CHART, "profile").json()
        assert launched["outcome"] == "needs_confirmation"
        assert "confirm in the hub" in launched["message"]
        response, final = _open(Client(), launched["url"])
        assert final.startswith("/link-confirmations/")
        assert "Is this the same patient?" in _text(response)
        chart_tab = api.launch(CHART, "chart")
        assert chart_tab.status_code == 409
        assert chart_tab.json()["error"] == "needs_confirmation"


class TestConfirmationWindow:
    def test_it_shows_both_records_and_what_would_change(self, api: Api, emma: Profile) -> None:
        body = _hold(api, emma, birth_date="2011-01-01", email="karen@example.com")

        response, final = _open(Client(), body["browser_url"])

        assert response.status_code == 200
        page = _text(response)
        assert "Is this the same patient?" in page
        assert "2010-05-09" in page and "2011-01-01" in page
        assert "Birth date updated from 2010-05-09 to 2011-01-01" in page
        assert "Email updated from johnson.family@example.com to karen@example.com" in page
        assert "Link these records" in page and "Cancel" in page
        # Opaque id only: no token, no patient data in the address.
        assert "Emma" not in final and "2011" not in final and emma.username not in final

    def test_it_works_once(self, api: Api, emma: Profile) -> None:
        body = _hold(api, emma, birth_date="2011-01-01")
        _open(Client(), body["browser_url"])

        response, _ = _open(Client(), body["browser_url"])

        assert response.status_code == 410

    def test_confirming_links_applies_the_chart_and_logs_it(
        self, api: Api, emma: Profile, tag_rules: Any
    ) -> None:
        body = _hold(
            api,
            emma,
            birth_date="2011-01-01",
            email="karen@example.com",
            office="ACW",
            pms_user="FRONTDESK",
        )
        browser = Client()
        _, page = _open(browser, body["browser_url"])

        response = browser.post(page.rstrip("/") + "/link/", follow=True)

        assert response.status_code == 200
        text = _text(response)
        assert "Linked: Emma is synced with the Patient Rewards Hub." in text
        assert "Birth date updated from 2010-05-09 to 2011-01-01" in text
        assert PmsLink.objects.get(chart_id=CHART).profile == emma
        fresh = Profile.objects.get(pk=emma.pk)
        assert (fresh.birth_date, fresh.email) == (dt.date(2011, 1, 1), "karen@example.com")
        assert fresh.location is not None and fresh.location.name == "Acworth"
        update = AuditEvent.objects.filter(action="profile.update", profile=emma).latest("id")
        assert update.detail == {"fields": ["birth_date", "email", "location"]}
        assert update.actor_label == "FRONTDESK via Orthotrac"  # the launched session
        confirm = AuditEvent.objects.get(action="pms.link_confirm")
        assert confirm.detail["differences"] == ["birth_date"]
        event = SyncEvent.objects.filter(action="set_card").latest("id")
        assert (event.outcome, event.profile) == ("linked", emma)
        assert "confirmed in the hub" in event.message
        pending = PendingLink.objects.get()
        assert (pending.state, pending.data) == (LinkState.CONFIRMED, {})
        assert api.status(CHART).json()["linked"] is True

    def test_signed_in_staff_confirm_from_the_sync_log(
        self, api: Api, emma: Profile, owner_client: Client
    ) -> None:
        _hold(api, emma, birth_date="2011-01-01")
        pending = PendingLink.objects.get()

        log = owner_client.get("/settings/integrations/sync-log/")
        address = f"/link-confirmations/{pending.public_id}/"
        assert address in _text(log)
        owner_client.post(address + "link/")

        assert PmsLink.objects.get(chart_id=CHART).profile == emma
        assert AuditEvent.objects.get(action="pms.link_confirm").actor_label == "owner"

    def test_the_window_opens_in_a_signed_in_owners_session(
        self, api: Api, emma: Profile, owner_client: Client, owner: Any
    ) -> None:
        # The browser_url opened where the owner is signed in: the owner stays
        # the owner (launch sessions), and confirms as themselves.
        body = _hold(api, emma, birth_date="2011-01-01")
        key = owner_client.session.session_key
        pending = PendingLink.objects.get()

        response, final = _open(owner_client, body["browser_url"])

        assert final == f"/link-confirmations/{pending.public_id}/"
        assert "Link these records" in _text(response)
        assert owner_client.session.session_key == key
        assert owner_client.session["_auth_user_id"] == str(owner.pk)
        owner_client.post(final + "link/")
        assert PmsLink.objects.get(chart_id=CHART).profile == emma
        assert AuditEvent.objects.get(action="pms.link_confirm").actor_label == "owner"

    def test_cancelling_changes_nothing(self, api: Api, emma: Profile) -> None:
        body = _hold(api, emma, birth_date="2011-01-01", email="karen@example.com")
        browser = Client()
        _, page = _open(browser, body["browser_url"])

        response = browser.post(page.rstrip("/") + "/cancel/", follow=True)

        assert "Cancelled: nothing was linked or changed." in _text(response)
        _nothing_linked(emma)
        pending = PendingLink.objects.get()
        assert (pending.state, pending.data) == (LinkState.CANCELLED, {})
        assert AuditEvent.objects.filter(action="pms.link_cancel", profile=emma).exists()
        assert not AuditEvent.objects.filter(action="profile.update", profile=emma).exists()
        assert api.status(CHART).json() == {"linked": False}
        # Decided once: confirming afterwards links nothing.
        again = browser.post(page.rstrip("/") + "/link/", follow=True)
        assert "already cancelled" in _text(again)
        _nothing_linked(emma)

    def test_it_expires_after_thirty_minutes(
        self, api: Api, emma: Profile, frontdesk_client: Client
    ) -> None:
        _hold(api, emma, birth_date="2011-01-01")
        pending = PendingLink.objects.get()
        lifetime = pending.expires_at - pending.created_at
        assert abs(lifetime - dt.timedelta(minutes=30)) < dt.timedelta(seconds=1)
        PendingLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        address = f"/link-confirmations/{pending.public_id}/"

        refused = frontdesk_client.post(address + "link/", follow=True)
        page = frontdesk_client.get(address)

        assert "This confirmation expired" in _text(refused)
        assert page.status_code == 410
        assert "run Set Patient Rewards Hub Card # again" in _text(page)
        _nothing_linked(emma)
        pending.refresh_from_db()
        assert (pending.state, pending.data) == (LinkState.EXPIRED, {})
        assert api.status(CHART).json() == {"linked": False}
        assert api.launch(CHART).json()["error"] == "not_synced"

    def test_another_practices_staff_get_404(
        self, api: Api, emma: Profile, outsider_client: Client
    ) -> None:
        _hold(api, emma, birth_date="2011-01-01")
        address = f"/link-confirmations/{PendingLink.objects.get().public_id}/"

        assert outsider_client.get(address).status_code == 404
        assert outsider_client.post(address + "link/").status_code == 404
        assert outsider_client.post(address + "cancel/").status_code == 404
        _nothing_linked(emma)
        assert PendingLink.objects.get().state == LinkState.PENDING

    def test_it_checks_again_at_confirm_time(
        self,
        api: Api,
        emma: Profile,
        frontdesk_client: Client,
    ) -> None:
        _hold(api, emma, birth_date="2011-01-01")
        # Meanwhile Emma's own chart is synced with her.
        assert api.set_card("OT-2002", emma.username, **CHART_EMMA).status_code == 200
        address = f"/link-confirmations/{PendingLink.objects.get().public_id}/"

        response = frontdesk_client.post(address + "link/", follow=True)

        assert "already synced with Orthotrac chart OT-2002" in _text(response)
        assert not PmsLink.objects.filter(chart_id=CHART).exists()
        assert PendingLink.objects.get().state == LinkState.PENDING

    def test_a_newer_set_card_replaces_the_waiting_one(
        self, api: Api, emma: Profile, cards: list[str]
    ) -> None:
        _hold(api, emma, birth_date="2011-01-01")

        api.set_card(CHART, cards[0], **{**CHART_EMMA, "first_name": "Nora"})

        assert PendingLink.objects.get().state == LinkState.EXPIRED
        assert api.status(CHART).json()["linked"] is True

    def test_a_newer_hold_replaces_the_waiting_one(self, api: Api, emma: Profile) -> None:
        _hold(api, emma, birth_date="2011-01-01")
        _hold(api, emma, birth_date="2011-02-02")

        states = PendingLink.objects.order_by("id").values_list("state", "data__birth_date")
        assert list(states) == [(LinkState.EXPIRED, None), (LinkState.PENDING, "2011-02-02")]


class TestBatchLead:
    def test_it_holds_handing_a_chart_only_profiles_chart_to_a_different_patient(
        self, api: Api, emma: Profile, frontdesk_client: Client
    ) -> None:
        api.batch([{"chart_id": CHART, "first_name": "Emma", "last_name": "Jonson"}])
        chart_only = PmsLink.objects.get(chart_id=CHART).profile

        response = api.set_card(
            CHART, emma.username, first_name="Emma", last_name="Jonson", birth_date="2010-05-09"
        )

        assert response.status_code == 202
        assert response.json()["differences"] == ["last_name"]
        assert PmsLink.objects.get(chart_id=CHART).profile == chart_only
        address = f"/link-confirmations/{PendingLink.objects.get().public_id}/"
        frontdesk_client.post(address + "link/")
        assert PmsLink.objects.get(chart_id=CHART).profile == emma
        assert Profile.objects.get(pk=emma.pk).last_name == "Jonson"
