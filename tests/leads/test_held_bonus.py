"""A referral bonus the practice holds in Pending rewards (Settings > Reward
rules): held when the lead reaches the stage, paid once when an owner or admin
approves it, never paid when voided; the referrer sees only pending, bonus
paid or no bonus, never the friend's stage."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db.models import Sum
from django.test import Client
from tests.conftest import SYSTEM
from tests.leads.conftest import BONUS
from tests.race import run_together

from rewardshub.audit.models import AuditEvent
from rewardshub.audit.wording import describe_action
from rewardshub.automations.models import AutoAward, AutoRule
from rewardshub.errors import ActionError
from rewardshub.leads.actions import set_status
from rewardshub.leads.bonus import DESCRIPTION
from rewardshub.leads.conversion import confirm_match, propose_matches
from rewardshub.leads.models import Lead, LeadMatch, LeadStatus
from rewardshub.leads.queries import referrers
from rewardshub.patients.models import Profile
from rewardshub.points.models import EntryKind, LedgerEntry, PendingAward, RewardSettings
from rewardshub.points.rewards import decide_pending, save_reward_settings
from rewardshub.practices.models import Practice

RULES = "/settings/reward-rules/"
REFER = "/portal/refer/"
# Words that would tell the referrer how far the friend's treatment is.
STAGE_WORDS = (
    "New",
    "Contacted",
    "Consult booked",
    "Started treatment",
    "Lost",
    "consult_booked",
    "started_treatment",
)


def hold_referrals(practice: Practice, hold: bool = True) -> None:
    save_reward_settings(
        practice=practice,
        held={"referral"} if hold else set(),
        gift_max_points=500,
        gift_daily_max_points=1000,
        actor=SYSTEM,
    )


def ledger(profile: Profile) -> tuple[int, int]:
    profile.refresh_from_db()
    total = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
    return profile.points_balance, total


def start(practice: Practice, lead: Lead) -> None:
    set_status(practice=practice, lead=lead, status=LeadStatus.STARTED_TREATMENT, actor=SYSTEM)


def referral_state(client: Client) -> tuple[str, str]:
    """The referrer's one referral as the portal shows it: its state, and the page."""
    page = client.get(REFER).content.decode()
    section = page[page.index('id="my-referrals"') :]
    section = section[: section.index("</section>")]
    states = [s.split('"')[0] for s in section.split('data-state="')[1:]]
    assert len(states) == 1, states
    return states[0], section


@pytest.fixture
def held_lead(
    acworth: Practice, referrer: Profile, make_lead: Callable[..., Lead], bonus_rule: AutoRule
) -> Lead:
    """A referred lead whose bonus waits in Pending rewards."""
    hold_referrals(acworth)
    lead = make_lead(acworth, referred_by=referrer)
    start(acworth, lead)
    lead.refresh_from_db()
    return lead


class TestRewardRules:
    def test_the_settings_page_offers_to_hold_the_referral_bonus(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        page = owner_client.get(RULES).content.decode()
        assert 'value="referral"' in page and "Referral bonus" in page

        response = owner_client.post(
            RULES, {"held": ["referral"], "gift_max_points": "500", "gift_daily_max_points": "1000"}
        )

        assert response.status_code == 302
        assert RewardSettings.objects.get(practice=acworth).hold_referral is True
        event = AuditEvent.objects.get(action="points.reward_settings")
        assert event.detail == {"fields": ["hold_referral"]}


class TestHeld:
    def test_it_holds_the_bonus_instead_of_paying_it(
        self, acworth: Practice, referrer: Profile, held_lead: Lead
    ) -> None:
        pending = PendingAward.objects.get()
        assert (pending.kind, pending.points, pending.profile, pending.decision) == (
            "referral",
            BONUS,
            referrer,
            "pending",
        )
        assert pending.description == DESCRIPTION
        assert held_lead.bonus_pending == pending and held_lead.bonus_entry is None
        assert ledger(referrer) == (0, 0)
        assert not AutoAward.objects.exists()
        held = AuditEvent.objects.get(action="referral.bonus_held")
        assert (held.profile, held.detail["lead"], held.detail["points"]) == (
            referrer,
            held_lead.public_id.hex,
            BONUS,
        )
        assert describe_action(held.action, "ok", held.detail) == (
            f"Referral bonus held in Pending rewards ({BONUS} points)"
        )
        assert AuditEvent.objects.filter(action="points.reward_held", profile=referrer).count() == 1
        assert not AuditEvent.objects.filter(action="referral.bonus").exists()

    def test_the_referrer_sees_pending_and_never_the_stage(
        self, referrer_client: Client, held_lead: Lead
    ) -> None:
        state, section = referral_state(referrer_client)

        assert state == "pending"
        assert ">Pending</span>" in section
        assert "points)" not in section
        for word in STAGE_WORDS:
            assert word not in section

    def test_staff_see_it_waiting_on_the_lead_page(
        self, owner_client: Client, held_lead: Lead
    ) -> None:
        page = owner_client.get(f"/leads/{held_lead.public_id}/").content.decode()
        assert (
            f'Waiting for approval in <a href="/points/pending/">Pending rewards</a> (+{BONUS}'
            in page
        )

    def test_it_is_held_once_however_often_the_stage_is_reached(
        self, acworth: Practice, referrer: Profile, held_lead: Lead
    ) -> None:
        for status in ("contacted", "started_treatment", "consult_booked", "started_treatment"):
            set_status(practice=acworth, lead=held_lead, status=status, actor=SYSTEM)

        assert PendingAward.objects.count() == 1
        assert AuditEvent.objects.filter(action="referral.bonus_held").count() == 1
        assert ledger(referrer) == (0, 0)

    def test_the_bonus_key_holds_it_once_even_without_the_link(
        self, acworth: Practice, referrer: Profile, held_lead: Lead
    ) -> None:
        # Behind the lead's link, the reward's key is unique per practice.
        Lead.objects.filter(pk=held_lead.pk).update(bonus_pending=None)
        held_lead.refresh_from_db()

        set_status(practice=acworth, lead=held_lead, status="contacted", actor=SYSTEM)
        start(acworth, held_lead)

        pending = PendingAward.objects.get()
        held_lead.refresh_from_db()
        assert held_lead.bonus_pending == pending
        assert ledger(referrer) == (0, 0)

    def test_a_confirmed_match_holds_it_too(
        self,
        acworth: Practice,
        referrer: Profile,
        make_lead: Callable[..., Lead],
        make_profile: Callable[..., Profile],
        bonus_rule: AutoRule,
    ) -> None:
        hold_referrals(acworth)
        lead = make_lead(acworth, referred_by=referrer)
        mia = make_profile(acworth, "Mia", "Lopez", birth_date=lead.birth_date)
        propose_matches(acworth, [mia.public_id], SYSTEM)

        confirm_match(practice=acworth, match=LeadMatch.objects.get(), actor=SYSTEM)

        lead.refresh_from_db()
        assert lead.bonus_pending == PendingAward.objects.get(profile=referrer)
        assert ledger(referrer) == (0, 0)


class TestApproved:
    def test_approving_pays_it_once_and_the_referrer_sees_bonus_paid(
        self,
        acworth: Practice,
        owner_client: Client,
        referrer: Profile,
        referrer_client: Client,
        held_lead: Lead,
        bonus_rule: AutoRule,
    ) -> None:
        pending = PendingAward.objects.get()

        response = owner_client.post(
            f"/points/pending/{pending.public_id}/", {"decision": "approve"}
        )

        assert response.status_code == 302
        assert ledger(referrer) == (BONUS, BONUS)
        pending.refresh_from_db()
        held_lead.refresh_from_db()
        assert pending.decision == "approved"
        assert held_lead.bonus_entry == pending.entry
        assert pending.entry is not None and pending.entry.kind == EntryKind.AUTO
        award = AutoAward.objects.get()
        assert (award.rule, award.profile, award.period, award.entry, award.points) == (
            bonus_rule,
            referrer,
            f"L{held_lead.pk}",
            pending.entry,
            BONUS,
        )
        paid = AuditEvent.objects.get(action="referral.bonus")
        assert (paid.profile, paid.actor_label, paid.detail["lead"]) == (
            referrer,
            "owner",
            held_lead.public_id.hex,
        )
        assert describe_action(paid.action, "ok", paid.detail) == (
            f"Referral bonus (+{BONUS} points), approved in Pending rewards"
        )
        state, section = referral_state(referrer_client)
        assert (
            state == "paid" and ">Bonus paid</span>" in section and f"(+{BONUS} points)" in section
        )
        for word in STAGE_WORDS:
            assert word not in section
        (board,) = referrers(acworth)
        assert (board.bonuses, board.points) == (1, BONUS)

    def test_reaching_the_stage_again_pays_nothing_more(
        self, acworth: Practice, referrer: Profile, held_lead: Lead
    ) -> None:
        decide_pending(
            practice=acworth, pending=PendingAward.objects.get(), approve=True, actor=SYSTEM
        )
        hold_referrals(acworth, hold=False)

        for status in ("contacted", "started_treatment"):
            set_status(practice=acworth, lead=held_lead, status=status, actor=SYSTEM)

        assert ledger(referrer) == (BONUS, BONUS)
        assert PendingAward.objects.count() == 1 and AutoAward.objects.count() == 1

    def test_a_second_approval_is_refused_and_pays_nothing(
        self, acworth: Practice, referrer: Profile, held_lead: Lead
    ) -> None:
        pending = PendingAward.objects.get()
        decide_pending(practice=acworth, pending=pending, approve=True, actor=SYSTEM)

        with pytest.raises(ActionError) as refused:
            decide_pending(practice=acworth, pending=pending, approve=True, actor=SYSTEM)

        assert refused.value.code == "already_decided"
        assert ledger(referrer) == (BONUS, BONUS)
        assert AuditEvent.objects.filter(action="referral.bonus").count() == 1


class TestVoided:
    def test_voiding_leaves_no_bonus_and_it_is_never_paid_later(
        self,
        acworth: Practice,
        owner_client: Client,
        referrer: Profile,
        referrer_client: Client,
        held_lead: Lead,
    ) -> None:
        pending = PendingAward.objects.get()
        response = owner_client.post(
            f"/points/pending/{pending.public_id}/",
            {"decision": "void", "reason": "The friend was already a patient"},
        )
        assert response.status_code == 302
        # Even once the practice stops holding bonuses, the lead is not paid again.
        hold_referrals(acworth, hold=False)
        for status in ("contacted", "started_treatment"):
            set_status(practice=acworth, lead=held_lead, status=status, actor=SYSTEM)

        assert ledger(referrer) == (0, 0)
        assert PendingAward.objects.count() == 1 and not AutoAward.objects.exists()
        held_lead.refresh_from_db()
        assert held_lead.bonus_entry is None and held_lead.bonus_pending == pending
        assert not AuditEvent.objects.filter(action="referral.bonus").exists()
        assert AuditEvent.objects.filter(action="referral.bonus_held").count() == 1
        state, section = referral_state(referrer_client)
        assert state == "none" and ">No bonus</span>" in section
        assert "Bonus paid" not in section and "Pending" not in section
        for word in (*STAGE_WORDS, "already a patient"):
            assert word not in section
        staff_page = owner_client.get(f"/leads/{held_lead.public_id}/").content.decode()
        assert "Voided by owner: The friend was already a patient" in staff_page


@pytest.mark.django_db(transaction=True)
def test_approving_concurrently_pays_once(
    acworth: Practice, referrer: Profile, held_lead: Lead
) -> None:
    pending = PendingAward.objects.get()
    threads_n = 4

    def approve() -> str:
        try:
            decide_pending(practice=acworth, pending=pending, approve=True, actor=SYSTEM)
        except ActionError as exc:
            return exc.code
        return "approved"

    outcomes = run_together([approve] * threads_n, timeout=60)

    assert sorted(outcomes) == ["already_decided"] * (threads_n - 1) + ["approved"]
    assert ledger(referrer) == (BONUS, BONUS)
    assert AutoAward.objects.count() == 1
    assert AuditEvent.objects.filter(action="referral.bonus").count() == 1
    assert Lead.objects.get(pk=held_lead.pk).bonus_entry == PendingAward.objects.get().entry


@pytest.mark.django_db(transaction=True)
def test_reaching_the_stage_concurrently_holds_once(
    acworth: Practice, referrer: Profile, make_lead: Callable[..., Lead], bonus_rule: AutoRule
) -> None:
    hold_referrals(acworth)
    lead = make_lead(acworth, referred_by=referrer)
    run_together([lambda: start(acworth, lead)] * 6, timeout=60)

    assert PendingAward.objects.filter(profile=referrer).count() == 1
    assert Lead.objects.get(pk=lead.pk).bonus_pending == PendingAward.objects.get()
    assert ledger(referrer) == (0, 0)
