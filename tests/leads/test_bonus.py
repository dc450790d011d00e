"""The referral bonus: a rule of automatic points, paid to the referrer once per
referred lead when the lead reaches the practice's stage, through the ledger."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db.models import Sum
from django.test import Client
from tests.conftest import SYSTEM
from tests.leads.conftest import BONUS, enable_bonus
from tests.race import run_together

from rewardshub.audit.models import AuditEvent
from rewardshub.automations.models import AutoAward, AutoRule, AutoSettings
from rewardshub.leads.actions import set_status
from rewardshub.leads.bonus import DESCRIPTION
from rewardshub.leads.conversion import confirm_match, propose_matches
from rewardshub.leads.models import Lead, LeadMatch, LeadStatus
from rewardshub.patients.actions import add_tag
from rewardshub.patients.models import Profile, Tag
from rewardshub.points.models import EntryKind, LedgerEntry
from rewardshub.practices.models import Practice


def ledger(profile: Profile) -> tuple[int, int]:
    profile.refresh_from_db()
    total = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
    return profile.points_balance, total


def test_it_pays_the_referrer_when_the_lead_reaches_the_stage(
    acworth: Practice, referrer: Profile, make_lead: Callable[..., Lead], bonus_rule: AutoRule
) -> None:
    lead = make_lead(acworth, referred_by=referrer)
    set_status(practice=acworth, lead=lead, status=LeadStatus.CONSULT_BOOKED, actor=SYSTEM)
    assert ledger(referrer) == (0, 0)

    set_status(practice=acworth, lead=lead, status=LeadStatus.STARTED_TREATMENT, actor=SYSTEM)

    assert ledger(referrer) == (BONUS, BONUS)
    entry = LedgerEntry.objects.get(profile=referrer)
    assert (entry.kind, entry.description, entry.points) == (EntryKind.AUTO, DESCRIPTION, BONUS)
    lead.refresh_from_db()
    assert lead.bonus_entry == entry
    award = AutoAward.objects.get()
    assert (award.rule, award.profile, award.period) == (bonus_rule, referrer, f"L{lead.pk}")
    event = AuditEvent.objects.get(action="referral.bonus")
    assert (event.profile, event.detail["points"], event.detail["lead"]) == (
        referrer,
        BONUS,
        lead.public_id.hex,
    )


def test_it_pays_once_when_the_stage_is_set_twice_or_passed_again(
    acworth: Practice, referrer: Profile, make_lead: Callable[..., Lead]
) -> None:
    enable_bonus(acworth, stage="consult_booked")
    lead = make_lead(acworth, referred_by=referrer)

    for status in (
        "consult_booked",
        "consult_booked",
        "contacted",
        "started_treatment",
        "consult_booked",
    ):
        set_status(practice=acworth, lead=lead, status=status, actor=SYSTEM)

    assert ledger(referrer) == (BONUS, BONUS)
    assert AutoAward.objects.count() == 1


def test_it_pays_nothing_when_the_rule_is_off_or_the_lead_is_lost(
    acworth: Practice, referrer: Profile, make_lead: Callable[..., Lead]
) -> None:
    lead = make_lead(acworth, referred_by=referrer)
    set_status(practice=acworth, lead=lead, status=LeadStatus.STARTED_TREATMENT, actor=SYSTEM)
    enable_bonus(acworth)
    other = make_lead(acworth, referred_by=referrer, email="ava@example.com")
    set_status(practice=acworth, lead=other, status=LeadStatus.LOST, actor=SYSTEM)

    assert ledger(referrer) == (0, 0)
    assert not AutoAward.objects.exists()


def test_it_honours_the_exclusions_of_automatic_points(
    acworth: Practice, referrer: Profile, make_lead: Callable[..., Lead], bonus_rule: AutoRule
) -> None:
    settings = AutoSettings.objects.create(practice=acworth)
    tag = Tag.objects.get(practice=acworth, name="*Acworth")
    settings.excluded_tags.add(tag)
    add_tag(practice=acworth, profile=referrer, tag=tag, actor=SYSTEM)
    lead = make_lead(acworth, referred_by=referrer)

    set_status(practice=acworth, lead=lead, status=LeadStatus.STARTED_TREATMENT, actor=SYSTEM)

    assert ledger(referrer) == (0, 0)


def test_converting_the_lead_pays_at_the_default_stage(
    acworth: Practice,
    referrer: Profile,
    make_lead: Callable[..., Lead],
    make_profile: Callable[..., Profile],
    bonus_rule: AutoRule,
) -> None:
    lead = make_lead(acworth, referred_by=referrer)
    mia = make_profile(acworth, "Mia", "Lopez", birth_date=lead.birth_date)
    propose_matches(acworth, [mia.public_id], SYSTEM)

    confirm_match(practice=acworth, match=LeadMatch.objects.get(), actor=SYSTEM)

    assert ledger(referrer) == (BONUS, BONUS)
    assert ledger(mia) == (0, 0)


def test_a_patient_who_referred_themselves_gets_nothing(
    acworth: Practice, referrer: Profile, make_lead: Callable[..., Lead], bonus_rule: AutoRule
) -> None:
    lead = make_lead(acworth, referred_by=referrer, first_name="Emma", last_name="Johnson")
    Lead.objects.filter(pk=lead.pk).update(converted_profile=referrer)
    lead.refresh_from_db()

    set_status(practice=acworth, lead=lead, status=LeadStatus.STARTED_TREATMENT, actor=SYSTEM)

    assert ledger(referrer) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_it_pays_once_when_the_stage_is_set_concurrently(
    acworth: Practice, referrer: Profile, make_lead: Callable[..., Lead], bonus_rule: AutoRule
) -> None:
    lead = make_lead(acworth, referred_by=referrer)

    def started() -> None:
        set_status(practice=acworth, lead=lead, status=LeadStatus.STARTED_TREATMENT, actor=SYSTEM)

    run_together([started] * 8, timeout=60)

    assert ledger(referrer) == (BONUS, BONUS)
    assert AutoAward.objects.count() == 1
    assert AuditEvent.objects.filter(action="lead.status").count() == 1


class TestSettings:
    PAGE = "/settings/automatic-points/"

    def test_the_practice_chooses_the_points_and_the_stage(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        page = owner_client.get(self.PAGE).content.decode()
        assert "Referral bonus" in page and "Paid when the referred friend reaches" in page

        response = owner_client.post(
            self.PAGE + "referral/",
            {
                "referral-enabled": "on",
                "referral-points": "75",
                "referral-referral_stage": "consult_booked",
            },
        )

        assert response.status_code == 302
        rule = AutoRule.objects.get(practice=acworth, trigger="referral")
        assert (rule.enabled, rule.points, rule.referral_stage) == (True, 75, "consult_booked")
        shown = owner_client.get(self.PAGE).content.decode()
        assert (
            "A patient gets 75 points for each friend they refer, once, when the friend reaches "
            "“Consult booked”." in shown
        )

    def test_it_refuses_a_stage_that_is_not_one(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        response = owner_client.post(
            self.PAGE + "referral/",
            {"referral-enabled": "on", "referral-points": "75", "referral-referral_stage": "lost"},
        )

        assert response.status_code == 422
        assert "Pick one of the stages listed." in response.content.decode()
        assert not AutoRule.objects.filter(practice=acworth, trigger="referral").exists()
