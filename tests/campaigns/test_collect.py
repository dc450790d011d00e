"""A patient scans a printed QR code: /portal/collect/<token>/ in the portal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from tests.conftest import SYSTEM
from tests.qr import SOCIAL

from rewardshub.audit.models import AuditEvent
from rewardshub.campaigns.actions import collect_qr, practice_today
from rewardshub.campaigns.models import QrCode, QrCollection, QrLimit
from rewardshub.campaigns.rules import day_words
from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.points.models import EntryKind, LedgerEntry
from rewardshub.practices.models import Practice

from .conftest import NEW_PASSWORD, Patient, collect_path, days_ago, portal_login


def _ledger_sum(profile: Profile) -> int:
    return LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0


def _balance(profile: Profile) -> int:
    profile.refresh_from_db()
    assert profile.points_balance == _ledger_sum(profile)
    return profile.points_balance


def _move_back(collection: QrCollection, days: int) -> None:
    """As if the collection happened `days` earlier (its day and its slot)."""
    collection.refresh_from_db()
    day = collection.day - dt.timedelta(days=days)
    slot = day.isoformat() if collection.slot not in (None, "once") else collection.slot
    QrCollection.objects.filter(pk=collection.pk).update(day=day, slot=slot)


class TestCollect:
    def test_it_shows_the_code_and_a_button_that_collects_it(
        self, portal_client: Client, code: QrCode
    ) -> None:
        response = portal_client.get(collect_path(code))
        assert response.status_code == 200
        html = response.content.decode()
        assert SOCIAL in html and "Collect 10 points" in html
        assert not QrCollection.objects.exists()

    def test_it_collects_the_points_through_the_ledger(
        self, portal_client: Client, activated: Patient, code: QrCode
    ) -> None:
        response = portal_client.post(collect_path(code))
        assert response.status_code == 302 and response["Location"] == "/portal/"
        assert _balance(activated.profile) == 10
        entry = LedgerEntry.objects.get(profile=activated.profile)
        assert (entry.kind, entry.points, entry.description) == (EntryKind.AWARD, 10, SOCIAL)
        collection = QrCollection.objects.get()
        assert (collection.code, collection.entry, collection.slot) == (code, entry, "once")
        assert collection.day == practice_today(code.practice)
        event = AuditEvent.objects.get(action="points.qr")
        assert (event.profile, event.actor_kind) == (activated.profile, "patient")
        assert event.detail == {"label": SOCIAL, "points": 10, "balance": 10}
        home = portal_client.get("/portal/").content.decode()
        assert f"You collected 10 points for “{SOCIAL}”!" in home

    def test_it_refuses_a_second_collection_in_words(
        self, portal_client: Client, activated: Patient, code: QrCode
    ) -> None:
        assert portal_client.post(collect_path(code)).status_code == 302
        today = day_words(practice_today(code.practice), practice_today(code.practice))
        message = f"You collected this on {today}; it can be collected only once."
        again = portal_client.post(collect_path(code))
        assert again.status_code == 409
        assert message in again.content.decode()
        page = portal_client.get(collect_path(code)).content.decode()
        assert message in page and "Collect 10 points" not in page
        assert _balance(activated.profile) == 10
        assert QrCollection.objects.count() == LedgerEntry.objects.count() == 1

    def test_it_says_when_a_daily_code_can_be_collected_again(
        self, portal_client: Client, activated: Patient, acworth: Practice, make_code: Any
    ) -> None:
        daily = make_code(acworth, label="Brushed after lunch", points=2, limit=QrLimit.DAILY)
        assert portal_client.post(collect_path(daily)).status_code == 302
        today = practice_today(acworth)
        words = (day_words(today, today), day_words(today + dt.timedelta(days=1), today))
        again = portal_client.post(collect_path(daily))
        assert again.status_code == 409
        assert f"You collected this on {words[0]}; you can again on {words[1]}." in (
            again.content.decode()
        )
        assert _balance(activated.profile) == 2

    def test_it_pays_a_daily_code_again_the_next_day(
        self, portal_client: Client, activated: Patient, acworth: Practice, make_code: Any
    ) -> None:
        daily = make_code(acworth, points=2, limit=QrLimit.DAILY, valid_from=days_ago(acworth, 3))
        assert portal_client.post(collect_path(daily)).status_code == 302
        _move_back(QrCollection.objects.get(), days=1)
        assert portal_client.post(collect_path(daily)).status_code == 302
        assert _balance(activated.profile) == 4
        assert sorted(QrCollection.objects.values_list("day", flat=True)) == [
            days_ago(acworth, 1),
            practice_today(acworth),
        ]

    def test_it_waits_the_days_of_a_code_of_every_few_days(
        self, portal_client: Client, activated: Patient, acworth: Practice, make_code: Any
    ) -> None:
        weekly = make_code(
            acworth, limit=QrLimit.EVERY_DAYS, every_days=7, valid_from=days_ago(acworth, 30)
        )
        assert portal_client.post(collect_path(weekly)).status_code == 302
        collection = QrCollection.objects.get()
        assert collection.slot is None
        _move_back(collection, days=6)
        assert portal_client.post(collect_path(weekly)).status_code == 409
        _move_back(collection, days=1)
        assert portal_client.post(collect_path(weekly)).status_code == 302
        assert _balance(activated.profile) == 20

    def test_it_refuses_an_expired_code_in_words(
        self, portal_client: Client, activated: Patient, acworth: Practice, make_code: Any
    ) -> None:
        ended = days_ago(acworth, 1)
        old = make_code(acworth, valid_from=days_ago(acworth, 10), valid_until=ended)
        message = f"This code expired on {day_words(ended, practice_today(acworth))}: "
        page = portal_client.get(collect_path(old))
        assert page.status_code == 200 and message in page.content.decode()
        assert "Collect 10 points" not in page.content.decode()
        refused = portal_client.post(collect_path(old))
        assert refused.status_code == 409 and message in refused.content.decode()
        assert _balance(activated.profile) == 0 and not QrCollection.objects.exists()

    def test_it_refuses_a_code_before_its_first_day(
        self, portal_client: Client, activated: Patient, acworth: Practice, make_code: Any
    ) -> None:
        first = practice_today(acworth) + dt.timedelta(days=2)
        later = make_code(acworth, valid_from=first)
        refused = portal_client.post(collect_path(later))
        assert refused.status_code == 409
        words = day_words(first, practice_today(acworth))
        assert f"This code is not active yet: you can collect it from {words}." in (
            refused.content.decode()
        )
        assert _balance(activated.profile) == 0

    def test_it_refuses_a_code_staff_turned_off(
        self, portal_client: Client, activated: Patient, acworth: Practice, make_code: Any
    ) -> None:
        off = make_code(acworth, active=False)
        refused = portal_client.post(collect_path(off))
        assert refused.status_code == 409
        assert "This code is no longer in use: it gives no more points." in (
            refused.content.decode()
        )
        assert _balance(activated.profile) == 0

    def test_it_answers_404_for_another_practices_code(
        self,
        portal_client: Client,
        activated: Patient,
        riverside: Practice,
        make_code: Callable[..., QrCode],
    ) -> None:
        theirs = make_code(riverside)
        assert portal_client.get(collect_path(theirs)).status_code == 404
        assert portal_client.post(collect_path(theirs)).status_code == 404
        assert _balance(activated.profile) == 0 and not QrCollection.objects.exists()

    def test_it_answers_404_for_a_token_that_is_no_code(
        self, portal_client: Client, code: QrCode
    ) -> None:
        guess = code.token[:-1] + ("A" if code.token[-1] != "A" else "B")
        for path in (f"/portal/collect/{guess}/", "/portal/collect/short/"):
            assert portal_client.get(path).status_code == 404
            assert portal_client.post(path).status_code == 404
        assert not QrCollection.objects.exists()


class TestSignedOut:
    def test_it_sends_a_signed_out_scan_to_the_login_and_back(
        self, client: Client, activated: Patient, code: QrCode
    ) -> None:
        path = collect_path(code)
        scan = client.get(path)
        assert scan.status_code == 302
        assert scan["Location"] == f"/portal/login/?next=%2Fportal%2Fcollect%2F{code.token}%2F"
        page = client.get(scan["Location"]).content.decode()
        assert "Log in to collect your points." in page
        assert f'<input type="hidden" name="next" value="{path}">' in page
        login = portal_login(client, activated.username, next_path=path)
        assert login.status_code == 302 and login["Location"] == path
        assert client.post(path)["Location"] == "/portal/"
        assert _balance(activated.profile) == 10

    def test_it_collects_after_a_first_login_with_the_temporary_password(
        self, client: Client, patient: Patient, code: QrCode
    ) -> None:
        path = collect_path(code)
        login = client.post(
            "/portal/login/",
            {"identifier": patient.username, "password": patient.card.temp_password, "next": path},
        )
        assert login["Location"] == "/portal/welcome/"
        welcome = client.post(
            "/portal/welcome/",
            {
                "last_name": "Johnson",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
                "email": "",
            },
        )
        assert welcome.status_code == 302 and welcome["Location"] == path
        assert client.post(path).status_code == 302
        assert _balance(patient.profile) == 10

    def test_it_never_sends_a_login_to_another_site(self, activated: Patient) -> None:
        for target in (
            "https://evil.example/portal/",
            "//evil.example/portal/",
            "/portal\\@evil.example",
            "/patients/",
        ):
            fresh = Client()
            response = portal_login(fresh, activated.username, next_path=target)
            assert response.status_code == 302 and response["Location"] == "/portal/", target

    def test_it_sends_a_staff_session_to_the_portal_login(
        self, owner_client: Client, code: QrCode
    ) -> None:
        response = owner_client.post(collect_path(code))
        assert response.status_code == 302
        assert response["Location"].startswith("/portal/login/?next=")
        assert not QrCollection.objects.exists()


def test_it_refuses_a_repeat_in_the_action_itself(
    acworth: Practice, activated: Patient, code: QrCode
) -> None:
    """Not only the page: any caller of the action is paid once."""
    collect_qr(practice=acworth, profile=activated.profile, code=code, actor=SYSTEM)
    with pytest.raises(ActionError) as refused:
        collect_qr(practice=acworth, profile=activated.profile, code=code, actor=SYSTEM)
    assert (refused.value.code, refused.value.status) == ("qr_collected", 409)
    assert _balance(activated.profile) == 10


def _hold(practice: Practice, kind: str) -> None:
    from rewardshub.points.rewards import save_reward_settings

    save_reward_settings(
        practice=practice,
        held={kind},
        gift_max_points=500,
        gift_daily_max_points=1000,
        actor=SYSTEM,
    )


class TestHeldForApproval:
    def test_it_holds_a_collection_when_the_practice_holds_qr_codes(
        self, portal_client: Client, activated: Patient, code: QrCode
    ) -> None:
        from rewardshub.points.models import PendingAward
        from rewardshub.points.rewards import decide_pending

        _hold(code.practice, "qr")
        response = portal_client.post(collect_path(code))
        assert response.status_code == 302
        assert _balance(activated.profile) == 0 and not LedgerEntry.objects.exists()
        held = PendingAward.objects.get()
        assert (held.kind, held.points, held.profile, held.decision) == (
            "qr",
            10,
            activated.profile,
            "pending",
        )
        collection = QrCollection.objects.get()
        assert (collection.entry, collection.held) == (None, held)
        home = portal_client.get("/portal/").content.decode()
        assert "they are pending until the practice approves them." in home
        # The limit counts the held collection: a second scan is refused.
        assert portal_client.post(collect_path(code)).status_code == 409
        decide_pending(practice=code.practice, pending=held, approve=True, actor=SYSTEM)
        assert _balance(activated.profile) == 10 == _ledger_sum(activated.profile)
