"""The Pending rewards queue: rewards paid at once or held per kind, approving and
voiding with a reason, Settings > Reward rules, repeats, and tenancy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db.models import Sum
from django.test import Client
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.audit.wording import describe_action
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import LedgerKey
from rewardshub.points.models import EntryKind, LedgerEntry, PendingAward, RewardKind
from rewardshub.points.rewards import decide_pending, pay_or_hold
from rewardshub.practices.models import Practice

RULES = "/settings/reward-rules/"
QUEUE = "/points/pending/"


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    return make_profile(acworth)


def balance(profile: Profile) -> int:
    profile.refresh_from_db()
    ledger = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
    assert profile.points_balance == ledger
    return profile.points_balance


def flashes(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)][-1:]


def decide_url(pending: PendingAward) -> str:
    return f"{QUEUE}{pending.public_id}/"


def rules(held: tuple[str, ...] = (), most: int = 500, daily: int = 1000) -> dict[str, Any]:
    return {"held": list(held), "gift_max_points": str(most), "gift_daily_max_points": str(daily)}


def contest_prize(practice: Practice, profile: Profile, key: str | None = None) -> Any:
    return pay_or_hold(
        practice=practice,
        profile=profile,
        kind=RewardKind.CONTEST,
        points=50,
        description="Won Summer smiles",
        actor=SYSTEM,
        source_label="Summer smiles",
        idempotency=LedgerKey(key, "h") if key else None,
    )


class TestPayOrHold:
    def test_it_pays_at_once_by_default(self, acworth: Practice, emma: Profile) -> None:
        entry = contest_prize(acworth, emma)
        assert isinstance(entry, LedgerEntry)
        assert (entry.kind, entry.points, entry.description) == (
            EntryKind.AWARD,
            50,
            "Won Summer smiles",
        )
        assert balance(emma) == 50
        event = AuditEvent.objects.get(action="points.reward_paid", profile=emma)
        assert event.detail == {
            "points": 50,
            "kind": "contest",
            "source": "Summer smiles",
            "balance": 50,
        }
        assert describe_action(event.action, event.outcome, event.detail) == (
            "Gave 50 points (contest prize: Summer smiles)"
        )

    def test_it_holds_the_kinds_the_practice_chose(
        self, owner_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        response = owner_client.post(RULES, rules(held=("contest", "qr")))
        assert response.status_code == 302
        assert flashes(response) == ["Reward rules saved."]
        held = contest_prize(acworth, emma)
        assert isinstance(held, PendingAward)
        assert (held.kind, held.points, held.source_label, held.decision) == (
            "contest",
            50,
            "Summer smiles",
            "pending",
        )
        assert balance(emma) == 0
        # A kind not ticked is still paid at once.
        paid = pay_or_hold(
            practice=acworth,
            profile=emma,
            kind=RewardKind.GROUP,
            points=5,
            description="Debond this month",
            actor=SYSTEM,
        )
        assert isinstance(paid, LedgerEntry) and balance(emma) == 5
        assert AuditEvent.objects.filter(action="points.reward_held", profile=emma).count() == 1

    def test_it_pays_or_holds_a_repeat_once(
        self, owner_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        first = contest_prize(acworth, emma, key="contest:1")
        again = contest_prize(acworth, emma, key="contest:1")
        assert isinstance(again, LedgerEntry) and again.pk == first.pk
        assert balance(emma) == 50
        owner_client.post(RULES, rules(held=("contest",)))
        held = contest_prize(acworth, emma, key="contest:2")
        held_again = contest_prize(acworth, emma, key="contest:2")
        assert held_again.pk == held.pk
        assert PendingAward.objects.filter(profile=emma).count() == 1
        # Approved since, the repeat still pays nothing more.
        decide_pending(practice=acworth, pending=held, approve=True, actor=SYSTEM)
        assert contest_prize(acworth, emma, key="contest:2").pk == held.pk
        assert balance(emma) == 100

    def test_it_keeps_the_misc_rule_of_the_practice_page(
        self, owner_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        # Holding contests changes nothing for misc points, which follow their own rule.
        owner_client.post(RULES, rules(held=("contest",)))
        entry = pay_or_hold(
            practice=acworth,
            profile=emma,
            kind=RewardKind.MISC,
            points=7,
            description="Art",
            actor=SYSTEM,
            role="rewards",
        )
        assert isinstance(entry, LedgerEntry) and entry.kind == EntryKind.ADJUST
        Practice.objects.filter(pk=acworth.pk).update(misc_requires_approval=True)
        acworth.refresh_from_db()
        for role, waits in (("rewards", True), ("admin", False)):
            result = pay_or_hold(
                practice=acworth,
                profile=emma,
                kind=RewardKind.MISC,
                points=7,
                description="Art",
                actor=SYSTEM,
                role=role,
            )
            assert isinstance(result, PendingAward) is waits


class TestQueue:
    @pytest.fixture
    def held(self, owner_client: Client, acworth: Practice, emma: Profile) -> PendingAward:
        owner_client.post(RULES, rules(held=("contest",)))
        result = contest_prize(acworth, emma)
        assert isinstance(result, PendingAward)
        return result

    def test_it_lists_the_reward_with_its_kind_and_source(
        self, owner_client: Client, held: PendingAward
    ) -> None:
        page = owner_client.get(QUEUE).content.decode()
        assert "Contest prize" in page and "Summer smiles" in page
        assert "Won Summer smiles" in page and "Emma Johnson" in page

    def test_it_approves_and_pays(
        self, owner_client: Client, held: PendingAward, emma: Profile
    ) -> None:
        response = owner_client.post(decide_url(held), {"decision": "approve"})
        assert flashes(response) == ["Approved 50 points for Emma Johnson. New balance: 50."]
        assert balance(emma) == 50
        held.refresh_from_db()
        assert held.decision == "approved" and held.entry is not None
        assert held.entry.kind == EntryKind.AWARD
        event = AuditEvent.objects.get(action="points.reward_approved")
        assert event.detail == {"points": 50, "kind": "contest", "balance": 50}

    def test_it_refuses_to_void_without_a_reason_and_changes_nothing(
        self, owner_client: Client, held: PendingAward, emma: Profile
    ) -> None:
        response = owner_client.post(decide_url(held), {"decision": "void", "reason": "  "})
        assert response.status_code == 302
        assert flashes(response) == ["Say why this reward is voided. Nothing was changed."]
        held.refresh_from_db()
        assert held.decision == "pending" and held.void_reason == ""
        assert not AuditEvent.objects.filter(action="points.reward_voided").exists()
        assert balance(emma) == 0

    def test_it_voids_with_a_reason_and_cannot_decide_again(
        self, owner_client: Client, held: PendingAward, emma: Profile
    ) -> None:
        response = owner_client.post(
            decide_url(held), {"decision": "void", "reason": "Entered by mistake"}
        )
        assert flashes(response) == ["Voided 50 points for Emma Johnson."]
        held.refresh_from_db()
        assert (held.decision, held.void_reason, held.decided_by_label) == (
            "voided",
            "Entered by mistake",
            "owner",
        )
        event = AuditEvent.objects.get(action="points.reward_voided")
        assert describe_action(event.action, event.outcome, event.detail) == (
            "Voided 50 points (contest prize): Entered by mistake"
        )
        again = owner_client.post(decide_url(held), {"decision": "approve"})
        assert flashes(again) == ["This award was already voided."]
        assert balance(emma) == 0

    def test_it_is_for_owners_and_admins_only(
        self, frontdesk_client: Client, held: PendingAward
    ) -> None:
        assert frontdesk_client.get(QUEUE).status_code == 403
        assert frontdesk_client.post(decide_url(held), {"decision": "approve"}).status_code == 403
        held.refresh_from_db()
        assert held.decision == "pending"

    def test_it_hides_another_practices_rewards(
        self, outsider_client: Client, held: PendingAward, emma: Profile
    ) -> None:
        assert "Summer smiles" not in outsider_client.get(QUEUE).content.decode()
        response = outsider_client.post(decide_url(held), {"decision": "approve"})
        assert response.status_code == 404
        held.refresh_from_db()
        assert held.decision == "pending" and balance(emma) == 0


class TestRewardRules:
    def test_it_shows_the_current_choices(self, owner_client: Client) -> None:
        page = owner_client.get(RULES).content.decode()
        assert "Contest prize" in page and "Group award" in page and "QR code" in page
        assert 'value="500"' in page and 'value="1000"' in page

    def test_it_saves_and_audits_what_changed(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        owner_client.post(RULES, rules(held=("group",), most=50, daily=200))
        event = AuditEvent.objects.get(action="points.reward_settings")
        fields = ["hold_group", "gift_max_points", "gift_daily_max_points"]
        assert event.detail == {"fields": fields}
        response = owner_client.post(RULES, rules(held=("group",), most=50, daily=200))
        assert flashes(response) == ["Nothing changed."]
        assert AuditEvent.objects.filter(action="points.reward_settings").count() == 1

    def test_it_refuses_a_daily_limit_below_the_gift_limit(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        response = owner_client.post(RULES, rules(most=300, daily=100))
        assert response.status_code == 422
        assert (
            "The limit per day cannot be lower than the limit per gift: "
            "raise the daily limit or lower the gift limit." in response.content.decode()
        )
        assert not AuditEvent.objects.filter(action="points.reward_settings").exists()

    def test_it_refuses_an_unknown_kind(self, owner_client: Client) -> None:
        response = owner_client.post(RULES, rules(held=("misc",)))
        assert response.status_code == 422
        assert "Select a valid choice" not in response.content.decode()
        assert "Choose among the kinds of rewards listed." in response.content.decode()

    def test_it_is_for_owners_and_admins_only(self, frontdesk_client: Client) -> None:
        assert frontdesk_client.get(RULES).status_code == 403
        assert frontdesk_client.post(RULES, rules(held=("contest",))).status_code == 403
