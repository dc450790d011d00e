"""The patient portal: the next visit on the home page, and what each visit
earned in the points history, with nothing internal shown."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from tests.automations.conftest import Book
from tests.automations.visits import DAY, NEXT, kept, ok, past_book
from tests.conftest import SYSTEM
from tests.integrations.conftest import Api

from rewardshub.automations.models import AutoRule
from rewardshub.automations.queries import next_visit
from rewardshub.patients.models import Profile
from rewardshub.points.models import Prize
from rewardshub.points.orders import order_prize
from rewardshub.portal.actions import activate_account, issue_temp_password
from rewardshub.portal.auth import temp_password_hashes
from rewardshub.portal.models import PortalAccount
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db


@pytest.fixture
def past(acworth: Practice, rules: dict[str, AutoRule], api: Api) -> Book:
    return past_book(acworth, api)


PASSWORD = "sparkly-braces-42"


@pytest.fixture
def portal(emma: Profile) -> Client:
    """Emma logged in to the portal with the card the PMS set."""
    issue_temp_password(practice=emma.practice, profile=emma, actor=SYSTEM)
    activate_account(
        profile=emma,
        temp_hash=temp_password_hashes(emma, PortalAccount.objects.get(profile=emma))[0],
        password=PASSWORD,
        email="emma@example.com",
        actor=SYSTEM,
    )
    client = Client()
    answer = client.post("/portal/login/", {"identifier": emma.username, "password": PASSWORD})
    assert answer.status_code == 302 and answer["Location"] == "/portal/"
    return client


def text(client: Client, path: str) -> str:
    """The page's words, tags taken out and spaces folded."""
    response = client.get(path)
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


class TestNextVisit:
    def test_the_home_page_shows_it_in_the_practice_time_zone(
        self, past: Book, emma: Profile, portal: Client
    ) -> None:
        ok(past.put("F9", "scheduled", starts_at=(NEXT + dt.timedelta(days=1)).isoformat()), 201)
        ok(past.put("F1", "confirmed", starts_at=NEXT.isoformat()), 201)
        assert "Next visit: Thursday, December 12 at 9:30 AM" in text(portal, "/portal/")

    def test_none_is_shown_without_one_to_come(
        self, past: Book, emma: Profile, portal: Client
    ) -> None:
        kept(past, "P0", 0)
        ok(past.put("F1", "cancelled", starts_at=NEXT.isoformat()), 201)
        assert "Next visit" not in text(portal, "/portal/")

    def test_another_practices_patient_never_sees_it(
        self, past: Book, emma: Profile, portal: Client, riverside: Practice, make_profile: object
    ) -> None:
        ok(past.put("F1", "scheduled", starts_at=NEXT.isoformat()), 201)
        other = make_profile(riverside, first="Emma", last="Johnson")  # type: ignore[operator]
        assert next_visit(other) is None and next_visit(emma) is not None


class TestHistory:
    def test_a_visits_points_read_as_one_line_with_what_each_rule_gave(
        self, past: Book, emma: Profile, portal: Client
    ) -> None:
        kept(past, "APPT-771", 5, arrived_at=past.at(5 * DAY + 2))
        kept(past, "APPT-772", 6, type_label="Debond")
        page = text(portal, "/portal/history/")
        assert "Your visit: Debond on Nov 8, 2026 +5 Appointment kept +5" in page
        assert "Your visit: Adjustment on Nov 7, 2026 +8 Appointment kept +5 · On time +3" in page
        home = text(portal, "/portal/")
        assert "Your visit: Adjustment on Nov 7, 2026 +8" in home

    def test_a_take_back_reads_as_one_and_internal_things_are_never_shown(
        self, past: Book, emma: Profile, portal: Client, acworth: Practice
    ) -> None:
        kept(past, "APPT-771", 0, provider="Dr. Internal")
        prize = Prize.objects.create(practice=acworth, name="Sticker pack", cost=4)
        order_prize(practice=acworth, profile=emma, prize=prize, actor=SYSTEM)
        ok(past.put("APPT-771", "cancelled", starts_at=past.at(0)))
        response = portal.get("/portal/history/")
        html = response.content.decode()
        page = text(portal, "/portal/history/")
        assert "Your visit: Adjustment on Nov 2, 2026 -1 Taken back: Appointment kept -1" in page
        assert "Sticker pack" in page
        for internal in ("APPT-771", "Dr. Internal", "uncollected", "Could not", "kept_", "rule"):
            assert internal not in html, internal

    def test_other_entries_read_as_before(
        self, past: Book, emma: Profile, portal: Client, acworth: Practice
    ) -> None:
        kept(past, "P0", 0)
        prize = Prize.objects.create(practice=acworth, name="Sticker pack", cost=2)
        order_prize(practice=acworth, profile=emma, prize=prize, actor=SYSTEM)
        kept(past, "P1", 1)
        items = portal.get("/portal/history/").context["items"]
        assert [(i.what, i.points) for i in items] == [
            ("Adjustment on Nov 3, 2026", 5),
            ("Sticker pack", -2),
            ("Adjustment on Nov 2, 2026", 5),
        ]
