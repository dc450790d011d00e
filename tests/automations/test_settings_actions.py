"""save_rule and save_settings refuse what a rule or the settings cannot hold,
whoever calls them, and change nothing when they do."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.automations.models import AutoRule, AutoSettings
from rewardshub.automations.settings_actions import InvalidValue, save_rule, save_settings
from rewardshub.patients.models import Tag
from rewardshub.practices.models import Practice

# What a form would send before cleaning it: not a bool, not a date.
ON: Any = "on"
TEXT: Any = "2026-01-31"


def rows(practice: Practice) -> list[tuple[Any, ...]]:
    return list(
        AutoRule.objects.filter(practice=practice)
        .order_by("trigger")
        .values_list("trigger", "enabled", "points", "daily_limit", "grace_minutes")
    )


class TestSaveRule:
    @pytest.mark.parametrize(
        ("values", "field", "message"),
        [
            ({"points": 0}, "points", "Points must be a whole number from 1 to 100,000."),
            ({"points": True}, "points", "Points must be a whole number from 1 to 100,000."),
            ({"points": "5"}, "points", "Points must be a whole number from 1 to 100,000."),
            (
                {"daily_limit": 0},
                "daily_limit",
                "The daily limit must be a whole number from 1 to 100 (or nothing, for no limit).",
            ),
            ({"grace_minutes": -1}, "grace_minutes", "The grace must be a whole number from 0"),
            ({"early_minutes": 0}, "early_minutes", "Early minutes must be a whole number from 1"),
            ({"window_hours": 10_000}, "window_hours", "The window must be a whole number from 1"),
            (
                {"appointment_types": ["ADJ,DEB"]},
                "appointment_types",
                "Appointment types are codes of at most 40 characters, separated by commas.",
            ),
            ({"appointment_types": [""]}, "appointment_types", "Appointment types are codes"),
            ({"appointment_types": "ADJ"}, "appointment_types", "Appointment types are codes"),
            (
                {"milestone_status": "x" * 41},
                "milestone_status",
                "The milestone status has at most 40 characters.",
            ),
        ],
    )
    def test_it_refuses_a_value_the_rule_cannot_hold(
        self, acworth: Practice, values: dict[str, Any], field: str, message: str
    ) -> None:
        save_rule(practice=acworth, trigger="kept", enabled=True, points=5, actor=SYSTEM)
        before, events = rows(acworth), AuditEvent.objects.count()
        with pytest.raises(InvalidValue) as refused:
            save_rule(practice=acworth, trigger="kept", enabled=False, actor=SYSTEM, **values)
        assert refused.value.field == field
        assert refused.value.message.startswith(message)
        assert rows(acworth) == before and AuditEvent.objects.count() == events

    def test_it_refuses_an_enabled_that_is_no_yes_or_no(self, acworth: Practice) -> None:
        with pytest.raises(InvalidValue, match="yes or no"):
            save_rule(practice=acworth, trigger="kept", enabled=ON, actor=SYSTEM)
        assert not AutoRule.objects.exists()

    def test_it_takes_an_empty_daily_limit_as_none(self, acworth: Practice) -> None:
        save_rule(practice=acworth, trigger="kept", enabled=True, daily_limit=2, actor=SYSTEM)
        rule = save_rule(
            practice=acworth, trigger="kept", enabled=True, daily_limit=None, actor=SYSTEM
        )
        assert rule.daily_limit is None

    def test_an_empty_milestone_status_sent_counts_over_the_stored_one(
        self, acworth: Practice
    ) -> None:
        save_rule(
            practice=acworth, trigger="milestone", enabled=False, milestone_status="Debond",
            actor=SYSTEM,
        )  # fmt: skip
        with pytest.raises(InvalidValue) as refused:
            save_rule(
                practice=acworth, trigger="milestone", enabled=True, milestone_status="",
                actor=SYSTEM,
            )  # fmt: skip
        assert refused.value.code == "milestone_status_required"
        rule = AutoRule.objects.get(practice=acworth, trigger="milestone")
        assert (rule.enabled, rule.milestone_status) == (False, "Debond")
        # Not sent: the stored status is the rule's.
        assert save_rule(practice=acworth, trigger="milestone", enabled=True, actor=SYSTEM).enabled

    @pytest.mark.parametrize(("saved", "partner"), [("on_time", "late"), ("late", "on_time")])
    def test_it_saves_one_grace_on_on_time_and_late(
        self, acworth: Practice, saved: str, partner: str
    ) -> None:
        save_rule(practice=acworth, trigger=partner, enabled=True, points=2, actor=SYSTEM)
        save_rule(practice=acworth, trigger=saved, enabled=True, grace_minutes=9, actor=SYSTEM)
        other = AutoRule.objects.get(practice=acworth, trigger=partner)
        assert (other.grace_minutes, other.enabled, other.points) == (9, True, 2)

    def test_a_rule_with_no_grace_leaves_its_partner_alone(self, acworth: Practice) -> None:
        save_rule(practice=acworth, trigger="on_time", enabled=True, points=3, actor=SYSTEM)
        assert not AutoRule.objects.filter(trigger="late").exists()

    def test_the_grace_stays_in_its_practice(self, acworth: Practice, riverside: Practice) -> None:
        save_rule(practice=riverside, trigger="late", enabled=True, grace_minutes=5, actor=SYSTEM)
        save_rule(practice=acworth, trigger="on_time", enabled=True, grace_minutes=9, actor=SYSTEM)
        assert AutoRule.objects.get(practice=riverside, trigger="late").grace_minutes == 5


class TestSaveSettings:
    def test_it_refuses_a_tag_of_another_practice(
        self, acworth: Practice, riverside: Practice
    ) -> None:
        theirs = Tag.objects.filter(practice=riverside).first()
        assert theirs is not None
        with pytest.raises(InvalidValue) as refused:
            save_settings(practice=acworth, excluded_tags=[theirs], visits_since=None, actor=SYSTEM)
        assert (refused.value.code, refused.value.field) == ("unknown_tag", "excluded_tags")
        assert not AutoSettings.objects.exists()

    def test_it_refuses_a_visits_since_that_is_no_date(self, acworth: Practice) -> None:
        when = dt.datetime(2026, 1, 31, tzinfo=dt.UTC)
        with pytest.raises(InvalidValue, match="must be a date"):
            save_settings(practice=acworth, excluded_tags=[], visits_since=when, actor=SYSTEM)
        with pytest.raises(InvalidValue, match="must be a date"):
            save_settings(practice=acworth, excluded_tags=[], visits_since=TEXT, actor=SYSTEM)
        assert not AutoSettings.objects.exists()
