"""Automatic logoff: idle staff, launched and portal sessions end, and the next page says why.

Time is moved by setting the session's last-seen stamp back, never by sleeping.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings
from tests.conftest import SYSTEM
from tests.integrations.conftest import CHART, EMMA, Api, make_key

from rewardshub.integrations.actions import set_frame_ancestors
from rewardshub.patients.models import Profile
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes
from rewardshub.practices.actions import update_practice_info
from rewardshub.practices.idle import SESSION_SEEN
from rewardshub.practices.models import Practice

STAFF_MESSAGE = "You were signed out after 15 minutes without activity, to protect patient data."
PORTAL_PASSWORD = "sparkly-braces-42"


def _age(client: Client, seconds: int) -> None:
    """Pretend the last request was `seconds` ago."""
    session = client.session
    session[SESSION_SEEN] = int(time.time()) - seconds
    session.save()


def _seen(client: Client) -> int | None:
    return client.session.get(SESSION_SEEN)


class TestStaff:
    def test_it_starts_the_clock_on_sign_in(self, owner: Any) -> None:
        client = Client()
        response = client.post(
            "/login/", {"username": "owner", "password": "correct-horse-battery"}
        )
        assert response.status_code == 302
        assert abs(_seen(client) - time.time()) < 5

    def test_it_keeps_a_session_used_within_the_timeout(self, owner_client: Client) -> None:
        owner_client.get("/patients/")
        _age(owner_client, 14 * 60)
        assert owner_client.get("/patients/").status_code == 200
        assert abs(_seen(owner_client) - time.time()) < 5

    def test_it_writes_the_stamp_at_most_once_a_minute(self, owner_client: Client) -> None:
        owner_client.get("/patients/")
        _age(owner_client, 30)
        stamp = _seen(owner_client)
        owner_client.get("/patients/")
        assert _seen(owner_client) == stamp

    def test_it_signs_out_after_fifteen_idle_minutes_and_says_why(
        self, owner_client: Client
    ) -> None:
        owner_client.get("/patients/")
        _age(owner_client, 15 * 60 + 1)

        response = owner_client.get("/patients/?q=x")

        assert response.status_code == 401
        body = response.content.decode()
        assert STAFF_MESSAGE in body
        assert 'href="/login/?next=%2Fpatients%2F%3Fq%3Dx"' in body
        assert "_auth_user_id" not in owner_client.session
        again = owner_client.get("/patients/")
        assert again.status_code == 302 and again["Location"].startswith("/login/?next=")

    def test_it_refuses_a_write_from_an_idle_session(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        owner_client.get("/patients/")
        _age(owner_client, 16 * 60)
        response = owner_client.post("/settings/", {"name": "Taken over"})
        assert response.status_code == 401
        acworth.refresh_from_db()
        assert acworth.name == "Acworth Orthodontics"

    def test_it_uses_the_practice_timeout(self, owner_client: Client, acworth: Practice) -> None:
        update_practice_info(
            practice=acworth,
            name=acworth.name,
            time_zone=acworth.time_zone,
            idle_timeout_minutes=5,
            actor=SYSTEM,
        )
        owner_client.get("/patients/")
        _age(owner_client, 5 * 60 + 1)
        response = owner_client.get("/patients/")
        assert response.status_code == 401
        assert "after 5 minutes without activity" in response.content.decode()

    def test_it_lets_the_login_page_through_after_the_timeout(self, owner_client: Client) -> None:
        owner_client.get("/patients/")
        _age(owner_client, 20 * 60)
        response = owner_client.post(
            "/login/", {"username": "owner", "password": "correct-horse-battery"}
        )
        assert response.status_code == 302
        assert owner_client.get("/patients/").status_code == 200


@pytest.fixture
def launched(acworth: Practice, issue_cards: Any) -> tuple[Client, Profile]:
    api = Api(client=Client(), token=make_key(acworth)[1])
    api.set_card(CHART, issue_cards(acworth, 1)[0], **EMMA)
    set_frame_ancestors(practice=acworth, origins=["https://pms.example.com"], actor=SYSTEM)
    url = api.launch(CHART, "chart").json()["url"]
    browser = Client()
    assert browser.get(urlsplit(url).path).status_code == 302
    return browser, Profile.objects.get(practice=acworth)


class TestLaunched:
    def test_it_ends_an_idle_chart_tab_session_and_says_to_launch_again(
        self, launched: tuple[Client, Profile]
    ) -> None:
        browser, emma = launched
        assert browser.get(f"/chart/{emma.public_id}/").status_code == 200
        _age(browser, 15 * 60 + 1)

        response = browser.get(f"/chart/{emma.public_id}/")

        assert response.status_code == 401
        body = response.content.decode()
        assert STAFF_MESSAGE in body
        assert "Go back to the PMS and launch the Patient Rewards Hub again." in body
        assert "Emma" not in body
        # Still shown inside the PMS's chart tab.
        assert "frame-ancestors https://pms.example.com" in response["Content-Security-Policy"]
        assert "launch" not in browser.session

    def test_it_keeps_a_busy_chart_tab_session(self, launched: tuple[Client, Profile]) -> None:
        browser, emma = launched
        _age(browser, 10 * 60)
        assert browser.get(f"/chart/{emma.public_id}/").status_code == 200

    def test_it_ends_an_idle_session_opened_on_the_profile_page(
        self, launched: tuple[Client, Profile], acworth: Practice
    ) -> None:
        _, emma = launched
        api = Api(client=Client(), token=make_key(acworth)[1])
        browser = Client()
        browser.get(urlsplit(api.launch(CHART, "profile", pms_user="FRONTDESK").json()["url"]).path)
        assert abs(_seen(browser) - time.time()) < 5  # the clock started at the launch
        assert browser.get(f"/patients/{emma.public_id}/").status_code == 200
        _age(browser, 15 * 60 + 1)

        response = browser.get(f"/patients/{emma.public_id}/")

        assert response.status_code == 401
        body = response.content.decode()
        assert STAFF_MESSAGE in body
        assert "Go back to the PMS and launch the Patient Rewards Hub again." in body
        assert "Emma" not in body
        assert "launch" not in browser.session
        again = browser.get(f"/patients/{emma.public_id}/")
        assert again.status_code == 302 and again["Location"].startswith("/login/")


@pytest.fixture
def portal_client(acworth: Practice, issue_cards: Any, make_profile: Any) -> Client:
    profile = make_profile(acworth, card=issue_cards(acworth, 1)[0])
    activate_account(
        profile=profile,
        temp_hash=temp_password_hashes(profile, None)[0],
        password=PORTAL_PASSWORD,
        email="",
        actor=SYSTEM,
    )
    client = Client()
    login = client.post(
        "/portal/login/", {"identifier": profile.username, "password": PORTAL_PASSWORD}
    )
    assert login.status_code == 302 and login["Location"] == "/portal/"
    return client


class TestPortal:
    def test_it_keeps_a_patient_for_half_an_hour(self, portal_client: Client) -> None:
        _age(portal_client, 29 * 60)
        assert portal_client.get("/portal/").status_code == 200

    def test_it_logs_a_patient_out_after_thirty_idle_minutes(self, portal_client: Client) -> None:
        _age(portal_client, 30 * 60 + 1)

        response = portal_client.get("/portal/history/")

        assert response.status_code == 401
        body = response.content.decode()
        assert "You were logged out after 30 minutes without activity" in body
        assert 'href="/portal/login/"' in body
        assert portal_client.get("/portal/").status_code == 302

    @override_settings(PORTAL_IDLE_MINUTES=2)
    def test_it_takes_the_portal_timeout_from_the_settings(self, portal_client: Client) -> None:
        _age(portal_client, 3 * 60)
        response = portal_client.get("/portal/")
        assert response.status_code == 401
        assert "after 2 minutes" in response.content.decode()
