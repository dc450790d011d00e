"""The appointments panel of the staff profile page and the PMS chart tab: the
next visit, the last few with the points each earned, and what a take-back
could not take. Appointments are sent through the API, as the PMS does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.automations.conftest import CHART, Book
from tests.automations.visits import DAY, NEXT, PAST, kept, ok, past_book
from tests.conftest import SYSTEM
from tests.integrations.conftest import EMMA, Api

from rewardshub.audit.models import AuditEvent
from rewardshub.audit.wording import describe_action
from rewardshub.automations.models import AutoRule
from rewardshub.automations.queries import panel
from rewardshub.integrations.models import LaunchView
from rewardshub.patients.models import Profile
from rewardshub.points.models import Prize
from rewardshub.points.orders import order_prize
from rewardshub.practices.context import SESSION_LAUNCH
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db


@pytest.fixture
def past(acworth: Practice, rules: dict[str, AutoRule], api: Api) -> Book:
    return past_book(acworth, api)


def page(client: Client, profile: Profile) -> str:
    response = client.get(reverse("patients:detail", kwargs={"public_id": profile.public_id}))
    assert response.status_code == 200
    return response.content.decode()


def chart_client(practice: Practice) -> Client:
    """A session opened by a PMS launch link for the chart tab."""
    client = Client()
    session = client.session
    session[SESSION_LAUNCH] = {
        "practice_id": practice.pk,
        "actor": "FRONTDESK via Orthotrac",
        "system": "orthotrac",
        "key_id": None,
        "view": LaunchView.CHART,
        "frame_ancestors": "",
    }
    session.save()
    return client


@pytest.fixture
def visits(past: Book, emma: Profile) -> Book:
    """Six past visits (the third cancelled, the newest on time) and four to come:
    one cancelled, one deleted, then the next visit, then a later one."""
    for day in range(6):
        extra = {"arrived_at": past.at(day * DAY + 2)} if day == 5 else {}
        kept(past, f"P{day}", day, **extra)
    ok(past.put("P3", "cancelled", starts_at=past.at(3 * DAY)))
    ok(past.put("F1", "scheduled", starts_at=(NEXT - dt.timedelta(days=9)).isoformat()), 201)
    ok(past.put("F2", "confirmed", starts_at=(NEXT - dt.timedelta(days=3)).isoformat()), 201)
    ok(past.put("F1", "cancelled", starts_at=(NEXT - dt.timedelta(days=9)).isoformat()))
    ok(past.delete("F2"))
    ok(past.put("F3", "scheduled", starts_at=NEXT.isoformat(), type_label="Debond"), 201)
    ok(past.put("F4", "scheduled", starts_at=(NEXT + dt.timedelta(days=30)).isoformat()), 201)
    return past


class TestPanel:
    def test_it_shows_the_next_visit_and_the_last_five_newest_first(
        self, visits: Book, emma: Profile
    ) -> None:
        shown = panel(emma)
        assert shown is not None and shown.next is not None
        assert (shown.next.starts_at, shown.next.what, shown.next.status) == (
            NEXT,
            "Debond",
            "Scheduled",
        )
        assert [(v.starts_at, v.status) for v in shown.recent] == [
            (PAST + dt.timedelta(days=day), "Cancelled" if day == 3 else "Completed")
            for day in (5, 4, 3, 2, 1)
        ]

    def test_it_shows_the_points_each_visit_earned_and_from_which_rules(
        self, visits: Book, emma: Profile
    ) -> None:
        shown = panel(emma)
        assert shown is not None
        earned = [[(e.label, e.points) for e in v.earned] for v in shown.recent]
        assert earned == [
            [("Appointment kept", 5), ("On time", 3)],
            [("Appointment kept", 5)],
            [],  # cancelled: paid, then taken back
            [("Appointment kept", 5)],
            [("Appointment kept", 5)],
        ]
        assert [v.points for v in shown.recent] == [8, 5, 0, 5, 5]
        assert shown.not_taken == []

    def test_the_profile_page_shows_it_in_the_practice_time_zone(
        self, visits: Book, emma: Profile, frontdesk_client: Client
    ) -> None:
        html = page(frontdesk_client, emma)
        assert 'id="appointments"' in html
        assert "Debond" in html and "Dec. 12, 2030, 9:30 a.m. EST" in html
        # The newest past visit (Nov 8, 02:30 UTC) on the practice's day, Nov 7.
        assert "Nov. 7, 2026, 9:30 p.m. EST" in html
        assert "Appointment kept +5, On time +3" in html
        # The sixth visit back is not listed.
        assert "Nov. 2, 2026, 9:30 p.m. EST" not in html

    def test_the_chart_tab_shows_it_too(
        self, visits: Book, emma: Profile, acworth: Practice
    ) -> None:
        client = chart_client(acworth)
        response = client.get(reverse("integrations:chart", kwargs={"public_id": emma.public_id}))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="appointments"' in html and "Dec. 12, 2030, 9:30 a.m. EST" in html
        assert "Appointment kept +5, On time +3" in html

    def test_a_patient_without_appointments_has_no_panel(
        self, rules: dict[str, AutoRule], emma: Profile, frontdesk_client: Client
    ) -> None:
        assert panel(emma) is None
        assert 'id="appointments"' not in page(frontdesk_client, emma)

    def test_no_next_visit_when_the_only_ones_to_come_are_cancelled_or_deleted(
        self, past: Book, emma: Profile, frontdesk_client: Client
    ) -> None:
        kept(past, "P0", 0)
        ok(past.put("F1", "cancelled", starts_at=NEXT.isoformat()), 201)
        ok(past.put("F2", "scheduled", starts_at=NEXT.isoformat()), 201)
        ok(past.delete("F2"))
        shown = panel(emma)
        assert shown is not None and shown.next is None and len(shown.recent) == 1
        assert "None booked." in page(frontdesk_client, emma)

    def test_the_staff_history_names_automatic_entries(
        self, visits: Book, emma: Profile, frontdesk_client: Client
    ) -> None:
        html = page(frontdesk_client, emma)
        assert 'Automatic <span class="muted">· On time: Adjustment on Nov 7, 2026</span>' in html
        assert "Taken back: Appointment kept: Adjustment on Nov 5, 2026" in html

    def test_recent_activity_tells_automatic_points_and_appointments_in_words(
        self, visits: Book, emma: Profile, frontdesk_client: Client
    ) -> None:
        html = page(frontdesk_client, emma)
        assert "Added an appointment by Orthotrac" in html
        # One audit row a write: the appointment's own, not a second one of the call.
        assert "PMS sent an appointment" not in html
        # F2 deleted: the 1 point its confirmation paid taken back.
        assert "Points for appointments (-1 point) by Orthotrac" in html
        for code in ("Points auto", "Appointment write", "Pms appointment"):
            assert code not in html


def test_the_audit_words_add_up_what_the_rules_moved() -> None:
    detail = {
        "changes": [
            {"rule": "kept", "points": -1, "uncollected": 4},
            {"rule": "late", "points": 0, "uncollected": 2},
        ],
        "balance": 0,
    }
    assert describe_action("points.auto", "ok", detail) == "Points for appointments (-1 point)"
    assert (
        describe_action("appointment.write", "ok", {"outcome": "deleted"})
        == "Deleted an appointment"
    )


class TestNotTaken:
    def test_a_take_back_of_spent_points_says_what_it_could_not_take(
        self, past: Book, emma: Profile, acworth: Practice, frontdesk_client: Client
    ) -> None:
        kept(past, "P0", 0)
        prize = Prize.objects.create(practice=acworth, name="Sticker pack", cost=4)
        order_prize(practice=acworth, profile=emma, prize=prize, actor=SYSTEM)
        ok(past.put("P0", "cancelled", starts_at=past.at(0)))
        line = (
            "Could not take back 4 points (Appointment kept: Adjustment on Nov 2, 2026 "
            "was cancelled): the patient had already spent them."
        )
        shown = panel(emma)
        assert shown is not None and shown.not_taken == [line]
        assert line in page(frontdesk_client, emma)
        # Completed again: what could not be taken is forgiven, and the line goes.
        ok(past.put("P0", "completed", starts_at=past.at(0), completed_at=past.at(30)))
        shown = panel(emma)
        assert shown is not None and shown.not_taken == []

    def test_a_deduction_the_balance_could_not_pay_is_said_too(
        self, past: Book, emma: Profile
    ) -> None:
        ok(past.put("P0", "missed", starts_at=past.at(0)), 201)
        shown = panel(emma)
        assert shown is not None
        assert shown.not_taken == [
            "Could not deduct 7 points (Missed appointment: Adjustment on Nov 2, 2026): "
            "the patient did not have enough points."
        ]

    def test_it_is_said_for_a_deleted_visit_older_than_the_last_five(
        self, past: Book, emma: Profile, acworth: Practice
    ) -> None:
        for day in range(7):
            kept(past, f"P{day}", day)
        prize = Prize.objects.create(practice=acworth, name="Headphones", cost=33)
        order_prize(practice=acworth, profile=emma, prize=prize, actor=SYSTEM)
        ok(past.delete("P0"))
        shown = panel(emma)
        assert shown is not None
        assert len(shown.recent) == 5 and all(v.points == 5 for v in shown.recent)
        assert shown.not_taken == [
            "Could not take back 3 points (Appointment kept: Adjustment on Nov 2, 2026 "
            "was deleted in the PMS): the patient had already spent them."
        ]


class TestTenancy:
    def test_another_practices_appointments_are_never_shown(
        self,
        visits: Book,
        emma: Profile,
        riverside: Practice,
        riverside_api: Api,
        issue_cards: Callable[[Practice, int], list[str]],
        frontdesk_client: Client,
    ) -> None:
        # The same chart id and appointment ids at Riverside, with its own patient.
        card = issue_cards(riverside, 1)[0]
        assert riverside_api.set_card(CHART, card, **EMMA).status_code in (200, 201)
        theirs = Book(riverside_api, start=PAST)
        ok(
            theirs.put(
                "P9", "completed", type_label="Riverside cleaning", starts_at=theirs.at(9 * DAY)
            ),
            201,
        )
        ok(
            theirs.put(
                "F9", "scheduled", type_label="Riverside whitening", starts_at=NEXT.isoformat()
            ),
            201,
        )
        shown = panel(emma)
        assert shown is not None and shown.next is not None
        assert shown.next.what == "Debond"
        assert "Riverside cleaning" not in [v.what for v in shown.recent]
        html = page(frontdesk_client, emma)
        assert "Riverside" not in html.replace("Riverside Dental", "")


class TestCost:
    def test_reading_the_profile_writes_one_audit_event_as_before(
        self, visits: Book, emma: Profile, frontdesk_client: Client
    ) -> None:
        before = set(AuditEvent.objects.values_list("pk", flat=True))
        page(frontdesk_client, emma)
        new = AuditEvent.objects.exclude(pk__in=before)
        assert list(new.values_list("action", flat=True)) == ["profile.view"]

    def test_the_panel_is_two_queries_however_many_visits(
        self, past: Book, emma: Profile
    ) -> None:
        with CaptureQueriesContext(connection) as none:
            assert panel(emma) is None
        kept(past, "P0", 0)
        with CaptureQueriesContext(connection) as one:
            panel(emma)
        for day in range(1, 12):
            kept(past, f"P{day}", day)
        ok(past.put("F1", "scheduled", starts_at=NEXT.isoformat()), 201)
        with CaptureQueriesContext(connection) as many:
            panel(emma)
        assert len(none) == 1
        assert len(one) == len(many) == 2


def test_the_panels_cached_statement_gives_the_querysets_rows(
    visits: Book, emma: Profile, riverside: Practice
) -> None:
    """The compiled-once read of the shown appointments (next, last five, owed)
    matches the plain QuerySet it is built from, field for field, with its places."""
    from tests.test_cached_statements import fields

    from rewardshub.automations import queries

    cached = queries._SHOWN.rows(emma.practice_id, emma.pk)
    orm = list(queries._shown(emma.practice_id, emma.pk))
    assert len(cached) == 6  # the next visit and the last five
    assert [(fields(a), a.place) for a in cached] == [(fields(a), a.place) for a in orm]
    assert sorted(a.place for a in cached).count(queries._NEXT) == 1
    assert queries._SHOWN.rows(riverside.pk, emma.pk) == []
