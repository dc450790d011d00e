"""Password reset by email, and the front desk's new temporary password."""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from rewardshub.audit.models import AuditEvent
from rewardshub.cards.models import Card
from rewardshub.cards.temp_passwords import check_temp_password
from rewardshub.portal.models import PortalAccount
from rewardshub.portal.session import SESSION_PROFILE

from .conftest import LOGIN, NEW_PASSWORD, Patient

RESET_PASSWORD = "a-brand-new-password"


def _link(message: Any) -> str:
    match = re.search(r"http://testserver(/portal/password/reset/[^/\s]+/)", message.body)
    assert match is not None, message.body
    return match.group(1)


class TestReset:
    def test_it_mails_a_link_without_patient_data(self, client: Client, activated: Patient) -> None:
        response = client.post("/portal/password/forgot/", {"email": "emma.johnson@example.com"})
        assert response.status_code == 200
        assert "If that email belongs to a rewards account" in response.content.decode()
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["emma.johnson@example.com"]
        assert message.subject == "Your Acworth Orthodontics rewards password"
        path = _link(message)
        assert activated.username not in path and "emma" not in path.lower()
        assert AuditEvent.objects.filter(action="portal.reset_request").count() == 1

    def test_it_gives_an_unknown_email_the_same_answer(
        self, client: Client, activated: Patient
    ) -> None:
        response = client.post("/portal/password/forgot/", {"email": "nobody@example.com"})
        assert "If that email belongs to a rewards account" in response.content.decode()
        assert mail.outbox == []

    def test_it_resets_the_password_once(self, client: Client, activated: Patient) -> None:
        client.post("/portal/password/forgot/", {"email": "emma.johnson@example.com"})
        path = _link(mail.outbox[0])
        assert client.get(path).status_code == 200
        response = client.post(path, {"password1": RESET_PASSWORD, "password2": RESET_PASSWORD})
        assert response["Location"] == LOGIN
        login = client.post(LOGIN, {"identifier": activated.username, "password": RESET_PASSWORD})
        assert login["Location"] == "/portal/"
        old = Client().post(LOGIN, {"identifier": activated.username, "password": NEW_PASSWORD})
        assert old.status_code == 401
        # The link is spent.
        again = client.get(path)
        assert again.status_code == 400
        assert "This link doesn’t work any more" in again.content.decode()

    def test_it_refuses_a_tampered_token(self, client: Client, activated: Patient) -> None:
        assert client.get("/portal/password/reset/not-a-token/").status_code == 400


class TestStaffTempPassword:
    URL = "/portal/staff/{}/temp-password/"

    def test_it_shows_a_new_temporary_password_once(
        self, frontdesk_client: Client, activated: Patient
    ) -> None:
        # The answer to the POST shows it: there is no later page to keep it for.
        page = frontdesk_client.post(self.URL.format(activated.profile.public_id))
        assert page.status_code == 200 and "no-store" in page["Cache-Control"]
        password = page.context["password"]
        assert re.fullmatch(r"[0-9]{4}", password)
        assert password in page.content.decode()
        assert "shown only once" in page.content.decode()
        event = AuditEvent.objects.get(action="portal.temp_password")
        assert (event.actor_kind, event.actor_label) == ("staff", "frontdesk")
        # The patient logs in with it, confirms and chooses a new password.
        client = Client()
        login = client.post(LOGIN, {"identifier": activated.username, "password": password})
        assert login["Location"] == "/portal/welcome/"
        done = client.post(
            "/portal/welcome/",
            {"last_name": "Johnson", "password1": RESET_PASSWORD, "password2": RESET_PASSWORD},
        )
        assert done["Location"] == "/portal/" and SESSION_PROFILE in client.session
        assert PortalAccount.objects.get(profile=activated.profile).temp_password_hash == ""

    def test_it_works_before_the_first_login_too(
        self, frontdesk_client: Client, patient: Patient
    ) -> None:
        page = frontdesk_client.post(self.URL.format(patient.profile.public_id))
        client = Client()
        login = client.post(
            LOGIN, {"identifier": patient.username, "password": page.context["password"]}
        )
        assert login["Location"] == "/portal/welcome/"
        client.post(
            "/portal/welcome/",
            {"last_name": "Johnson", "password1": RESET_PASSWORD, "password2": RESET_PASSWORD},
        )
        # Every temporary password died with the first log-in, the card's too.
        assert Card.objects.get(number=patient.card.number).temp_password_hash == ""

    def test_no_session_keeps_the_password(
        self, frontdesk_client: Client, activated: Patient
    ) -> None:
        page = frontdesk_client.post(self.URL.format(activated.profile.public_id))
        password = page.context["password"]
        stored = PortalAccount.objects.get(profile=activated.profile).temp_password_hash
        assert check_temp_password(password, stored)
        # Every session row, decoded: no four digits in it open the account.
        texts = [
            json.dumps(SessionStore().decode(row.session_data)) for row in Session.objects.all()
        ]
        assert texts, "the staff session is a database row"
        held = [
            digits
            for text in texts
            for digits in re.findall(r"(?<!\d)\d{4}(?!\d)", text)
            if check_temp_password(digits, stored)
        ]
        assert held == []

    def test_the_profile_page_shows_the_portal_box(
        self, frontdesk_client: Client, patient: Patient
    ) -> None:
        url = f"/patients/{patient.profile.public_id}/"
        before = frontdesk_client.get(url).content.decode()
        assert "Patient portal" in before and "Not set up yet" in before
        assert f'action="{self.URL.format(patient.profile.public_id)}"' in before
        assert "New portal password" in before
        client = Client()
        client.post(LOGIN, {"identifier": patient.username, "password": patient.card.temp_password})
        client.post(
            "/portal/welcome/",
            {"last_name": "Johnson", "password1": RESET_PASSWORD, "password2": RESET_PASSWORD},
        )
        after = frontdesk_client.get(url).content.decode()
        assert "Using the portal since" in after and "No email on file." in after

    def test_it_is_a_404_for_another_practices_patient(
        self, outsider_client: Client, activated: Patient
    ) -> None:
        response = outsider_client.post(self.URL.format(activated.profile.public_id))
        assert response.status_code == 404
        assert not AuditEvent.objects.filter(action="portal.temp_password").exists()

    def test_it_refuses_a_get(self, frontdesk_client: Client, activated: Patient) -> None:
        assert frontdesk_client.get(self.URL.format(activated.profile.public_id)).status_code == 405

    def test_it_refuses_a_form_from_before_the_last_new_password(
        self, frontdesk_client: Client, activated: Patient
    ) -> None:
        profile_url = f"/patients/{activated.profile.public_id}/"
        page = frontdesk_client.get(profile_url).content.decode()
        found = re.search(r'name="issued" value="([0-9a-f]{20})"', page)
        assert found is not None
        form = {"issued": found.group(1)}
        url = self.URL.format(activated.profile.public_id)

        first = frontdesk_client.post(url, form)
        assert first.status_code == 200
        given = PortalAccount.objects.get(profile=activated.profile).temp_password_hash
        # The same form again (a reload, Forward, a double click): nothing is replaced.
        again = frontdesk_client.post(url, form, follow=True)
        assert again.redirect_chain == [(profile_url, 302)]
        assert (
            "A new portal password was already made from that page, and shown once. "
            "To make another, press New portal password again."
        ) in again.content.decode()
        assert PortalAccount.objects.get(profile=activated.profile).temp_password_hash == given
        assert AuditEvent.objects.filter(action="portal.temp_password").count() == 1
        # The profile's button now carries the new stamp, and makes another on purpose.
        fresh = re.search(r'name="issued" value="([0-9a-f]{20})"', again.content.decode())
        assert fresh is not None and fresh.group(1) != form["issued"]
        assert frontdesk_client.post(url, {"issued": fresh.group(1)}).status_code == 200
        assert AuditEvent.objects.filter(action="portal.temp_password").count() == 2
