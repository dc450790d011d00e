"""The plain words Settings > Automatic points shows for each rule (automations/wording.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewardshub.automations.models import Trigger
from rewardshub.automations.wording import APPOINTMENT, rule_text


class TestEachTrigger:
    def test_it_says_kept(self) -> None:
        assert rule_text("kept", 5) == "Patients who keep their appointment get 5 points."

    def test_it_says_on_time_with_its_grace(self) -> None:
        assert rule_text("on_time", 3, grace_minutes=5) == (
            "Patients who arrive on time get 3 points. "
            "Up to 5 minutes after the start counts as on time."
        )

    def test_it_says_early_with_its_minutes(self) -> None:
        assert rule_text("early", 4, early_minutes=15) == (
            "Patients who arrive at least 15 minutes early get 4 points."
        )

    def test_it_says_late_takes_points_never_below_zero(self) -> None:
        assert rule_text("late", 2, grace_minutes=5) == (
            "Patients who arrive more than 5 minutes late lose 2 points (never below zero)."
        )

    def test_it_says_missed_takes_points(self) -> None:
        assert rule_text("missed", 7) == (
            "Patients who miss their appointment lose 7 points (never below zero)."
        )

    def test_it_says_confirmed(self) -> None:
        assert rule_text("confirmed", 1) == "Patients who confirm their appointment get 1 point."

    def test_it_says_next_booked_with_its_window(self) -> None:
        assert rule_text("next_booked", 6, window_hours=24) == (
            "Patients who book their next visit within 24 hours of check-out get 6 points."
        )

    def test_it_says_welcome(self) -> None:
        assert rule_text("welcome", 10) == (
            "Each patient gets 10 points when their first card is connected."
        )

    def test_it_says_birthday(self) -> None:
        assert rule_text("birthday", 5) == (
            "Birthday: 5 points once a year in the week of the birthday."
        )

    def test_it_says_milestone_with_its_status(self) -> None:
        assert rule_text("milestone", 50, milestone_status="Debond") == (
            "Each patient gets 50 points once, when the PMS sets their status to “Debond”."
        )

    def test_it_says_a_milestone_has_no_status_yet(self) -> None:
        assert rule_text("milestone", 50) == (
            "Each patient gets 50 points once, at a treatment milestone (no PMS status named yet)."
        )

    def test_it_refuses_an_unknown_trigger(self) -> None:
        with pytest.raises(ValueError, match="unknown trigger 'tardy'"):
            rule_text("tardy", 1)

    def test_it_knows_every_trigger_of_the_model(self) -> None:
        for trigger in Trigger.values:
            assert rule_text(trigger, 2).endswith(".")


class TestLimits:
    def test_it_names_the_appointment_types(self) -> None:
        assert rule_text("kept", 5, appointment_types=["ADJ", "DEB"]) == (
            "Patients who keep their appointment get 5 points. Only for appointment types ADJ, DEB."
        )

    @pytest.mark.parametrize(
        ("limit", "words"), [(1, "once"), (2, "twice"), (3, "3 times"), (1000, "1,000 times")]
    )
    def test_it_says_the_daily_limit(self, limit: int, words: str) -> None:
        assert rule_text("confirmed", 1, daily_limit=limit) == (
            f"Patients who confirm their appointment get 1 point. At most {words} a day."
        )

    def test_it_says_types_then_limit(self) -> None:
        text = rule_text("missed", 1, appointment_types=["ADJ"], daily_limit=1)
        assert text == (
            "Patients who miss their appointment lose 1 point (never below zero). "
            "Only for appointment types ADJ. At most once a day."
        )

    def test_it_says_one_minute_and_one_hour(self) -> None:
        assert "at least 1 minute early" in rule_text("early", 4, early_minutes=1)
        assert "within 1 hour of check-out" in rule_text("next_booked", 6, window_hours=1)
        assert "more than 0 minutes late" in rule_text("late", 2, grace_minutes=0)

    @pytest.mark.parametrize("trigger", ["welcome", "birthday", "milestone"])
    def test_it_leaves_out_types_and_limit_where_they_do_not_apply(self, trigger: str) -> None:
        text = rule_text(trigger, 5, appointment_types=["ADJ"], daily_limit=1)
        assert "ADJ" not in text and "a day" not in text

    def test_the_appointment_triggers_are_the_models(self) -> None:
        from rewardshub.automations.models import APPOINTMENT_TRIGGERS

        assert {str(t) for t in APPOINTMENT_TRIGGERS} == APPOINTMENT

    @given(
        trigger=st.sampled_from(Trigger.values),
        points=st.integers(1, 100_000),
        codes=st.lists(st.text("ABCDEFGHIJ0123456789", min_size=1, max_size=6), max_size=4),
        limit=st.none() | st.integers(1, 100),
    )
    def test_it_always_says_the_points(
        self, trigger: str, points: int, codes: list[str], limit: int | None
    ) -> None:
        text = rule_text(trigger, points, appointment_types=codes, daily_limit=limit)
        assert f"{points:,} point" in text
        assert ("lose" in text) == (trigger in ("late", "missed"))
