"""A merge keeps the mail choices of both profiles: the kept profile gets every kind of
mail either asked for, and an unsubscribe link sent to the merged one still works."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.audit.wording import describe_action
from rewardshub.merges.actions import merge_profiles
from rewardshub.notify import kinds
from rewardshub.notify.actions import set_preferences
from rewardshub.notify.models import MailPreference
from rewardshub.notify.tokens import make_token
from rewardshub.patients.models import Profile

from .conftest import Pair

pytestmark = pytest.mark.django_db


def _choose(profile: Profile, *wanted: str) -> MailPreference:
    set_preferences(profile=profile, wanted=dict.fromkeys(wanted, True), actor=SYSTEM)
    return MailPreference.objects.get(profile=profile)


def _wanted(profile: Profile) -> set[str]:
    preference = MailPreference.objects.filter(profile=profile).first()
    return {k for k in kinds.OPT_IN_VALUES if preference and preference.wants(k)}


def _merge(pair: Pair) -> AuditEvent:
    merge_profiles(practice=pair.practice, survivor=pair.kept, merged=pair.dupe, actor=SYSTEM)
    return AuditEvent.objects.filter(action="profile.merge").get()


def test_the_kept_profile_gets_the_union_of_both_choices(pair: Pair) -> None:
    kept = _choose(pair.kept, kinds.POINTS_EARNED, kinds.BIRTHDAY)
    _choose(pair.dupe, kinds.BIRTHDAY, kinds.PRIZE_READY, kinds.REFERRAL_BONUS)
    event = _merge(pair)
    assert _wanted(pair.kept) == {
        kinds.POINTS_EARNED, kinds.BIRTHDAY, kinds.PRIZE_READY, kinds.REFERRAL_BONUS
    }
    # Its own row, and the unsubscribe key of the links it was sent, stay.
    assert MailPreference.objects.get(profile=pair.kept).unsubscribe_key == kept.unsubscribe_key
    assert event.detail["mail_added"] == [kinds.PRIZE_READY, kinds.REFERRAL_BONUS]
    assert describe_action(event.action, event.outcome, event.detail).endswith(
        "the mail choices Prize ready for pickup, Referral bonus paid; retired card "
        f"…{pair.card_b[-4:]}"
    )


def test_a_kept_profile_without_choices_takes_the_merged_ones(pair: Pair) -> None:
    theirs = _choose(pair.dupe, kinds.ORDER_CANCELLED)
    event = _merge(pair)
    moved = MailPreference.objects.get(profile=pair.kept)
    assert moved.pk == theirs.pk and moved.unsubscribe_key == theirs.unsubscribe_key
    assert _wanted(pair.kept) == {kinds.ORDER_CANCELLED}
    assert event.detail["mail_added"] == [kinds.ORDER_CANCELLED]


def test_nothing_to_merge_when_the_merged_profile_never_chose(pair: Pair) -> None:
    _choose(pair.kept, kinds.POINTS_EARNED)
    event = _merge(pair)
    assert _wanted(pair.kept) == {kinds.POINTS_EARNED}
    assert "mail_added" not in event.detail


def test_an_unsubscribe_link_sent_to_the_merged_profile_acts_on_the_kept_one(
    pair: Pair, client: Client
) -> None:
    _choose(pair.kept, kinds.POINTS_EARNED)
    theirs = _choose(pair.dupe, kinds.POINTS_EARNED, kinds.BIRTHDAY)
    old_link = f"/mail/unsubscribe/{make_token(theirs, kinds.BIRTHDAY)}/"
    _merge(pair)
    assert kinds.BIRTHDAY in _wanted(pair.kept)
    response = client.get(old_link)
    assert response.status_code == 200
    assert _wanted(pair.kept) == {kinds.POINTS_EARNED}
    event = AuditEvent.objects.filter(action="mail.unsubscribe").get()
    assert event.profile_id == pair.kept.pk
