"""merge_profiles: what moves, row by row, and each refusal changing nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.conftest import SYSTEM
from tests.integrations.conftest import CHART
from tests.url_walk import snapshot

from rewardshub.audit.models import AuditEvent
from rewardshub.audit.wording import describe_action
from rewardshub.automations.ledger import reconcile
from rewardshub.automations.models import Appointment, AutoAward
from rewardshub.automations.once import pay_birthdays
from rewardshub.automations.settings_actions import save_rule
from rewardshub.campaigns.actions import collect_qr
from rewardshub.campaigns.group_actions import targets
from rewardshub.campaigns.models import QrCode, QrCollection
from rewardshub.cards.models import MERGE_RETIRED, Card, CardState
from rewardshub.errors import ActionError
from rewardshub.integrations.models import PmsLink
from rewardshub.leads.actions import create_lead
from rewardshub.merges.actions import merge_profiles
from rewardshub.patients.models import Profile, ProfileStatus, ProfileTag
from rewardshub.points.models import EntryKind, LedgerEntry
from rewardshub.portal.models import PortalAccount
from rewardshub.practices.models import Practice

from .conftest import BORN, Pair, give

pytestmark = pytest.mark.django_db


def ledger(profile: Profile) -> list[tuple[str, int, str]]:
    return list(
        LedgerEntry.objects.filter(profile=profile)
        .order_by("id")
        .values_list("kind", "points", "description")
    )


def balance(profile: Profile) -> int:
    profile.refresh_from_db()
    total = sum(LedgerEntry.objects.filter(profile=profile).values_list("points", flat=True))
    assert profile.points_balance == total >= 0
    return profile.points_balance


def tag_names(profile: Profile) -> list[str]:
    return sorted(ProfileTag.objects.filter(profile=profile).values_list("tag__name", flat=True))


def merge(pair: Pair, survivor: Profile | None = None, merged: Profile | None = None) -> Any:
    return merge_profiles(
        practice=pair.practice,
        survivor=survivor or pair.kept,
        merged=merged or pair.dupe,
        actor=SYSTEM,
    )


class TestWhatMoves:
    def test_it_moves_the_balance_as_a_pair_of_entries(self, pair: Pair) -> None:
        dupe_before, kept_before = ledger(pair.dupe), ledger(pair.kept)
        merge(pair)
        assert ledger(pair.dupe) == [
            *dupe_before,
            (EntryKind.MERGE_OUT, -40, f"Merged into {pair.kept.username}"),
        ]
        assert ledger(pair.kept) == [
            *kept_before,
            (EntryKind.MERGE_IN, 40, f"Merged from {pair.dupe.username}"),
        ]
        assert balance(pair.dupe) == 0 and balance(pair.kept) == 70

    def test_it_keeps_the_survivors_card_and_retires_the_other(self, pair: Pair) -> None:
        merge(pair)
        a = Card.objects.get(number=pair.card_a)
        b = Card.objects.get(number=pair.card_b)
        assert (a.state, a.profile_id) == (CardState.ACTIVE, pair.kept.pk)
        assert (b.state, b.profile_id, b.retire_reason) == (
            CardState.RETIRED,
            pair.kept.pk,
            MERGE_RETIRED,
        )
        assert b.retired_at is not None

    def test_it_moves_the_active_card_when_the_survivor_has_none(
        self, pair: Pair, make_profile: Callable[..., Profile]
    ) -> None:
        bare = make_profile(pair.practice, birth_date=BORN)
        merge(pair, survivor=bare)
        b = Card.objects.get(number=pair.card_b)
        assert (b.state, b.profile_id, b.retire_reason) == (CardState.ACTIVE, bare.pk, "")

    def test_it_moves_the_tags_the_survivor_has_room_for(self, pair: Pair) -> None:
        assert tag_names(pair.kept) == ["*Orthodontic Patient"]
        merge(pair)
        # The status tag is the survivor's own: *Retainer Patient does not replace it.
        assert tag_names(pair.kept) == ["*Marietta", "*Orthodontic Patient", "Elastics club"]
        assert tag_names(pair.dupe) == []

    def test_it_moves_the_pms_link_and_the_portal_account(self, pair: Pair) -> None:
        account = PortalAccount.objects.get(profile=pair.dupe)
        merge(pair)
        link = PmsLink.objects.get(practice=pair.practice, chart_id=CHART)
        assert link.profile_id == pair.kept.pk
        account.refresh_from_db()
        assert account.profile_id == pair.kept.pk and account.is_active

    def test_it_moves_appointments_with_what_they_paid(self, pair: Pair) -> None:
        award = AutoAward.objects.get(profile=pair.dupe)
        entry_profile = LedgerEntry.objects.get(pk=award.entry_id).profile_id
        merge(pair)
        appointment = Appointment.objects.get(practice=pair.practice, appointment_id="A1")
        award.refresh_from_db()
        assert appointment.profile_id == pair.kept.pk
        assert (award.profile_id, award.appointment_id, award.points) == (
            pair.kept.pk,
            appointment.pk,
            5,
        )
        # The entry that paid stays the merged profile's: the ledger is append-only.
        assert LedgerEntry.objects.get(pk=award.entry_id).profile_id == entry_profile

    def test_no_appointment_pays_twice_after_a_merge(self, pair: Pair) -> None:
        merge(pair)
        entries = LedgerEntry.objects.count()
        again = pair.book.put("A1", "completed", completed_at=pair.book.at(30))
        assert again.status_code == 200, again.content
        assert again.json()["points"] == []
        kept = Profile.objects.get(pk=pair.kept.pk)
        assert reconcile(pair.practice, kept, actor=SYSTEM) == []
        assert LedgerEntry.objects.count() == entries
        assert balance(pair.kept) == 70
        # A correction from the PMS takes back from the survivor, who has the points now.
        missed = pair.book.put("A1", "missed")
        assert missed.status_code == 200, missed.content
        assert balance(pair.kept) == 65 and balance(pair.dupe) == 0

    def test_it_makes_the_merged_profile_a_tombstone(self, pair: Pair) -> None:
        merge(pair)
        pair.dupe.refresh_from_db()
        assert pair.dupe.status == ProfileStatus.MERGED
        assert pair.dupe.merged_into_id == pair.kept.pk
        assert pair.dupe.merged_at is not None

    def test_it_writes_one_audit_event_that_says_what_moved(self, pair: Pair) -> None:
        before = AuditEvent.objects.count()
        merge(pair)
        assert AuditEvent.objects.count() == before + 1
        event = AuditEvent.objects.latest("id")
        assert (event.action, event.profile_id) == ("profile.merge", pair.kept.pk)
        assert event.detail == {
            "merged_username": pair.dupe.username,
            "merged_profile": str(pair.dupe.public_id),
            "points": 40,
            "cards_moved": [],
            "card_retired": pair.card_b[-4:],
            "tags": ["*Marietta", "Elastics club"],
            "tags_kept": ["*Retainer Patient"],
            "links": [{"system": "orthotrac", "chart_id": CHART}],
            "portal_account": "moved",
            "appointments": 1,
        }
        assert describe_action(event.action, event.outcome, event.detail) == (
            f"Merged profile {pair.dupe.username} into this one: moved 40 points, tags "
            f"*Marietta, Elastics club, the PMS link (chart {CHART}), the portal account, "
            f"1 appointment; retired card …{pair.card_b[-4:]}"
        )

    def test_a_profile_merged_into_the_merged_one_leads_to_the_survivor(
        self, pair: Pair, make_profile: Callable[..., Profile]
    ) -> None:
        older = make_profile(pair.practice, birth_date=BORN)
        give(older, 5)
        merge(pair, survivor=pair.dupe, merged=older)
        merge(pair)
        older.refresh_from_db()
        assert older.merged_into_id == pair.kept.pk
        assert balance(pair.kept) == 75 and balance(older) == 0


class TestRefusals:
    def refused(self, pair: Pair, code: str, message: str, **kwargs: Any) -> None:
        before = snapshot(pair.practice)
        with pytest.raises(ActionError) as caught:
            merge(pair, **kwargs)
        assert (caught.value.code, caught.value.message) == (code, message)
        assert snapshot(pair.practice) == before

    def test_it_refuses_to_merge_a_profile_into_itself(self, pair: Pair) -> None:
        self.refused(
            pair,
            "merge_self",
            "A profile cannot be merged into itself. Choose the other profile of this "
            "patient. Nothing was changed.",
            survivor=pair.kept,
            merged=pair.kept,
        )

    def test_it_refuses_to_merge_into_a_tombstone(
        self, pair: Pair, make_profile: Callable[..., Profile]
    ) -> None:
        merge(pair)
        third = make_profile(pair.practice, birth_date=BORN)
        pair.dupe.refresh_from_db()
        self.refused(
            pair,
            "merge_into_merged",
            f"The profile with username {pair.dupe.username} was already merged into another "
            "profile, so nothing can be merged into it. Merge into the profile it leads to. "
            "Nothing was changed.",
            survivor=pair.dupe,
            merged=third,
        )

    def test_it_refuses_to_merge_a_tombstone_again(self, pair: Pair) -> None:
        merge(pair)
        self.refused(
            pair,
            "already_merged",
            f"The profile with username {pair.dupe.username} was already merged into another "
            "profile. Nothing was changed.",
        )

    def test_it_refuses_two_profiles_linked_to_different_charts(
        self, pair: Pair, issue_cards: Callable[[Practice, int], list[str]]
    ) -> None:
        card = issue_cards(pair.practice, 1)[0]
        answer = pair.api.set_card(
            "OT-2002", card, first_name="Emma", last_name="Johnson", birth_date="2012-04-17"
        )
        assert answer.status_code in (200, 201), answer.content
        other = Profile.objects.get(username=card)
        self.refused(
            pair,
            "merge_link_conflict",
            "These profiles are synced with two different Orthotrac charts (OT-2002 and "
            "OT-1001), so they cannot be merged: a hub patient can be synced with only one "
            "chart. Check in Orthotrac which chart is this patient's. Nothing was changed.",
            survivor=other,
        )

    def test_it_refuses_a_profile_of_another_practice(
        self, pair: Pair, riverside: Practice, make_profile: Callable[..., Profile]
    ) -> None:
        foreign = make_profile(riverside, birth_date=BORN)
        self.refused(pair, "profile_not_found", "No such profile in this practice.", merged=foreign)
        assert Profile.objects.get(pk=foreign.pk).merged_into_id is None


class TestAfterTheMerge:
    def test_an_award_on_the_tombstone_is_refused(self, pair: Pair) -> None:
        merge(pair)
        with pytest.raises(ActionError) as caught:
            give(pair.dupe, 5)
        assert caught.value.code == "profile_merged"
        assert caught.value.message == (
            f"The profile with username {pair.dupe.username} was merged into another profile "
            "of the same patient while this was sent. Open the patient again and try once "
            "more. Nothing was changed."
        )
        assert balance(pair.dupe) == 0

    def test_birthdays_skip_the_tombstone(self, pair: Pair) -> None:
        save_rule(practice=pair.practice, trigger="birthday", enabled=True, actor=SYSTEM, points=10)
        merge(pair)
        assert pay_birthdays(pair.practice, today=BORN.replace(year=2030)) == 1
        assert balance(pair.dupe) == 0 and balance(pair.kept) == 80


class TestOncePerPatient:
    def test_a_code_collected_once_is_not_collected_again_after_the_merge(
        self, pair: Pair, once_code: QrCode
    ) -> None:
        code = once_code
        collect_qr(practice=pair.practice, profile=pair.dupe, code=code, actor=SYSTEM)
        merge(pair)
        collection = QrCollection.objects.get(code=code)
        assert collection.profile_id == pair.kept.pk
        with pytest.raises(ActionError) as caught:
            collect_qr(practice=pair.practice, profile=pair.kept, code=code, actor=SYSTEM)
        assert caught.value.status == 409
        assert balance(pair.kept) == 80 and QrCollection.objects.filter(code=code).count() == 1

    def test_both_collections_stay_when_both_collected_before(
        self, pair: Pair, once_code: QrCode
    ) -> None:
        code = once_code
        for profile in (pair.kept, pair.dupe):
            collect_qr(practice=pair.practice, profile=profile, code=code, actor=SYSTEM)
        merge(pair)
        owners = sorted(QrCollection.objects.filter(code=code).values_list("profile_id", flat=True))
        assert owners == sorted([pair.kept.pk, pair.dupe.pk])

    def test_a_group_award_to_all_patients_leaves_out_the_tombstone(self, pair: Pair) -> None:
        merge(pair)
        assert list(targets(pair.practice, None)) == [pair.kept]


class TestLeads:
    def test_the_friends_the_merged_profile_referred_move_to_the_survivor(self, pair: Pair) -> None:
        friend = create_lead(
            practice=pair.practice,
            data={"first_name": "Olivia", "last_name": "Brown", "source": "referral"},
            actor=SYSTEM,
            referred_by=pair.dupe,
        )
        merge(pair)
        friend.refresh_from_db()
        assert friend.referred_by_id == pair.kept.pk
