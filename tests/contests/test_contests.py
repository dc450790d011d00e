"""Contests: creating one, entering patients (by name or tag), picking winners,
points paid once each (or held in Pending rewards), refusals and tenancy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db.models import Sum
from django.test import Client
from django.utils import dateformat
from tests.conftest import SYSTEM
from tests.contests.conftest import contest_data

from rewardshub.audit.models import AuditEvent
from rewardshub.contests.actions import enter_participants, pick_winner
from rewardshub.contests.models import Contest, ContestAward, ContestEntry
from rewardshub.contests.queries import today_in
from rewardshub.errors import ActionError
from rewardshub.patients.actions import add_tag
from rewardshub.patients.models import Profile, Tag
from rewardshub.points.models import EntryKind, LedgerEntry, PendingAward
from rewardshub.points.rewards import decide_pending, save_reward_settings
from rewardshub.practices.models import Practice

LIST = "/contests/"


def url(contest: Contest, rest: str = "") -> str:
    return f"/contests/{contest.public_id}/{rest}"


def winner_url(contest: Contest, entry: ContestEntry) -> str:
    return url(contest, f"entries/{entry.public_id}/winner/")


def flashes(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)][-1:]


def balance(profile: Profile) -> int:
    profile.refresh_from_db()
    ledger = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
    assert profile.points_balance == ledger
    return profile.points_balance


def form(practice: Practice, **changes: Any) -> dict[str, str]:
    return {key: str(value) for key, value in contest_data(practice, **changes).items()}


class TestCreating:
    def test_it_creates_a_contest_and_opens_it(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        response = owner_client.post(f"{LIST}add/", form(acworth, name="  Spring   smiles "))
        contest = Contest.objects.get()
        assert response.status_code == 302 and response["Location"] == url(contest)
        assert flashes(response) == ["Contest “Spring smiles” created. Now enter the participants."]
        assert (contest.practice, contest.participant_points, contest.winner_points) == (
            acworth,
            10,
            100,
        )
        assert AuditEvent.objects.filter(action="contest.create").count() == 1
        page = owner_client.get(LIST).content.decode()
        assert "Spring smiles" in page and "Open" in page

    def test_it_refuses_an_end_before_the_start(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        today = today_in(acworth)
        data = form(acworth, starts_on=today, ends_on=today - dt.timedelta(days=1))
        response = owner_client.post(f"{LIST}add/", data)
        assert response.status_code == 422
        assert (
            "The contest cannot end before it starts: choose a last day on or after the "
            "first day." in response.content.decode()
        )
        assert not Contest.objects.exists()

    def test_it_refuses_negative_points(self, owner_client: Client, acworth: Practice) -> None:
        response = owner_client.post(f"{LIST}add/", form(acworth, winner_points=-5))
        assert response.status_code == 422
        assert "The points for winning cannot be negative." in response.content.decode()
        assert not Contest.objects.exists()

    def test_it_lets_front_desk_staff_enter_but_not_create(
        self, frontdesk_client: Client, acworth: Practice, contest: Contest
    ) -> None:
        assert frontdesk_client.get(LIST).status_code == 200
        assert frontdesk_client.post(f"{LIST}add/", form(acworth)).status_code == 403
        assert frontdesk_client.post(url(contest, "edit/"), form(acworth)).status_code == 403
        assert Contest.objects.count() == 1

    def test_it_changes_a_contest(
        self, owner_client: Client, acworth: Practice, contest: Contest
    ) -> None:
        response = owner_client.post(url(contest, "edit/"), form(acworth, winner_points=250))
        assert flashes(response) == ["Contest saved."]
        contest.refresh_from_db()
        assert contest.winner_points == 250
        event = AuditEvent.objects.get(action="contest.update")
        assert event.detail == {"contest": "Summer smiles", "fields": ["winner_points"]}


class TestEntering:
    def test_it_finds_patients_and_enters_the_ticked_ones_paying_each_once(
        self, frontdesk_client: Client, contest: Contest, emma: Profile, liam: Profile
    ) -> None:
        page = frontdesk_client.get(url(contest), {"q": "Johnson"}).content.decode()
        assert str(emma.public_id) in page and str(liam.public_id) in page
        response = frontdesk_client.post(
            url(contest, "enter/"), {"profiles": [str(emma.public_id), str(liam.public_id)]}
        )
        assert flashes(response) == ["Entered 2 patients in “Summer smiles”."]
        assert (balance(emma), balance(liam)) == (10, 10)
        entry = LedgerEntry.objects.get(profile=emma)
        assert (entry.kind, entry.description) == (EntryKind.AWARD, "Took part in Summer smiles")
        # Entered again (by name or with a tag): left as is, paid nothing more.
        again = frontdesk_client.post(url(contest, "enter/"), {"profiles": [str(emma.public_id)]})
        assert flashes(again) == [
            "Entered 0 patients in “Summer smiles”. 1 patient already taking part, left as is."
        ]
        assert balance(emma) == 10
        assert ContestEntry.objects.filter(contest=contest).count() == 2
        assert ContestAward.objects.filter(contest=contest).count() == 2
        # The search no longer offers those already in.
        page = frontdesk_client.get(url(contest), {"q": "Johnson"}).content.decode()
        assert f'value="{emma.public_id}"' not in page

    def test_it_enters_everyone_with_a_tag(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        contest: Contest,
        emma: Profile,
        liam: Profile,
        smile_club: Tag,
        make_profile: Callable[..., Profile],
    ) -> None:
        for profile in (emma, liam):
            add_tag(practice=acworth, profile=profile, tag=smile_club, actor=SYSTEM)
        make_profile(acworth, first="Noah", last="Untagged")
        enter_participants(practice=acworth, contest=contest, profiles=[emma], actor=SYSTEM)
        page = frontdesk_client.get(url(contest)).content.decode()
        assert "Clubs: Smile club (2 patients)" in page
        response = frontdesk_client.post(url(contest, "enter/"), {"tag": str(smile_club.public_id)})
        assert flashes(response) == [
            "Entered 1 patient in “Summer smiles”. 1 patient already taking part, left as is."
        ]
        entered = set(contest.entries.values_list("profile__first_name", flat=True))
        assert entered == {"Emma", "Liam"}
        assert (balance(emma), balance(liam)) == (10, 10)

    def test_it_refuses_entering_after_the_contest_ended(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        today = today_in(acworth)
        ended = Contest.objects.create(
            practice=acworth,
            name="Spring smiles",
            starts_on=today - dt.timedelta(days=30),
            ends_on=today - dt.timedelta(days=1),
            participant_points=10,
            created_by_label="owner",
        )
        response = frontdesk_client.post(url(ended, "enter/"), {"profiles": [str(emma.public_id)]})
        last_day = dateformat.format(ended.ends_on, "N j, Y")
        assert flashes(response) == [
            f"“Spring smiles” ended on {last_day}: no one can be entered any more. "
            "Change its end date to enter more patients."
        ]
        assert not ContestEntry.objects.exists() and balance(emma) == 0

    def test_it_holds_the_points_when_the_practice_holds_contest_prizes(
        self, frontdesk_client: Client, acworth: Practice, contest: Contest, emma: Profile
    ) -> None:
        save_reward_settings(
            practice=acworth,
            held={"contest"},
            gift_max_points=500,
            gift_daily_max_points=1000,
            actor=SYSTEM,
        )
        response = frontdesk_client.post(
            url(contest, "enter/"), {"profiles": [str(emma.public_id)]}
        )
        assert flashes(response) == [
            "Entered 1 patient in “Summer smiles”. Points for taking part wait in Pending "
            "rewards for 1 patient."
        ]
        pending = PendingAward.objects.get(profile=emma)
        assert (pending.kind, pending.points, pending.source_label) == (
            "contest",
            10,
            "Summer smiles",
        )
        assert balance(emma) == 0
        assert "Pending" in frontdesk_client.get(url(contest)).content.decode()
        decide_pending(practice=acworth, pending=pending, approve=True, actor=SYSTEM)
        assert balance(emma) == 10


class TestWinners:
    @pytest.fixture
    def entry(self, acworth: Practice, contest: Contest, emma: Profile) -> ContestEntry:
        return enter_participants(
            practice=acworth, contest=contest, profiles=[emma], actor=SYSTEM
        ).entered[0]

    def test_it_pays_a_winner_once(
        self, frontdesk_client: Client, contest: Contest, entry: ContestEntry, emma: Profile
    ) -> None:
        response = frontdesk_client.post(winner_url(contest, entry))
        assert flashes(response) == ["Emma Johnson won “Summer smiles”. 100 points paid."]
        assert balance(emma) == 110
        entry.refresh_from_db()
        assert entry.won_at is not None and entry.picked_by_label == "frontdesk"
        again = frontdesk_client.post(winner_url(contest, entry))
        assert flashes(again) == [
            "Emma Johnson is already a winner of “Summer smiles”; the points for winning "
            "are paid once."
        ]
        assert balance(emma) == 110
        assert ContestAward.objects.filter(contest=contest, prize="winner").count() == 1
        assert AuditEvent.objects.filter(action="contest.winner", profile=emma).count() == 1

    def test_it_refuses_a_winner_before_the_contest_starts(
        self, acworth: Practice, contest: Contest, entry: ContestEntry, emma: Profile
    ) -> None:
        Contest.objects.filter(pk=contest.pk).update(
            starts_on=today_in(acworth) + dt.timedelta(days=1)
        )
        with pytest.raises(ActionError) as refused:
            pick_winner(practice=acworth, contest=contest, entry=entry, actor=SYSTEM)
        assert refused.value.code == "contest_not_started"
        entry.refresh_from_db()
        assert entry.won_at is None and balance(emma) == 10


class TestTenancy:
    def test_it_hides_another_practices_contests_and_patients(
        self,
        outsider_client: Client,
        frontdesk_client: Client,
        riverside: Practice,
        acworth: Practice,
        contest: Contest,
        emma: Profile,
        make_profile: Callable[..., Profile],
    ) -> None:
        entry = enter_participants(
            practice=acworth, contest=contest, profiles=[emma], actor=SYSTEM
        ).entered[0]
        assert "Summer smiles" not in outsider_client.get(LIST).content.decode()
        assert outsider_client.get(url(contest)).status_code == 404
        rita = make_profile(riverside, first="Rita", last="Rivers")
        for client, body in (
            (outsider_client, {"profiles": [str(emma.public_id)]}),
            # Acworth's staff naming another practice's patient.
            (frontdesk_client, {"profiles": [str(rita.public_id)]}),
        ):
            assert client.post(url(contest, "enter/"), body).status_code == 404
        assert outsider_client.post(winner_url(contest, entry)).status_code == 404
        assert outsider_client.post(url(contest, "edit/"), form(acworth)).status_code == 404
        assert ContestEntry.objects.count() == 1
        assert (balance(emma), balance(rita)) == (10, 0)
        entry.refresh_from_db()
        assert entry.won_at is None
