"""Launch: the one-time link, the session it opens, the synced window and the chart view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.integrations.conftest import CHART, EMMA, SYSTEM, Api
from tests.integrations.test_update_and_status import NOT_SYNCED

from rewardshub.audit.models import AuditEvent
from rewardshub.integrations.actions import set_frame_ancestors
from rewardshub.integrations.models import LaunchToken, SyncEvent
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

SPENT = "Go back to Orthotrac and click Launch Patient Rewards Hub again"


@pytest.fixture
def emma(api: Api, cards: list[str]) -> Profile:
    api.set_card(CHART, cards[0], **EMMA)
    return Profile.objects.get(username=cards[0])


def _path(url: str) -> str:
    return urlsplit(url).path


def _open(client: Client, url: str) -> tuple[object, str]:
    """Follow the launch link like a browser; return the last response and its address."""
    response = client.get(_path(url), follow=True)
    final = response.redirect_chain[-1][0] if response.redirect_chain else _path(url)
    return response, final


class TestLaunchCall:
    def test_it_returns_a_one_time_url_that_expires_in_a_minute(
        self, api: Api, emma: Profile
    ) -> None:
        response = api.launch(CHART, "profile", pms_user="FRONTDESK")

        assert response.status_code == 200
        body = response.json()
        assert body["expires_in"] == 60
        assert body["url"].startswith("http://testserver/launch/")
        token = LaunchToken.objects.latest("id")
        assert (token.view, token.profile, token.pms_user) == ("profile", emma, "FRONTDESK")
        assert (
            dt.timedelta(seconds=55) < token.expires_at - timezone.now() <= dt.timedelta(seconds=60)
        )
        assert SyncEvent.objects.latest("id").outcome == "launched"

    def test_it_says_how_to_sync_a_chart_never_synced(self, api: Api) -> None:
        response = api.launch("OT-404")
        assert response.status_code == 404
        assert response.json() == {"error": "not_synced", "message": NOT_SYNCED}
        assert not LaunchToken.objects.exists()

    def test_it_refuses_an_unknown_view(self, api: Api, emma: Profile) -> None:
        response = api.launch(CHART, "settings")
        assert response.status_code == 422
        assert response.json()["message"] == "view must be one of 'profile' or 'chart'."

    def test_it_uses_the_public_url_when_configured(
        self, api: Api, emma: Profile, settings: object
    ) -> None:
        settings.PUBLIC_URL = "https://hub.example.com/"  # type: ignore[attr-defined]
        assert api.launch(CHART).json()["url"].startswith("https://hub.example.com/launch/")


class TestLaunchLink:
    def test_it_opens_a_practice_session_and_lands_on_a_clean_address(
        self, api: Api, emma: Profile, acworth: Practice
    ) -> None:
        url = api.launch(CHART, "chart", pms_user="FRONTDESK").json()["url"]
        token = _path(url).rsplit("/", 1)[1]
        browser = Client()

        response, final = _open(browser, url)

        assert response.status_code == 200
        assert final == f"/chart/{emma.public_id}/"
        assert token not in final and "Emma" not in final
        assert browser.session["launch"]["practice_id"] == acworth.pk
        assert browser.session["launch"]["actor"] == "FRONTDESK via Orthotrac"
        assert AuditEvent.objects.filter(action="pms.launch_open", profile=emma).exists()

    def test_it_opens_the_staff_profile_page_for_the_profile_view(
        self, api: Api, emma: Profile
    ) -> None:
        url = api.launch(CHART, "profile").json()["url"]

        response, final = _open(Client(), url)

        assert response.status_code == 200
        assert final == f"/patients/{emma.public_id}/"
        assert "FRONTDESK" not in final and "token" not in final

    def test_it_works_only_once(self, api: Api, emma: Profile) -> None:
        url = api.launch(CHART).json()["url"]
        _open(Client(), url)

        response = Client().get(_path(url))

        assert response.status_code == 410
        assert SPENT in response.content.decode()
        assert "launch" not in response.client.session

    def test_it_refuses_an_expired_link(self, api: Api, emma: Profile) -> None:
        url = api.launch(CHART).json()["url"]
        token = LaunchToken.objects.latest("id")
        token.expires_at = timezone.now() - dt.timedelta(seconds=1)
        token.save(update_fields=["expires_at"])

        response = Client().get(_path(url))

        assert response.status_code == 410
        assert "already used or has expired" in response.content.decode()
        token.refresh_from_db()
        assert token.used_at is None

    def test_it_refuses_a_made_up_token(self, db: object) -> None:
        response = Client().get("/launch/not-a-token")
        assert response.status_code == 410

    def test_it_keeps_a_signed_in_owner_signed_in(
        self, api: Api, emma: Profile, owner_client: Client
    ) -> None:
        # More in test_launch_sessions.py: which session a launch opens in.
        url = api.launch(CHART).json()["url"]
        owner_client.get(_path(url))
        assert "_auth_user_id" in owner_client.session
        assert "launch" not in owner_client.session


class TestSyncedWindow:
    def test_it_says_the_patient_is_synced_by_first_name_only(
        self, api: Api, cards: list[str]
    ) -> None:
        url = api.set_card(CHART, cards[0], **EMMA).json()["browser_url"]
        browser = Client()

        response, final = _open(browser, url)

        assert final == "/synced/"
        page = response.content.decode()
        assert "Emma is synced with the Patient Rewards Hub." in page
        assert "You can close this window." in page
        assert "Johnson" not in page and cards[0] not in page
        assert "launch" not in browser.session  # opens no session

    def test_it_keeps_a_signed_in_staff_member_signed_in(
        self, api: Api, cards: list[str], frontdesk_client: Client
    ) -> None:
        url = api.set_card(CHART, cards[0], **EMMA).json()["browser_url"]
        frontdesk_client.get(_path(url))
        assert "_auth_user_id" in frontdesk_client.session


class TestChartView:
    def _open_chart(self, api: Api) -> tuple[object, Client]:
        browser = Client()
        response, _ = _open(browser, api.launch(CHART, "chart").json()["url"])
        return response, browser

    def test_it_shows_the_compact_profile(self, api: Api, emma: Profile) -> None:
        response, _ = self._open_chart(api)
        page = response.content.decode()
        assert 'class="chart"' in page
        assert "Emma Johnson" in page and emma.username in page
        assert AuditEvent.objects.filter(action="profile.view", profile=emma).exists()

    def test_it_sends_the_card_and_tag_forms_back_to_the_chart_view(
        self, api: Api, emma: Profile
    ) -> None:
        response, _ = self._open_chart(api)
        page = response.content.decode()
        back = f'name="next" value="/chart/{emma.public_id}/"'
        # The orange Connect Card (no card yet) and each tag form come back to the tab.
        assert 'class="btn btn-connect">Connect Card</button>' in page
        assert page.count(back) >= 3
        assert 'href="#tags">Give them one</a>' in page
        assert 'class="topbar"' not in page

    def test_it_opens_the_card_form_without_the_staff_topbar_inside_the_tab(
        self, api: Api, emma: Profile
    ) -> None:
        _, browser = self._open_chart(api)
        chart = f"/chart/{emma.public_id}/"
        response = browser.get(reverse("cards:connect", args=[emma.public_id]), {"next": chart})
        page = response.content.decode()
        assert response.status_code == 200
        assert '<body class="chart">' in page and 'class="topbar"' not in page
        assert f'name="next" value="{chart}"' in page
        assert f'href="{chart}">Cancel</a>' in page

    def test_it_may_be_framed_by_no_one_by_default(self, api: Api, emma: Profile) -> None:
        response, _ = self._open_chart(api)
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]

    def test_it_may_be_framed_by_the_practices_origins(
        self, api: Api, emma: Profile, acworth: Practice
    ) -> None:
        set_frame_ancestors(
            practice=acworth,
            origins=["http://127.0.0.1:8001", "https://pms.example.com"],
            actor=SYSTEM,
        )
        response, browser = self._open_chart(api)

        policy = response["Content-Security-Policy"]
        assert "frame-ancestors http://127.0.0.1:8001 https://pms.example.com" in policy
        assert "X-Frame-Options" not in response
        # Pages opened inside the tab (the card forms) may be framed the same way.
        other = browser.get("/synced/")
        assert "frame-ancestors http://127.0.0.1:8001" in other["Content-Security-Policy"]

    def test_it_keeps_other_pages_unframeable_for_staff(self, owner_client: Client) -> None:
        response = owner_client.get("/synced/")
        assert response["X-Frame-Options"] == "DENY"

    def test_it_hides_another_practices_profile(
        self,
        api: Api,
        emma: Profile,
        riverside: Practice,
        make_profile: Callable[..., Profile],
    ) -> None:
        theirs = make_profile(riverside, "Ava", "Lee")
        _, browser = self._open_chart(api)
        assert browser.get(f"/chart/{theirs.public_id}/").status_code == 404

    def test_it_says_to_reopen_the_tab_without_a_session(self, emma: Profile) -> None:
        response = Client().get(f"/chart/{emma.public_id}/")
        assert response.status_code == 403
        assert "Open the Patient Rewards Hub tab again" in response.content.decode()

    def test_it_answers_spent_links_framed_for_the_practice(
        self, api: Api, emma: Profile, acworth: Practice
    ) -> None:
        set_frame_ancestors(practice=acworth, origins=["http://127.0.0.1:8001"], actor=SYSTEM)
        url = api.launch(CHART, "chart").json()["url"]
        Client().get(_path(url))
        response = Client().get(_path(url))
        assert response.status_code == 410
        assert "frame-ancestors http://127.0.0.1:8001" in response["Content-Security-Policy"]
