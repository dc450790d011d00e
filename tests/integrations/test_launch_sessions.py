"""A launch respects who is signed in: the session a launch link opens its profile in."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from tests.conftest import SYSTEM
from tests.integrations.conftest import CHART, EMMA, Api

from rewardshub.audit.models import AuditEvent
from rewardshub.integrations.actions import set_frame_ancestors
from rewardshub.integrations.launch_session import SESSION_PENDING
from rewardshub.integrations.models import LaunchToken
from rewardshub.patients.models import Profile
from rewardshub.practices.actions import add_staff
from rewardshub.practices.idle import SESSION_SEEN
from rewardshub.practices.models import Practice, Role

CHOICE = "/launch-choice/"
ANSWER = "/launch-choice/answer/"
PMS_ACTOR = "FRONTDESK via Orthotrac"


@pytest.fixture
def emma(api: Api, cards: list[str]) -> Profile:
    api.set_card(CHART, cards[0], **EMMA)
    return Profile.objects.get(username=cards[0])


@pytest.fixture
def link(api: Api, emma: Profile) -> str:
    """A fresh launch link's path for Emma's profile, launched by FRONTDESK."""
    return urlsplit(api.launch(CHART, "profile", pms_user="FRONTDESK").json()["url"]).path


def _opened() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="pms.launch_open"))


def _csrf(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


class TestSamePractice:
    def test_it_opens_the_profile_in_the_owners_session(
        self, owner_client: Client, owner: Any, emma: Profile, link: str
    ) -> None:
        key = owner_client.session.session_key

        response = owner_client.get(link)

        assert response.status_code == 302
        assert response["Location"] == f"/patients/{emma.public_id}/"
        session = owner_client.session
        assert session["_auth_user_id"] == str(owner.pk)
        assert "launch" not in session and session.session_key == key
        page = owner_client.get(response["Location"]).content.decode()
        assert "Emma Johnson" in page
        assert '<span class="actor">owner</span>' in page
        assert owner_client.get("/settings/").status_code == 200

    def test_it_names_the_pms_user_and_the_staff_session_in_the_audit_event(
        self, owner_client: Client, emma: Profile, link: str
    ) -> None:
        owner_client.get(link)

        [event] = _opened()
        assert (event.actor_kind, event.actor_label) == ("integration", PMS_ACTOR)
        assert event.profile == emma
        assert event.detail == {
            "system": "orthotrac",
            "chart_id": CHART,
            "view": "profile",
            "session": "staff",
            "staff_user": "owner",
            "staff_role": "owner",
        }

    def test_it_still_spends_the_link_once(self, owner_client: Client, link: str) -> None:
        owner_client.get(link)
        assert owner_client.get(link).status_code == 410
        assert Client().get(link).status_code == 410
        assert len(_opened()) == 1

    def test_it_opens_the_chart_tab_in_the_session_framed_by_the_practices_origins(
        self, api: Api, owner_client: Client, emma: Profile, acworth: Practice
    ) -> None:
        set_frame_ancestors(practice=acworth, origins=["https://pms.example.com"], actor=SYSTEM)
        url = api.launch(CHART, "chart", pms_user="FRONTDESK").json()["url"]

        response = owner_client.get(urlsplit(url).path, follow=True)

        assert response.redirect_chain[-1][0] == f"/chart/{emma.public_id}/"
        assert "frame-ancestors https://pms.example.com" in response["Content-Security-Policy"]
        # The card form opened inside the tab may be framed too.
        form = owner_client.get(reverse("cards:connect", args=[emma.public_id]))
        assert "frame-ancestors https://pms.example.com" in form["Content-Security-Policy"]
        assert "_auth_user_id" in owner_client.session


class TestRoleCannotOpenProfiles:
    def test_it_says_so_and_offers_to_continue_as_the_pms_user(
        self, financial_client: Client, link: str
    ) -> None:
        response = financial_client.get(link)

        assert response.status_code == 302 and response["Location"] == CHOICE
        page = financial_client.get(CHOICE).content.decode()
        assert "Your role cannot open patient profiles" in page
        assert "signed in to Acworth Orthodontics as books (Financial)" in page
        assert f"Continue as {PMS_ACTOR}</button>" in page
        assert "Stay signed in as books</button>" in page
        assert "Emma" not in page
        # Nothing changed yet.
        assert "launch" not in financial_client.session
        assert financial_client.session["_auth_user_id"]
        assert not _opened()
        assert LaunchToken.objects.get(view="profile").used_at is not None

    def test_it_continues_as_the_pms_user_with_a_new_session(
        self, financial_client: Client, emma: Profile, link: str
    ) -> None:
        financial_client.get(link)
        key = financial_client.session.session_key

        response = financial_client.post(ANSWER, {"answer": "open"})

        assert response.status_code == 302
        assert response["Location"] == f"/patients/{emma.public_id}/"
        session = financial_client.session
        assert session.session_key != key
        assert "_auth_user_id" not in session and SESSION_PENDING not in session
        assert session["launch"]["actor"] == PMS_ACTOR
        assert abs(session[SESSION_SEEN] - time.time()) < 5  # its idle clock runs from now
        assert financial_client.get(response["Location"]).status_code == 200
        [event] = _opened()
        assert event.actor_label == PMS_ACTOR and event.detail["session"] == "pms"

    def test_it_keeps_the_staff_session_when_asked(
        self, financial_client: Client, link: str
    ) -> None:
        financial_client.get(link)

        response = financial_client.post(ANSWER, {"answer": "stay"})

        assert response.status_code == 302 and response["Location"] == "/"
        session = financial_client.session
        assert "_auth_user_id" in session
        assert "launch" not in session and SESSION_PENDING not in session
        assert not _opened()


class TestOtherPractice:
    def test_it_asks_which_practice_to_continue_and_changes_nothing(
        self, outsider_client: Client, outsider: Any, link: str
    ) -> None:
        key = outsider_client.session.session_key

        response = outsider_client.get(link)

        assert response.status_code == 302 and response["Location"] == CHOICE
        page = outsider_client.get(CHOICE).content.decode()
        assert f"{PMS_ACTOR} opened a patient of Acworth Orthodontics" in page
        assert "This browser is signed in to Riverside Dental as riverside." in page
        assert "Continue with Riverside Dental</button>" in page
        assert "Open Acworth Orthodontics</button>" in page
        assert "Emma" not in page
        session = outsider_client.session
        assert session.session_key == key
        assert session["_auth_user_id"] == str(outsider.pk)
        assert "launch" not in session
        assert "Riverside Dental" in outsider_client.get("/patients/").content.decode()
        assert not _opened()

    def test_it_continues_with_the_signed_in_practice(
        self, outsider_client: Client, outsider: Any, link: str
    ) -> None:
        outsider_client.get(link)

        response = outsider_client.post(ANSWER, {"answer": "stay"})

        assert response.status_code == 302 and response["Location"] == "/"
        session = outsider_client.session
        assert session["_auth_user_id"] == str(outsider.pk)
        assert SESSION_PENDING not in session
        assert outsider_client.get(CHOICE)["Location"] == "/"  # nothing waits any more
        assert outsider_client.post(ANSWER, {"answer": "open"}).status_code == 410
        assert not _opened()

    def test_it_opens_the_launched_practice_without_a_second_launch(
        self, outsider_client: Client, emma: Profile, acworth: Practice, link: str
    ) -> None:
        outsider_client.get(link)
        key = outsider_client.session.session_key

        response = outsider_client.post(ANSWER, {"answer": "open"}, follow=True)

        assert response.redirect_chain[-1][0] == f"/patients/{emma.public_id}/"
        assert "Emma Johnson" in response.content.decode()
        session = outsider_client.session
        assert session.session_key != key
        assert "_auth_user_id" not in session
        assert session["launch"]["practice_id"] == acworth.pk
        [event] = _opened()
        assert event.practice == acworth and event.actor_label == PMS_ACTOR
        assert "riverside" not in str(event.detail)  # another practice's staff stay out of it

    def test_it_keeps_csrf_working_after_the_switch(
        self, outsider: Any, emma: Profile, link: str
    ) -> None:
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(outsider)
        browser.get(link)
        token = _csrf(browser.get(CHOICE).content.decode())

        opened = browser.post(ANSWER, {"answer": "open", "csrfmiddlewaretoken": token}, follow=True)

        assert opened.status_code == 200
        # The new session's own forms work (here: Sign out).
        signed_out = browser.post(
            "/logout/", {"csrfmiddlewaretoken": _csrf(opened.content.decode())}
        )
        assert signed_out.status_code == 302 and signed_out["Location"] == "/login/"

    def test_it_forgets_an_unanswered_launch_after_a_few_minutes(
        self, outsider_client: Client, outsider: Any, link: str
    ) -> None:
        outsider_client.get(link)
        session = outsider_client.session
        session[SESSION_PENDING] = {**session[SESSION_PENDING], "expires": time.time() - 1}
        session.save()

        response = outsider_client.post(ANSWER, {"answer": "open"})

        assert response.status_code == 410
        assert "Go back to Orthotrac and click Launch Patient Rewards Hub again" in (
            response.content.decode()
        )
        assert outsider_client.session["_auth_user_id"] == str(outsider.pk)
        assert not _opened()

    def test_it_switches_staff_of_both_practices_to_the_launched_one_as_themselves(
        self,
        owner: Any,
        riverside: Practice,
        acworth: Practice,
        emma: Profile,
        link: str,
    ) -> None:
        add_staff(
            practice=riverside, username="owner", password=None, role=Role.REWARDS, actor=SYSTEM
        )
        browser = Client()
        browser.force_login(owner)
        browser.post("/practice/switch/", {"practice": riverside.public_id.hex})
        browser.get(link)
        page = browser.get(CHOICE).content.decode()
        assert "This browser is signed in to Riverside Dental as owner." in page
        assert "switches you to it, as owner (Owner)." in page
        assert "Riverside Dental" in browser.get("/patients/").content.decode()
        key = browser.session.session_key

        response = browser.post(ANSWER, {"answer": "open"})

        assert response["Location"] == f"/patients/{emma.public_id}/"
        session = browser.session
        assert session.session_key != key
        assert session["_auth_user_id"] == str(owner.pk) and "launch" not in session
        assert session["practice_id"] == acworth.public_id.hex
        assert browser.get("/settings/").status_code == 200
        [event] = _opened()
        assert event.detail["session"] == "staff" and event.detail["staff_role"] == "owner"

    def test_it_sends_a_visitor_without_a_session_to_sign_in(self, db: Any) -> None:
        assert Client().get(CHOICE)["Location"].startswith("/login/")
        assert Client().post(ANSWER, {"answer": "open"})["Location"].startswith("/login/")


class TestPmsOpenedSession:
    def test_it_shows_who_it_acts_as_and_a_sign_out(self, link: str) -> None:
        browser = Client()
        page = browser.get(link, follow=True).content.decode()
        assert f"{PMS_ACTOR} · opened from the PMS, acting as Rewards" in page
        assert 'action="/logout/"' in page and ">Sign out</button>" in page

    def test_it_ends_on_sign_out(self, emma: Profile, link: str) -> None:
        browser = Client()
        browser.get(link)

        response = browser.post("/logout/")

        assert response.status_code == 302 and response["Location"] == "/login/"
        assert "launch" not in browser.session
        after = browser.get(f"/patients/{emma.public_id}/")
        assert after.status_code == 302 and after["Location"].startswith("/login/")

    def test_it_is_replaced_by_a_newer_launch(self, api: Api, emma: Profile, link: str) -> None:
        browser = Client()
        browser.get(link)
        key = browser.session.session_key
        again = urlsplit(api.launch(CHART, "profile", pms_user="ASSISTANT").json()["url"]).path

        browser.get(again)

        assert browser.session.session_key != key
        assert browser.session["launch"]["actor"] == "ASSISTANT via Orthotrac"
