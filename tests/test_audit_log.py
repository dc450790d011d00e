"""The Audit log page: newest first, in words, filtered by patient and staff, itself audited."""

from __future__ import annotations

import zoneinfo
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat
from tests.conftest import PASSWORD

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind, AuditEvent
from rewardshub.audit.wording import describe_action
from rewardshub.cards.actions import connect_card
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Membership, Practice

URL = "/audit/"


def _words(response: Any) -> list[str]:
    return [words for _event, words in response.context["rows"]]


def _staff_actor(user: Any) -> Actor:
    return Actor(kind=ActorKind.STAFF, label=user.username, user_id=user.pk, source_ip="10.0.0.7")


@pytest.fixture
def emma(acworth: Practice, make_profile: Any) -> Profile:
    return make_profile(acworth, first="Emma", last="Johnson")


def test_it_shows_events_newest_first_in_words(
    owner_client: Client,
    acworth: Practice,
    frontdesk: Any,
    emma: Profile,
    issue_cards: Any,
    client: Client,
) -> None:
    number = issue_cards(acworth, 1)[0]
    record_event(
        practice=acworth, actor=_staff_actor(frontdesk), action="profile.view", profile=emma
    )
    connect_card(practice=acworth, profile=emma, raw=number, actor=_staff_actor(frontdesk))
    client.post("/login/", {"username": "frontdesk", "password": "wrong"})
    response = owner_client.get(URL)
    assert response.status_code == 200
    assert _words(response)[:4] == [
        "Viewed the audit log",
        "Failed sign-in",
        f"Connected card …{number[-4:]}",
        "Viewed profile",
    ]
    event, _ = response.context["rows"][2]
    assert (event.actor_label, event.profile.full_name, event.source_ip) == (
        "frontdesk",
        "Emma Johnson",
        "10.0.0.7",
    )
    html = response.content.decode()
    assert "Emma Johnson" in html and "10.0.0.7" in html and "Failed" in html


def test_it_shows_times_in_the_practice_time_zone(
    owner_client: Client, acworth: Practice, emma: Profile
) -> None:
    acworth.time_zone = "America/Los_Angeles"
    acworth.save()
    event = AuditEvent.objects.get(action="profile.create")
    local = event.created_at.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles"))
    response = owner_client.get(URL)
    # "Dec. 4, 2026, 2:35:34 p.m. PST": the format every log page uses (local_time.py).
    shown = f"{dateformat.format(local, 'N j, Y, g:i:s a')} {local.tzname()}"
    assert shown in response.content.decode()
    assert "Times are in America/Los_Angeles." in response.content.decode()


def test_it_records_reading_the_log(owner_client: Client, owner: Any, acworth: Practice) -> None:
    owner_client.get(URL + "?page=2")
    event = AuditEvent.objects.get(action="audit.view")
    assert (event.practice, event.actor_user, event.actor_label) == (acworth, owner, "owner")
    assert event.detail == {"page": 2, "staff": None, "patient_search": False}


def test_it_filters_by_patient_with_an_opaque_id(
    owner_client: Client, acworth: Practice, emma: Profile, make_profile: Any
) -> None:
    make_profile(acworth, first="Liam", last="Reed")
    response = owner_client.get(URL, {"profile": str(emma.public_id)})
    assert response.status_code == 200
    assert {e.profile_id for e, _ in response.context["rows"]} == {emma.pk}
    assert _words(response) == ["Viewed the audit log", "Created profile"]
    assert AuditEvent.objects.get(action="audit.view").profile == emma


def test_it_filters_by_staff_member(
    owner_client: Client, acworth: Practice, frontdesk: Any, owner: Any, emma: Profile
) -> None:
    record_event(
        practice=acworth, actor=_staff_actor(frontdesk), action="profile.view", profile=emma
    )
    record_event(practice=acworth, actor=_staff_actor(owner), action="profile.view", profile=emma)
    membership = Membership.objects.get(user=frontdesk)
    response = owner_client.get(URL, {"staff": str(membership.public_id)})
    assert [(e.actor_label, w) for e, w in response.context["rows"]] == [
        ("frontdesk", "Viewed profile")
    ]
    assert AuditEvent.objects.get(action="audit.view").detail["staff"] == "frontdesk"


def test_it_finds_a_patient_by_name_without_putting_it_in_the_url(
    owner_client: Client, emma: Profile
) -> None:
    response = owner_client.post(URL, {"patient": "johns"})
    assert response.status_code == 200
    assert response.context["matches"] == [emma]
    assert f'href="?profile={emma.public_id}"' in response.content.decode()
    assert AuditEvent.objects.get(action="audit.view").detail["patient_search"] is True


def test_it_says_when_no_patient_matches(owner_client: Client, emma: Profile) -> None:
    response = owner_client.post(URL, {"patient": "Zebedee"})
    assert response.context["matches"] == []
    assert "No patient of this practice matches that name." in response.content.decode()


def test_it_answers_404_for_another_practices_patient_or_staff(
    outsider_client: Client, emma: Profile, frontdesk: Any
) -> None:
    membership = Membership.objects.get(user=frontdesk)
    assert outsider_client.get(URL, {"profile": str(emma.public_id)}).status_code == 404
    assert outsider_client.get(URL, {"staff": str(membership.public_id)}).status_code == 404
    assert outsider_client.get(URL, {"profile": "not-a-uuid"}).status_code == 404


def test_it_never_shows_another_practices_events(outsider_client: Client, emma: Profile) -> None:
    response = outsider_client.get(URL)
    assert response.status_code == 200
    assert all(e.profile_id != emma.pk for e, _ in response.context["rows"])
    assert b"Emma Johnson" not in response.content


def test_it_is_for_owners_and_admins_only(frontdesk_client: Client) -> None:
    response = frontdesk_client.get(URL)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="audit.view").exists()


def test_it_pages_by_fifty(owner_client: Client, acworth: Practice, owner: Any) -> None:
    for _ in range(120):
        record_event(practice=acworth, actor=_staff_actor(owner), action="profile.view")
    first = owner_client.get(URL)
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.num_pages == 3
    last = owner_client.get(URL, {"page": 3})
    # 120 views, the practice's creation, the owner's addition and 2 reads of the log.
    assert len(last.context["rows"]) == 124 - 100


def test_it_keeps_the_query_count_flat_as_rows_grow(
    owner_client: Client, acworth: Practice, owner: Any, make_profile: Any
) -> None:
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(URL).status_code == 200
        return len(queries)

    make_profile(acworth, first="Ann", last="One")
    few = count_queries()
    for n in range(30):
        profile = make_profile(acworth, first=f"P{n}", last="Many")
        record_event(
            practice=acworth, actor=_staff_actor(owner), action="profile.view", profile=profile
        )
    assert count_queries() == few


@pytest.mark.parametrize(
    ("action", "outcome", "detail", "words"),
    [
        ("profile.view", "ok", {}, "Viewed profile"),
        ("card.connect", "ok", {"card_last4": "1234"}, "Connected card …1234"),
        (
            "card.connect",
            "ok",
            {"card_last4": "1234", "retired_set_card_last4": "2654"},
            "Connected card …1234; card …2654 set in Orthotrac was retired, never connected",
        ),
        (
            "card.replace",
            "ok",
            {"old_card_last4": "1111", "card_last4": "2222"},
            "Replaced card …1111 with card …2222",
        ),
        ("login", "failed", {}, "Failed sign-in"),
        ("login", "denied", {}, "Sign-in refused: username locked"),
        ("login", "ok", {}, "Signed in"),
        (
            "profile.tag",
            "ok",
            {"added": ["*Acworth"], "removed": []},
            "Changed tags: added *Acworth",
        ),
        ("profile.update", "ok", {"fields": ["birth_date"]}, "Changed details: birth date"),
        (
            "staff.role",
            "ok",
            {"username": "amy", "from": "rewards", "to": "admin"},
            "Changed the role of amy from Rewards to Admin",
        ),
        (
            "tag.delete",
            "ok",
            {"name": "Sports", "patients": 1},
            "Deleted tag “Sports” (removed from 1 patient)",
        ),
        (
            "pms.set_card",
            "ok",
            {"system": "orthotrac", "chart_id": "OT-1", "outcome": "created", "error": None},
            "PMS set card for chart OT-1: created",
        ),
        (
            "tag_rule.create",
            "ok",
            {"field": "office", "value": "ACW", "tag": "*Acworth"},
            "Mapped PMS office “ACW” to tag *Acworth",
        ),
        ("pms.something_new", "ok", {}, "Pms something new"),
    ],
)
def test_it_puts_each_action_in_words(
    action: str, outcome: str, detail: dict[str, Any], words: str
) -> None:
    assert describe_action(action, outcome, detail) == words


def test_it_audits_a_real_sign_in_from_the_login_page(
    client: Client, owner: Any, acworth: Practice
) -> None:
    client.post("/login/", {"username": "owner", "password": PASSWORD})
    event = AuditEvent.objects.get(action="login")
    assert (event.practice, event.outcome, event.actor_user) == (acworth, "ok", owner)
