"""Settings > Automatic points: who may open it, what each rule's form saves, what
bad input gets, the plain-words previews and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from tests.conftest import SYSTEM, staff_client

from rewardshub.audit.models import AuditEvent
from rewardshub.automations.models import AutoRule, AutoSettings
from rewardshub.automations.settings_actions import save_rule, save_settings
from rewardshub.patients.models import Tag, TagGroup
from rewardshub.patients.tag_actions import create_tag
from rewardshub.practices.models import Practice, Role

PAGE = "/settings/automatic-points/"
EXCLUSIONS = PAGE + "exclusions/"


def rule_url(trigger: str) -> str:
    return f"{PAGE}{trigger}/"


def body(trigger: str, *, enabled: bool = True, **fields: Any) -> dict[str, Any]:
    """A rule form's POST body, as the page's form sends it (fields are prefixed)."""
    data = {f"{trigger}-{name}": value for name, value in fields.items()}
    if enabled:
        data[f"{trigger}-enabled"] = "on"
    return data


def rules_state(practice: Practice) -> list[tuple[Any, ...]]:
    return list(
        AutoRule.objects.filter(practice=practice)
        .order_by("trigger")
        .values_list(
            "trigger",
            "enabled",
            "points",
            "appointment_types",
            "daily_limit",
            "grace_minutes",
            "early_minutes",
            "window_hours",
            "milestone_status",
            "active_from",
        )
    )


def settings_state(practice: Practice) -> tuple[Any, ...] | None:
    found = AutoSettings.objects.filter(practice=practice).first()
    if found is None:
        return None
    return (found.visits_since, sorted(found.excluded_tags.values_list("name", flat=True)))


def state(practice: Practice) -> tuple[Any, ...]:
    """Everything the page could change, and the audit rows of automatic points."""
    events = AuditEvent.objects.filter(action__startswith="automations.").count()
    return rules_state(practice), settings_state(practice), events


def preview(page: str, trigger: str) -> str:
    return page.split(f'id="preview-{trigger}">', 1)[1].split("</p>", 1)[0]


def tag(practice: Practice, name: str) -> Tag:
    group = TagGroup.objects.filter(practice=practice).first()
    assert group is not None
    return create_tag(practice=practice, group=group, name=name, actor=SYSTEM)


@pytest.fixture
def tags(acworth: Practice) -> dict[str, Tag]:
    """A system status tag every practice has, and one of the practice's own."""
    return {
        "*Future Patient": Tag.objects.get(practice=acworth, name="*Future Patient"),
        "Financial hold": tag(acworth, "Financial hold"),
    }


class TestAccess:
    @pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
    def test_it_opens_for_owners_and_admins(self, acworth: Practice, role: str) -> None:
        client = staff_client(acworth, "boss", role)
        response = client.get(PAGE)
        assert response.status_code == 200
        page = response.content.decode()
        assert "<h2>Automatic points</h2>" in page
        assert 'href="/settings/automatic-points/" aria-current="page">Automatic points</a>' in page

    @pytest.mark.parametrize("role", [Role.REWARDS, Role.MARKETING, Role.FINANCIAL])
    def test_it_refuses_other_roles_and_changes_nothing(
        self, acworth: Practice, tags: dict[str, Tag], role: str
    ) -> None:
        client = staff_client(acworth, "staff", role)
        before = state(acworth)
        response = client.get(PAGE)
        assert response.status_code == 403
        assert "Your role in this practice cannot open this page." in response.content.decode()
        assert client.post(rule_url("kept"), body("kept", points="9")).status_code == 403
        tick = {"exclusions-excluded_tags": [str(tags["*Future Patient"].public_id)]}
        assert client.post(EXCLUSIONS, tick).status_code == 403
        assert state(acworth) == before

    def test_it_sends_the_signed_out_to_sign_in(self, acworth: Practice) -> None:
        response = Client().post(rule_url("kept"), body("kept", points="9"))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
        assert Client().get(PAGE)["Location"].startswith("/login/")
        assert not AutoRule.objects.exists()

    def test_it_lists_the_page_in_the_settings_navigation(self, owner_client: Client) -> None:
        page = owner_client.get("/settings/").content.decode()
        assert '<a href="/settings/automatic-points/" >Automatic points</a>' in page

    def test_it_shows_another_practice_only_its_own_rules(
        self, acworth: Practice, riverside: Practice, outsider_client: Client
    ) -> None:
        save_rule(
            practice=acworth, trigger="kept", enabled=True, points=17, actor=SYSTEM,
            appointment_types=["ACWX"],
        )  # fmt: skip
        mine = tag(acworth, "Acworth only")
        page = outsider_client.get(PAGE).content.decode()
        assert "17 points" not in page and "ACWX" not in page and "Acworth only" not in page
        assert 'id="preview-kept">Patients who keep their appointment get 1 point.<' in page

        before = state(acworth)
        outsider_client.post(rule_url("kept"), body("kept", points="4"))
        tick = {"exclusions-excluded_tags": [str(mine.public_id)]}
        response = outsider_client.post(EXCLUSIONS, tick)
        assert response.status_code == 422
        assert rules_state(acworth) == before[0] and settings_state(acworth) == before[1]
        assert AutoRule.objects.get(practice=riverside, trigger="kept").points == 4

    def test_it_answers_404_for_a_trigger_that_does_not_exist(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        assert owner_client.post(rule_url("tardy"), body("tardy", points="3")).status_code == 404
        assert owner_client.get(rule_url("kept")).status_code == 405
        assert not AutoRule.objects.exists()


class TestSavingRules:
    def test_it_saves_on_points_types_and_daily_limit(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        data = body("kept", points="5", appointment_types=" ADJ,DEB ,, ADJ", daily_limit="2")
        response = owner_client.post(rule_url("kept"), data)
        assert response.status_code == 302
        assert response["Location"] == "/settings/automatic-points/#rule-kept"
        rule = AutoRule.objects.get(practice=acworth, trigger="kept")
        assert (rule.enabled, rule.points, rule.appointment_types, rule.daily_limit) == (
            True, 5, ["ADJ", "DEB"], 2,
        )  # fmt: skip
        assert rule.active_from is not None
        page = owner_client.get(PAGE).content.decode()
        assert "Saved: Appointment kept." in page
        assert 'value="ADJ, DEB"' in page

    def test_it_clears_the_types_and_the_limit_and_switches_off(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        save_rule(
            practice=acworth, trigger="confirmed", enabled=True, points=2, actor=SYSTEM,
            appointment_types=["ADJ"], daily_limit=1,
        )  # fmt: skip
        data = body("confirmed", enabled=False, points="2", appointment_types="", daily_limit="")
        assert owner_client.post(rule_url("confirmed"), data).status_code == 302
        rule = AutoRule.objects.get(practice=acworth, trigger="confirmed")
        assert (rule.enabled, rule.appointment_types, rule.daily_limit) == (False, [], None)

    def test_it_saves_the_grace_on_on_time_and_late(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        save_rule(practice=acworth, trigger="late", enabled=True, points=2, actor=SYSTEM)
        data = body("on_time", points="3", grace_minutes="8")
        assert owner_client.post(rule_url("on_time"), data).status_code == 302
        rules = {r.trigger: r for r in AutoRule.objects.filter(practice=acworth)}
        assert (rules["on_time"].grace_minutes, rules["late"].grace_minutes) == (8, 8)
        assert rules["late"].enabled and rules["late"].points == 2
        page = owner_client.get(PAGE).content.decode()
        assert preview(page, "late") == (
            "Patients who arrive more than 8 minutes late lose 2 points (never below zero)."
        )
        assert "more than 8 minutes after the start is late" in page
        # Shown once: only On time has a grace field.
        assert page.count('name="on_time-grace_minutes"') == 1
        assert "late-grace_minutes" not in page

    def test_it_makes_late_take_the_grace_before_late_exists(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        owner_client.post(rule_url("on_time"), body("on_time", points="3", grace_minutes="0"))
        late = AutoRule.objects.get(practice=acworth, trigger="late")
        assert (late.enabled, late.grace_minutes) == (False, 0)

    def test_it_saves_early_minutes(self, owner_client: Client, acworth: Practice) -> None:
        owner_client.post(rule_url("early"), body("early", points="4", early_minutes="15"))
        assert AutoRule.objects.get(practice=acworth, trigger="early").early_minutes == 15

    def test_it_saves_the_window(self, owner_client: Client, acworth: Practice) -> None:
        owner_client.post(
            rule_url("next_booked"), body("next_booked", points="6", window_hours="48")
        )
        assert AutoRule.objects.get(practice=acworth, trigger="next_booked").window_hours == 48

    def test_it_saves_the_milestone_status(self, owner_client: Client, acworth: Practice) -> None:
        data = body("milestone", points="50", milestone_status="  Debond ")
        assert owner_client.post(rule_url("milestone"), data).status_code == 302
        rule = AutoRule.objects.get(practice=acworth, trigger="milestone")
        assert (rule.enabled, rule.points, rule.milestone_status) == (True, 50, "Debond")

    @pytest.mark.parametrize("trigger", ["welcome", "birthday"])
    def test_it_saves_the_once_rules(
        self, owner_client: Client, acworth: Practice, trigger: str
    ) -> None:
        assert owner_client.post(rule_url(trigger), body(trigger, points="10")).status_code == 302
        rule = AutoRule.objects.get(practice=acworth, trigger=trigger)
        assert (rule.enabled, rule.points) == (True, 10)

    @pytest.mark.parametrize("trigger", ["welcome", "birthday", "milestone"])
    def test_it_offers_no_types_or_limit_on_the_once_rules(
        self, owner_client: Client, trigger: str
    ) -> None:
        page = owner_client.get(PAGE).content.decode()
        assert f'name="{trigger}-points"' in page
        assert f"{trigger}-appointment_types" not in page
        assert f"{trigger}-daily_limit" not in page

    @pytest.mark.parametrize("trigger", ["late", "missed"])
    def test_it_offers_the_limit_on_the_deductions(
        self, owner_client: Client, trigger: str
    ) -> None:
        assert f'name="{trigger}-daily_limit"' in owner_client.get(PAGE).content.decode()

    def test_it_writes_the_audit_event(self, owner_client: Client, acworth: Practice) -> None:
        data = body("kept", points="5", appointment_types="ADJ", daily_limit="1")
        owner_client.post(rule_url("kept"), data)
        event = AuditEvent.objects.get(action="automations.rule")
        assert event.practice_id == acworth.pk
        assert event.actor_label == "owner"
        assert event.detail == {
            "trigger": "kept",
            "enabled": True,
            "points": 5,
            "appointment_types": ["ADJ"],
            "daily_limit": 1,
        }


class TestRefusingRules:
    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("points", "0", "Points must be at least 1."),
            ("points", "-3", "Points must be at least 1."),
            ("points", "abc", "Points must be a whole number, e.g. 5."),
            ("points", "2.5", "Points must be a whole number, e.g. 5."),
            ("points", "", "Enter points as a whole number, e.g. 5."),
            ("points", "100001", "Points must be at most 100,000."),
            (
                "daily_limit",
                "0",
                "The daily limit must be at least 1; leave it empty for no limit.",
            ),
            (
                "daily_limit",
                "x",
                "The daily limit must be a whole number, e.g. 5; leave it empty for no limit.",
            ),
            (
                "appointment_types",
                "ADJ, " + "X" * 41,
                f"“{'X' * 41}” is longer than a type code (40 characters at most).",
            ),
        ],
    )
    def test_it_refuses_a_bad_value_next_to_its_field(
        self, owner_client: Client, acworth: Practice, field: str, value: str, message: str
    ) -> None:
        save_rule(practice=acworth, trigger="kept", enabled=False, points=5, actor=SYSTEM)
        before = state(acworth)
        data = body("kept", **{"points": "6", "daily_limit": "", field: value})
        response = owner_client.post(rule_url("kept"), data)
        assert response.status_code == 422
        page = response.content.decode()
        # The message stands in the field's own block, after its input.
        block = page.split(f'name="kept-{field}"', 1)[1].split("</div>", 1)[0]
        assert message in block
        assert state(acworth) == before
        # The page still says what is stored.
        assert preview(page, "kept") == "Patients who keep their appointment get 5 points."

    @pytest.mark.parametrize(
        ("trigger", "field", "value", "message"),
        [
            ("on_time", "grace_minutes", "-1", "The grace must be at least 0."),
            ("on_time", "grace_minutes", "soon", "The grace must be a whole number, e.g. 5."),
            ("early", "early_minutes", "0", "Early minutes must be at least 1."),
            ("next_booked", "window_hours", "721", "The window must be at most 720."),
        ],
    )
    def test_it_refuses_a_bad_setting_of_a_trigger(
        self,
        owner_client: Client,
        acworth: Practice,
        trigger: str,
        field: str,
        value: str,
        message: str,
    ) -> None:
        before = state(acworth)
        response = owner_client.post(rule_url(trigger), body(trigger, points="3", **{field: value}))
        assert response.status_code == 422
        block = response.content.decode().split(f'name="{trigger}-{field}"', 1)[1]
        assert message in block.split("</div>", 1)[0]
        assert state(acworth) == before

    def test_it_will_not_switch_on_a_milestone_with_no_status(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        save_rule(
            practice=acworth, trigger="milestone", enabled=False, points=50, actor=SYSTEM,
            milestone_status="Debond",
        )  # fmt: skip
        before = state(acworth)
        data = body("milestone", points="50", milestone_status="  ")
        response = owner_client.post(rule_url("milestone"), data)
        assert response.status_code == 422
        block = response.content.decode().split('name="milestone-milestone_status"', 1)[1]
        assert (
            "Name the PMS status that marks the milestone (e.g. Debond) before switching it on."
            in block.split("</div>", 1)[0]
        )
        assert state(acworth) == before


class TestExclusions:
    def test_it_saves_the_tags_and_the_date(
        self, owner_client: Client, acworth: Practice, tags: dict[str, Tag]
    ) -> None:
        page = owner_client.get(PAGE).content.decode()
        assert "Patients with these tags get no automatic points" in page
        assert "*Future Patient" in page and "Financial hold" in page
        data = {
            "exclusions-excluded_tags": [str(t.public_id) for t in tags.values()],
            "exclusions-visits_since": "2026-01-31",
        }
        response = owner_client.post(EXCLUSIONS, data)
        assert response.status_code == 302
        assert response["Location"] == "/settings/automatic-points/#exclusions"
        assert settings_state(acworth) == (
            dt.date(2026, 1, 31),
            ["*Future Patient", "Financial hold"],
        )
        page = owner_client.get(PAGE).content.decode()
        assert 'value="2026-01-31"' in page
        assert page.count("checked") == 2
        event = AuditEvent.objects.get(action="automations.settings")
        assert event.detail == {
            "excluded_tags": ["*Future Patient", "Financial hold"],
            "visits_since": "2026-01-31",
        }

    def test_it_clears_them(
        self, owner_client: Client, acworth: Practice, tags: dict[str, Tag]
    ) -> None:
        save_settings(
            practice=acworth,
            excluded_tags=list(tags.values()),
            visits_since=dt.date(2026, 1, 1),
            actor=SYSTEM,
        )
        response = owner_client.post(EXCLUSIONS, {"exclusions-visits_since": ""})
        assert response.status_code == 302
        assert settings_state(acworth) == (None, [])

    @pytest.mark.parametrize("value", ["31/01/2026", "2026-02-30", "yesterday"])
    def test_it_refuses_a_date_in_a_bad_format(
        self, owner_client: Client, acworth: Practice, tags: dict[str, Tag], value: str
    ) -> None:
        before = state(acworth)
        data = {
            "exclusions-excluded_tags": [str(tags["*Future Patient"].public_id)],
            "exclusions-visits_since": value,
        }
        response = owner_client.post(EXCLUSIONS, data)
        assert response.status_code == 422
        block = response.content.decode().split('name="exclusions-visits_since"', 1)[1]
        assert "Enter the date as year-month-day, e.g. 2026-01-31." in block.split("</div>")[0]
        assert state(acworth) == before

    @pytest.mark.parametrize("theirs", [True, False])
    def test_it_refuses_a_tag_of_another_practice_or_none(
        self,
        owner_client: Client,
        acworth: Practice,
        riverside: Practice,
        tags: dict[str, Tag],
        theirs: bool,
    ) -> None:
        other = str(tag(riverside, "Riverside hold").public_id) if theirs else "12"
        before = state(acworth)
        data = {"exclusions-excluded_tags": [str(tags["*Future Patient"].public_id), other]}
        response = owner_client.post(EXCLUSIONS, data)
        assert response.status_code == 422
        page = response.content.decode()
        fieldset = page.split('<fieldset class="field tag-checks has-error">', 1)[1]
        assert (
            "One of the ticked tags is not a tag of this practice. Reload the page and tick again."
            in fieldset.split("</fieldset>", 1)[0]
        )
        assert "Riverside hold" not in page
        assert state(acworth) == before


class TestPreviews:
    def test_it_shows_every_rule_in_plain_words_on_or_off(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        save_rule(
            practice=acworth, trigger="kept", enabled=True, points=3, actor=SYSTEM,
            appointment_types=["ADJ", "DEB"], daily_limit=1,
        )  # fmt: skip
        save_rule(practice=acworth, trigger="welcome", enabled=False, points=10, actor=SYSTEM)
        page = owner_client.get(PAGE).content.decode()
        assert preview(page, "kept") == (
            "Patients who keep their appointment get 3 points. "
            "Only for appointment types ADJ, DEB. At most once a day."
        )
        assert preview(page, "welcome") == (
            "Each patient gets 10 points when their first card is connected."
        )
        assert preview(page, "birthday") == (
            "Birthday: 1 point once a year in the week of the birthday."
        )
        for trigger in (
            "on_time", "early", "late", "missed", "confirmed", "next_booked", "milestone",
        ):  # fmt: skip
            assert f'id="preview-{trigger}">' in page
        on = page.split('id="rule-kept"', 1)[1].split("</section>", 1)[0]
        off = page.split('id="rule-welcome"', 1)[1].split("</section>", 1)[0]
        assert '<span class="badge badge-on">On</span>' in on
        assert '<span class="badge badge-off">Off</span>' in off

    def test_it_refreshes_the_preview_after_saving(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        data = body("next_booked", points="6", window_hours="24", appointment_types="ADJ")
        response = owner_client.post(rule_url("next_booked"), data, follow=True)
        assert preview(response.content.decode(), "next_booked") == (
            "Patients who book their next visit within 24 hours of check-out get 6 points. "
            "Only for appointment types ADJ."
        )

    def test_the_page_has_no_inline_script_or_style(self, owner_client: Client) -> None:
        page = owner_client.get(PAGE).content.decode()
        assert "<script>" not in page and "<style" not in page and "style=" not in page
        assert "onclick" not in page and "onchange" not in page
