"""Patient log-in: username, active card, email; the first log-in; retired cards; lockouts."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.utils import formats, timezone

from rewardshub.audit.models import AuditEvent, Outcome
from rewardshub.cards.actions import connect_card, replace_card
from rewardshub.cards.models import Card
from rewardshub.portal.auth import BAD_CREDENTIALS, address_limiter, username_limiter
from rewardshub.portal.models import PortalAccount
from rewardshub.portal.session import SESSION_PROFILE
from rewardshub.practices.models import Practice

from .conftest import LOGIN, NEW_PASSWORD, SYSTEM, Patient


def _login(client: Client, identifier: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN, {"identifier": identifier, "password": password}, **extra)


def _logged_in(client: Client) -> bool:
    return SESSION_PROFILE in client.session


def _activate(client: Client, last_name: str = "Johnson", email: str = "") -> Any:
    return client.post(
        "/portal/welcome/",
        {
            "last_name": last_name,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "email": email,
        },
    )


def _locked_message(key: str) -> str:
    until = username_limiter().locked_until(key)
    assert until is not None
    at = time.strftime("%H:%M", time.gmtime(until))
    return (
        "Too many wrong passwords for this card. Logging in is locked for 10 more minutes "
        f"(until {at} UTC). Try again then, or ask the front desk for a new password."
    )


class TestFirstLogin:
    def test_it_asks_who_it_is_after_the_temporary_password(
        self, client: Client, patient: Patient
    ) -> None:
        response = _login(client, patient.username, patient.card.temp_password)
        assert response.status_code == 302 and response["Location"] == "/portal/welcome/"
        assert not _logged_in(client)
        page = client.get("/portal/welcome/")
        assert page.status_code == 200
        assert "Welcome! Is this your card?" in page.content.decode()

    def test_it_shows_nothing_personal_until_the_last_name_checks_out(
        self, client: Client, patient: Patient
    ) -> None:
        # A 4-digit password is one guess in 10,000: what it opens must not say
        # whose card it is, nor at which practice, until the last name matches.
        patient.profile.preferred_name = "Emmy"
        patient.profile.save(update_fields=["preferred_name"])
        personal = ("Emma", "Emmy", "Johnson", "Acworth")
        login = _login(client, patient.username, patient.card.temp_password)
        assert login["Location"] == "/portal/welcome/"
        pages = [client.get("/portal/welcome/"), _activate(client, last_name="Smith")]
        assert [p.status_code for p in pages] == [200, 422]
        for page in pages:
            text = page.content.decode()
            assert [word for word in personal if word in text] == []
        # The right last name: now the portal greets the patient.
        assert _activate(client)["Location"] == "/portal/"
        assert "Hi Emmy!" in client.get("/portal/").content.decode()

    def test_it_shows_no_name_before_the_temporary_password_checks_out(
        self, client: Client, patient: Patient
    ) -> None:
        wrong = "0000" if patient.card.temp_password != "0000" else "1111"
        response = _login(client, patient.username, wrong)
        assert response.status_code == 401
        assert "Emma" not in response.content.decode()
        assert client.get("/portal/welcome/")["Location"] == "/portal/login/"

    def test_it_sets_the_password_and_kills_the_temporary_one(
        self, client: Client, patient: Patient
    ) -> None:
        _login(client, patient.username, patient.card.temp_password)
        response = _activate(client, email="Emma.J@Example.com")
        assert response.status_code == 302 and response["Location"] == "/portal/"
        assert _logged_in(client)
        account = PortalAccount.objects.get(profile=patient.profile)
        assert account.is_active and account.email == "emma.j@example.com"
        assert account.password.startswith("argon2")
        assert Card.objects.get(number=patient.card.number).temp_password_hash == ""
        again = _login(Client(), patient.username, patient.card.temp_password)
        assert again.status_code == 401 and again.context["error"] == BAD_CREDENTIALS
        assert AuditEvent.objects.filter(
            action="portal.activate", profile=patient.profile, actor_kind="patient"
        ).exists()

    def test_it_refuses_a_wrong_last_name(self, client: Client, patient: Patient) -> None:
        _login(client, patient.username, patient.card.temp_password)
        response = _activate(client, last_name="Smith")
        assert response.status_code == 422
        assert "That last name doesn’t match this card." in response.context["error"]
        assert not PortalAccount.objects.filter(profile=patient.profile).exists()
        assert Card.objects.get(number=patient.card.number).temp_password_hash != ""

    def test_it_accepts_the_last_name_in_any_case(self, client: Client, patient: Patient) -> None:
        _login(client, patient.username, patient.card.temp_password)
        assert _activate(client, last_name="  johnson ").status_code == 302

    def test_it_enforces_the_password_rules(self, client: Client, patient: Patient) -> None:
        _login(client, patient.username, patient.card.temp_password)
        response = client.post(
            "/portal/welcome/",
            {"last_name": "Johnson", "password1": "short", "password2": "short"},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["password1"] == [
            "Your password needs at least 8 characters."
        ]
        common = client.post(
            "/portal/welcome/",
            {"last_name": "Johnson", "password1": "password123", "password2": "password123"},
        )
        assert "This password is too common." in common.context["form"].errors["password1"]
        assert not PortalAccount.objects.filter(profile=patient.profile).exists()

    def test_it_refuses_an_email_another_account_uses(
        self, client: Client, activated: Patient, batch: Any, make_profile: Any, acworth: Practice
    ) -> None:
        other = make_profile(acworth, first="Olivia", last="Chen", card=batch[1].number)
        _login(client, other.username, batch[1].temp_password)
        response = _activate(client, last_name="Chen", email="emma.johnson@example.com")
        assert response.status_code == 422
        assert response.context["form"].errors["email"] == [
            "That email is already used by another account at this practice. "
            "Use a different email, or leave it empty."
        ]


class TestLogin:
    def test_it_logs_in_with_the_username(self, client: Client, activated: Patient) -> None:
        response = _login(client, activated.username, NEW_PASSWORD)
        assert response.status_code == 302 and response["Location"] == "/portal/"
        assert client.session[SESSION_PROFILE] == activated.profile.pk
        event = AuditEvent.objects.filter(action="portal.login").latest("id")
        assert (event.actor_kind, event.outcome, event.profile_id) == (
            "patient",
            Outcome.OK,
            activated.profile.pk,
        )

    def test_it_logs_in_with_the_active_card_typed_or_swiped(
        self, client: Client, acworth: Practice, batch: Any, make_profile: Any
    ) -> None:
        # A profile that began without a card: its username is not the card's number.
        profile = make_profile(acworth, first="Mia", last="Thompson")
        connect_card(practice=acworth, profile=profile, raw=batch[2].number, actor=SYSTEM)
        spaced = " ".join(batch[2].number[i : i + 4] for i in range(0, 16, 4))
        response = _login(client, spaced, batch[2].temp_password)
        assert response["Location"] == "/portal/welcome/"
        assert _activate(client, last_name="Thompson").status_code == 302
        swiped = _login(Client(), f";{batch[2].number}=9912?", NEW_PASSWORD)
        assert swiped.status_code == 302 and swiped["Location"] == "/portal/"

    def test_it_logs_in_with_the_email_after_activation(
        self, client: Client, activated: Patient
    ) -> None:
        response = _login(client, "EMMA.johnson@example.com", NEW_PASSWORD)
        assert response.status_code == 302 and response["Location"] == "/portal/"

    def test_it_gives_unknown_names_and_wrong_passwords_one_answer(
        self, client: Client, activated: Patient
    ) -> None:
        wrong = _login(client, activated.username, "not-my-password")
        unknown = _login(client, "6277000000000000", NEW_PASSWORD)
        nonsense = _login(client, "nobody", NEW_PASSWORD)
        for response in (wrong, unknown, nonsense):
            assert response.status_code == 401
            assert response.context["error"] == BAD_CREDENTIALS
        assert not _logged_in(client)

    def test_it_says_a_retired_card_was_replaced(
        self, client: Client, acworth: Practice, batch: Any, make_profile: Any
    ) -> None:
        profile = make_profile(acworth, first="Mia", last="Thompson")
        connect_card(practice=acworth, profile=profile, raw=batch[2].number, actor=SYSTEM)
        replace_card(practice=acworth, profile=profile, raw=batch[3].number, actor=SYSTEM)
        old = Card.objects.get(number=batch[2].number)
        response = _login(client, batch[2].number, batch[2].temp_password)
        assert response.status_code == 409
        with timezone.override(acworth.time_zone):
            when = formats.date_format(timezone.localtime(old.retired_at), "N j, Y")
        assert response.context["error"] == (
            f"This card was replaced on {when} and no longer works. Use your new card."
        )
        assert not _logged_in(client)
        # The new card works.
        assert _login(client, batch[3].number, batch[3].temp_password).status_code == 302

    def test_it_logs_out_by_post(self, portal_client: Client) -> None:
        assert portal_client.get("/portal/logout/").status_code == 405
        response = portal_client.post("/portal/logout/")
        assert response["Location"] == "/portal/login/"
        assert portal_client.get("/portal/")["Location"] == "/portal/login/"

    def test_it_rotates_the_session_key_on_login(self, client: Client, activated: Patient) -> None:
        client.get(LOGIN)
        client.session.save()
        before = client.session.session_key
        _login(client, activated.username, NEW_PASSWORD)
        assert client.session.session_key != before

    def test_it_ends_other_sessions_when_the_password_changes(
        self, portal_client: Client, activated: Patient
    ) -> None:
        account = PortalAccount.objects.get(profile=activated.profile)
        account.set_password("another-long-password")
        account.save()
        assert portal_client.get("/portal/")["Location"] == "/portal/login/"


class TestLockout:
    def test_it_locks_the_username_after_five_failures(
        self, client: Client, activated: Patient
    ) -> None:
        for _ in range(4):
            assert _login(client, activated.username, "wrong-password").status_code == 401
        response = _login(client, activated.username, "wrong-password")
        assert response.status_code == 429
        assert response.context["error"] == _locked_message(activated.username)
        until = username_limiter().locked_until(activated.username)
        assert until is not None and 590 <= until - time.time() <= 600
        failed = AuditEvent.objects.filter(action="portal.login", outcome=Outcome.FAILED)
        assert failed.count() == 5 and {e.actor_kind for e in failed} == {"patient"}

    def test_it_refuses_the_right_password_while_locked(
        self, client: Client, activated: Patient
    ) -> None:
        for _ in range(5):
            _login(client, activated.username, "wrong-password")
        response = _login(client, activated.username, NEW_PASSWORD)
        assert response.status_code == 429
        assert response.context["error"] == _locked_message(activated.username)
        assert not _logged_in(client)
        # The card number and the email are the same username.
        by_email = _login(client, "emma.johnson@example.com", NEW_PASSWORD)
        assert by_email.status_code == 429

    def test_it_lets_the_username_in_after_ten_minutes(
        self, client: Client, activated: Patient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for _ in range(5):
            _login(client, activated.username, "wrong-password")
        later = time.time() + 601
        monkeypatch.setattr(time, "time", lambda: later)
        assert _login(client, activated.username, NEW_PASSWORD).status_code == 302

    def test_it_stops_guessing_across_usernames_from_one_address(
        self, client: Client, activated: Patient, batch: Any
    ) -> None:
        # 4 tries each on 5 different cards: no username locks, the address does.
        numbers = [card.number for card in batch[1:6]]
        responses = [
            _login(client, number, f"{guess:04d}") for number in numbers for guess in range(4)
        ]
        assert [r.status_code for r in responses[:19]] == [401] * 19
        last = responses[19]
        assert last.status_code == 429
        assert last.context["error"].startswith(
            "Too many failed log-ins from this network. Logging in from here is paused for "
            "10 more minutes (until "
        )
        # Even the right password of another patient, from this address.
        blocked = _login(client, activated.username, NEW_PASSWORD)
        assert blocked.status_code == 429 and not _logged_in(client)
        assert address_limiter().locked_until("127.0.0.1") is not None
        # Another address is not blocked.
        other = _login(Client(), activated.username, NEW_PASSWORD, REMOTE_ADDR="10.0.0.9")
        assert other.status_code == 302

    def test_staff_lift_the_lock_with_a_new_temporary_password(
        self, client: Client, activated: Patient, frontdesk_client: Client
    ) -> None:
        for _ in range(5):
            _login(client, activated.username, "wrong-password")
        frontdesk_client.post(f"/portal/staff/{activated.profile.public_id}/temp-password/")
        assert username_limiter().locked_until(activated.username) is None
