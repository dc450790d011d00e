"""The appointment calls and the points their rules pay (docs/integration-api.md)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.automations.conftest import Book
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.automations.models import AutoAward, AutoRule
from rewardshub.automations.settings_actions import save_settings
from rewardshub.patients.actions import add_tag
from rewardshub.patients.models import Profile, TagGroup
from rewardshub.patients.tag_actions import create_tag
from rewardshub.points.actions import reverse_entry
from rewardshub.points.models import EntryKind, LedgerEntry, Prize
from rewardshub.points.orders import order_prize
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db


def balance(profile: Profile) -> int:
    profile.refresh_from_db()
    ledger = sum(LedgerEntry.objects.filter(profile=profile).values_list("points", flat=True))
    assert profile.points_balance == ledger
    return profile.points_balance


def auto_points(profile: Profile) -> dict[str, int]:
    """What each rule has in effect for the patient: paid, less taken back, less
    what a take-back could not take (owed)."""
    moved: dict[str, int] = {}
    for award in AutoAward.objects.filter(profile=profile).select_related("rule"):
        trigger = award.rule.trigger
        moved[trigger] = moved.get(trigger, 0) + award.points - award.uncollected
    return {trigger: points for trigger, points in moved.items() if points}


def on_hold(practice: Practice, profile: Profile) -> None:
    """Tag the patient "Financial hold", a tag the practice excludes from automatic points."""
    group = TagGroup.objects.filter(practice=practice).first()
    assert group is not None
    hold = create_tag(practice=practice, group=group, name="Financial hold", actor=SYSTEM)
    add_tag(practice=practice, profile=profile, tag=hold, actor=SYSTEM)
    save_settings(practice=practice, excluded_tags=[hold], visits_since=None, actor=SYSTEM)


def ok(answer: Any, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.content
    return answer.json()


class TestTriggers:
    def test_a_visit_on_time_and_kept_pays_both(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        created = ok(book.put("A1", "scheduled"), 201)
        assert created["outcome"] == "created" and created["points"] == []
        arrived = ok(book.put("A1", "arrived", arrived_at=book.at(2)))
        assert arrived["points"] == [{"rule": "on_time", "points": 3, "uncollected": 0}]
        done = ok(book.put("A1", "completed", arrived_at=book.at(2), completed_at=book.at(30)))
        assert done["points"] == [{"rule": "kept", "points": 5, "uncollected": 0}]
        assert done["balance"] == 8 == balance(emma)
        listed = ok(book.list())
        assert [(a["id"], a["points"]) for a in listed["appointments"]] == [("A1", 8)]

    def test_early_replaces_on_time(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        ok(book.put("A1", "arrived", arrived_at=book.at(-15)), 201)
        assert auto_points(emma) == {"early": 4}

    def test_late_pays_no_on_time_and_its_deduction_stops_at_zero(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        body = ok(book.put("A1", "arrived", arrived_at=book.at(6)), 201)
        # A balance of 0: the deduction of 2 takes nothing and says so.
        assert body["points"] == [{"rule": "late", "points": 0, "uncollected": 2}]
        assert balance(emma) == 0

    def test_late_takes_what_the_balance_has(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        ok(book.put("A0", "confirmed", starts_at=book.at(-60 * 24 * 0)), 201)  # +1
        body = ok(book.put("A1", "arrived", starts_at=book.at(60), arrived_at=book.at(70)), 201)
        assert body["points"] == [{"rule": "late", "points": -1, "uncollected": 1}]
        assert balance(emma) == 0

    def test_missed_deducts_and_cancelled_earns_nothing(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        ok(book.put("A1", "completed", completed_at=book.at(30)), 201)
        ok(book.put("A2", "confirmed", starts_at=book.at(120)), 201)
        ok(book.put("A3", "missed", starts_at=book.at(240)), 201)
        assert balance(emma) == 5 + 1 - 6  # the 7 of missed took the 6 there was
        ok(book.put("A2", "cancelled", starts_at=book.at(120)))
        assert auto_points(emma) == {"kept": 5, "missed": -7} and balance(emma) == 0

    def test_confirmed_stays_through_check_out(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        ok(book.put("A1", "confirmed"), 201)
        ok(book.put("A1", "completed", completed_at=book.at(30)))
        assert auto_points(emma) == {"confirmed": 1, "kept": 5}

    def test_next_visit_booked_before_leaving(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        kept = ok(book.put("A1", "completed", completed_at=book.at(30)), 201)
        assert kept["appointment"]["points"] == 5
        booked = ok(
            book.put("A2", "scheduled", starts_at=book.at(60 * 24 * 42), booked_at=book.at(25)),
            201,
        )
        # The booking's answer tells what it earned the visit before it; the new
        # appointment itself earned nothing, as the book's list says too.
        assert booked["points"] == [{"rule": "next_booked", "points": 6, "uncollected": 0}]
        assert booked["appointment"]["points"] == 0
        listed = ok(book.api.call("GET", book.path()))["appointments"]
        assert {a["id"]: a["points"] for a in listed} == {"A1": 11, "A2": 0}
        assert auto_points(emma) == {"kept": 5, "next_booked": 6}
        # Cancelled: the booking no longer counts, and its points go back.
        ok(book.put("A2", "cancelled", starts_at=book.at(60 * 24 * 42), booked_at=book.at(25)))
        assert auto_points(emma) == {"kept": 5}
        assert balance(emma) == 5

    def test_a_booking_long_after_the_visit_is_not_next_visit_booked(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        ok(book.put("A1", "completed", completed_at=book.at(30)), 201)
        ok(
            book.put(
                "A2", "scheduled", starts_at=book.at(60 * 24 * 42), booked_at=book.at(60 * 25)
            ),
            201,
        )
        assert auto_points(emma) == {"kept": 5}


class TestCorrections:
    def test_completed_turned_missed_takes_back_and_deducts_once(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        ok(book.put("A0", "completed", starts_at=book.at(-30), completed_at=book.at(-10)), 201)
        ok(book.put("A1", "completed", completed_at=book.at(30)), 201)
        assert balance(emma) == 10
        for _ in range(2):  # the correction, then its replay
            ok(book.put("A1", "missed"))
            assert balance(emma) == 10 - 5 - 5  # the kept 5 back, then 5 of the 7 (the rest owed)
        assert auto_points(emma) == {"kept": 5, "missed": -7}

    def test_deleted_takes_back(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        ok(book.put("A1", "completed", arrived_at=book.at(0), completed_at=book.at(30)), 201)
        assert balance(emma) == 8
        body = ok(book.delete("A1"))
        assert body["outcome"] == "deleted" and balance(emma) == 0
        assert ok(book.delete("A1"))["outcome"] == "unchanged"
        assert ok(book.list())["appointments"][0]["deleted"] is True

    def test_points_already_spent_are_taken_as_far_as_the_balance_goes(
        self, acworth: Practice, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        ok(book.put("A1", "completed", completed_at=book.at(30)), 201)
        prize = Prize.objects.create(practice=acworth, name="Sticker pack", cost=4)
        order_prize(practice=acworth, profile=emma, prize=prize, actor=SYSTEM)
        assert balance(emma) == 1
        body = ok(book.put("A1", "cancelled"))
        assert body["points"] == [{"rule": "kept", "points": -1, "uncollected": 4}]
        assert balance(emma) == 0
        # Back to completed: the 4 it could not take are forgiven, 1 paid again.
        body = ok(book.put("A1", "completed", completed_at=book.at(30)))
        assert body["points"] == [{"rule": "kept", "points": 1, "uncollected": -4}]
        assert balance(emma) == 1

    def test_an_award_staff_reversed_by_hand_is_left_alone(
        self, acworth: Practice, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        ok(book.put("A1", "completed", completed_at=book.at(30)), 201)
        entry = LedgerEntry.objects.get(profile=emma, kind=EntryKind.AUTO)
        reverse_entry(practice=acworth, entry=entry, reason="Wrong patient", actor=SYSTEM)
        assert balance(emma) == 0
        body = ok(book.put("A1", "cancelled"))
        assert body["points"] == [] and balance(emma) == 0
        body = ok(book.put("A1", "completed", completed_at=book.at(30)))
        assert body["points"] == [] and balance(emma) == 0

    def test_an_older_update_arriving_late_changes_nothing(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        newer = ok(
            book.put("A1", "completed", completed_at=book.at(30), pms_updated_at=book.at(31)), 201
        )
        assert newer["points"][0]["points"] == 5
        older = ok(book.put("A1", "missed", pms_updated_at=book.at(1)))
        assert older["outcome"] == "stale" and "nothing was changed" in older["message"]
        again = ok(book.put("A1", "missed", pms_updated_at=book.at(31)))
        assert again["outcome"] == "unchanged"  # the same version, whatever it says
        assert older["appointment"]["status"] == "completed" and balance(emma) == 5
        assert (
            ok(book.delete("A1", pms_updated_at=book.at(2).replace("+", "%2B")))["outcome"]
            == "stale"
        )

    def test_an_appointment_id_on_another_chart_is_refused(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        ok(book.put("A1", "scheduled"), 201)
        refused = book.put("A1", "completed", chart_id="OT-9999")
        assert refused.status_code == 409
        assert refused.json()["error"] == "appointment_on_other_chart"

    def test_deleting_an_unknown_appointment_says_so(self, emma: Profile, book: Book) -> None:
        refused = book.delete("NOPE")
        assert refused.status_code == 404 and "nothing was deleted" in refused.json()["message"]


class TestLimitsAndExclusions:
    def test_a_daily_limit_pays_the_first_visits_of_the_day(
        self, acworth: Practice, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        from rewardshub.automations.settings_actions import save_rule

        save_rule(practice=acworth, trigger="kept", enabled=True, daily_limit=1, actor=SYSTEM)
        ok(book.put("A1", "completed", completed_at=book.at(30)), 201)
        ok(book.put("A2", "completed", starts_at=book.at(40), completed_at=book.at(60)), 201)
        assert auto_points(emma) == {"kept": 5}
        # The first is cancelled: the second visit of the day now pays.
        ok(book.put("A1", "cancelled"))
        assert auto_points(emma) == {"kept": 5} and balance(emma) == 5
        assert [
            a.appointment.appointment_id
            for a in AutoAward.objects.filter(points__gt=0).select_related("appointment")
        ] == ["A1", "A2"]

    @pytest.mark.parametrize(
        ("status", "fields"),
        [
            ("completed", {"completed_at": 30}),
            ("arrived", {"arrived_at": 2}),
            ("arrived", {"arrived_at": -15}),
            ("arrived", {"arrived_at": 20}),
            ("missed", {}),
            ("confirmed", {}),
        ],
        ids=["kept", "on_time", "early", "late", "missed", "confirmed"],
    )
    def test_an_excluded_patient_gets_nothing(
        self,
        acworth: Practice,
        rules: dict[str, AutoRule],
        emma: Profile,
        book: Book,
        status: str,
        fields: dict[str, int],
    ) -> None:
        on_hold(acworth, emma)
        body = ok(book.put("A1", status, **{k: book.at(v) for k, v in fields.items()}), 201)
        assert body["points"] == [] and auto_points(emma) == {}

    def test_next_visit_booked_under_an_exclusion_pays_nothing(
        self, acworth: Practice, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        on_hold(acworth, emma)
        ok(book.put("A1", "completed", completed_at=book.at(30)), 201)
        ok(book.put("A2", "scheduled", starts_at=book.at(9000), booked_at=book.at(25)), 201)
        assert auto_points(emma) == {}


class TestUnlinkedCharts:
    def test_appointments_wait_for_the_link_and_count_from_the_day_of_the_card(
        self,
        acworth: Practice,
        rules: dict[str, AutoRule],
        api: Any,
        book: Book,
        issue_cards: Any,
    ) -> None:
        from tests.integrations.conftest import EMMA

        held = ok(book.put("A1", "completed", completed_at=book.at(30)), 201)
        assert held["linked"] is False and "kept until the chart is linked" in held["message"]
        card = issue_cards(acworth, 1)[0]
        ok(api.set_card(book.chart_id, card, **EMMA))
        emma = Profile.objects.get(practice=acworth, username=card)
        assert auto_points(emma) == {"kept": 5}

    def test_visits_before_the_card_count_only_since_the_practice_s_date(
        self,
        acworth: Practice,
        rules: dict[str, AutoRule],
        api: Any,
        book: Book,
        issue_cards: Any,
    ) -> None:
        import datetime as dt

        from tests.integrations.conftest import EMMA

        from rewardshub.automations.settings_actions import save_settings

        # The rules have been on for a month; the patient came twice before the card.
        month_ago = book.start - dt.timedelta(days=30)
        AutoRule.objects.filter(practice=acworth).update(active_from=month_ago)
        for n, days in enumerate((20, 10)):
            start = (book.start - dt.timedelta(days=days)).isoformat()
            ok(book.put(f"OLD{n}", "completed", starts_at=start), 201)
        card = issue_cards(acworth, 2)
        ok(api.set_card(book.chart_id, card[0], **EMMA))
        emma = Profile.objects.get(practice=acworth, username=card[0])
        assert auto_points(emma) == {}  # the practice's default: none
        since = (book.start - dt.timedelta(days=15)).date()
        save_settings(practice=acworth, excluded_tags=[], visits_since=since, actor=SYSTEM)
        ok(book.put("NEW", "scheduled", starts_at=book.at(60 * 24 * 30)), 201)
        assert auto_points(emma) == {"kept": 5}  # the visit 10 days ago, not 20


class TestAudit:
    def test_every_write_is_audited_without_the_appointment_id(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        ok(book.put("SECRET-77", "completed", completed_at=book.at(30)), 201)
        events = AuditEvent.objects.filter(profile=emma).order_by("id")
        actions = [e.action for e in events]
        assert "appointment.write" in actions and "points.auto" in actions
        assert not any("SECRET-77" in str(e.detail) for e in events)


class TestValidation:
    def test_a_start_without_its_offset_is_refused(self, emma: Profile, book: Book) -> None:
        refused = book.put("A1", "scheduled", starts_at="2026-12-04T09:30:00")
        assert refused.status_code == 422, refused.content
        assert "starts_at" in refused.json()["message"]

    def test_any_offset_iso_8601_allows_is_kept_in_utc(self, emma: Profile, book: Book) -> None:
        # PostgreSQL takes offsets up to 15:59 only; the hub keeps every time in UTC.
        body = ok(book.put("A1", "scheduled", starts_at="2026-12-04T09:30:00-17:48"), 201)
        assert body["appointment"]["starts_at"] == "2026-12-05T03:18:00+00:00"

    def test_a_time_moved_out_of_the_calendar_by_its_offset_is_refused(
        self, emma: Profile, book: Book
    ) -> None:
        refused = book.put("A1", "scheduled", starts_at="0001-01-01T00:00:00+05:00")
        assert refused.status_code == 422, refused.content
        assert "outside the years 1 to 9999" in refused.json()["message"]

    def test_an_unknown_status_is_refused(self, emma: Profile, book: Book) -> None:
        refused = book.put("A1", "done")
        assert refused.status_code == 422 and "status" in refused.json()["message"]
        assert ok(book.list())["appointments"] == []


class TestBatch:
    def test_each_row_has_its_own_outcome(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book
    ) -> None:
        rows = [
            {
                "chart_id": book.chart_id,
                "appointment_id": "B1",
                "starts_at": book.at(0),
                "status": "completed",
                "completed_at": book.at(30),
            },
            {
                "chart_id": book.chart_id,
                "appointment_id": "B2",
                "starts_at": "tomorrow",
                "status": "scheduled",
            },
            {
                "chart_id": book.chart_id,
                "appointment_id": "B1",
                "starts_at": book.at(0),
                "status": "missed",
            },
            {
                "chart_id": "OT-NOT-LINKED",
                "appointment_id": "B3",
                "starts_at": book.at(0),
                "status": "scheduled",
            },
        ]
        body = ok(
            book.api.call(
                "POST", "/api/v1/pms/orthotrac/appointments:batch", {"appointments": rows}
            )
        )
        outcomes = [(r["appointment_id"], r["outcome"], r.get("error")) for r in body["results"]]
        assert outcomes == [
            ("B1", "created", None),
            ("B2", "error", "validation_error"),
            ("B1", "error", "duplicate_appointment"),
            ("B3", "created", None),
        ]
        assert body["results"][0]["points"] == 5 and balance(emma) == 5
        again = ok(
            book.api.call(
                "POST", "/api/v1/pms/orthotrac/appointments:batch", {"appointments": rows[:1]}
            )
        )
        assert again["results"][0]["outcome"] == "unchanged" and balance(emma) == 5


class TestWelcome:
    def test_the_first_card_pays_welcome_once(
        self, acworth: Practice, api: Any, issue_cards: Any
    ) -> None:
        from tests.integrations.conftest import EMMA

        from rewardshub.automations.settings_actions import save_rule
        from rewardshub.cards.actions import connect_card, replace_card

        save_rule(practice=acworth, trigger="welcome", enabled=True, points=10, actor=SYSTEM)
        first, second = issue_cards(acworth, 2)
        ok(api.set_card("OT-5", first, **EMMA))
        emma = Profile.objects.get(practice=acworth, username=first)
        assert auto_points(emma) == {}  # set in the PMS, not yet connected at the desk
        connect_card(practice=acworth, profile=emma, raw=first, actor=SYSTEM)
        assert auto_points(emma) == {"welcome": 10}
        replace_card(practice=acworth, profile=emma, raw=second, actor=SYSTEM)
        assert auto_points(emma) == {"welcome": 10} and balance(emma) == 10


    def test_an_excluded_patient_gets_no_welcome(
        self, acworth: Practice, api: Any, issue_cards: Any
    ) -> None:
        from tests.integrations.conftest import EMMA

        from rewardshub.automations.settings_actions import save_rule
        from rewardshub.cards.actions import connect_card

        save_rule(practice=acworth, trigger="welcome", enabled=True, points=10, actor=SYSTEM)
        (card,) = issue_cards(acworth, 1)
        ok(api.set_card("OT-6", card, **EMMA))
        emma = Profile.objects.get(practice=acworth, username=card)
        on_hold(acworth, emma)
        connect_card(practice=acworth, profile=emma, raw=card, actor=SYSTEM)
        assert auto_points(emma) == {} and balance(emma) == 0


class TestTenants:
    def test_another_practice_sees_none_of_the_appointments(
        self, rules: dict[str, AutoRule], emma: Profile, book: Book, riverside_api: Any
    ) -> None:
        ok(book.put("A1", "completed", completed_at=book.at(30)), 201)
        other = Book(riverside_api, chart_id=book.chart_id, start=book.start)
        assert ok(other.list())["appointments"] == []
        ok(other.put("A1", "scheduled"), 201)  # its own appointment A1, not ours
        assert ok(book.list())["appointments"][0]["status"] == "completed"
