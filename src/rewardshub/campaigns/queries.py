"""Reads of campaigns, always within one practice: another practice's row is a 404."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from rewardshub.campaigns.models import GroupAward, GroupAwardRecipient, QrCode
from rewardshub.patients.models import Tag
from rewardshub.points.models import RewardItem
from rewardshub.practices.models import Practice

# A token is what secrets.token_urlsafe makes: letters, digits, "-" and "_".
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def qr_codes(practice: Practice) -> QuerySet[QrCode]:
    """The practice's codes, each with how many collections and points it paid."""
    return (
        QrCode.objects.filter(practice=practice)
        .select_related("reward_item")
        .annotate(
            collected=Count("collections"),
            paid=Coalesce(Sum("collections__entry__points"), 0),
        )
        .order_by("-active", "label", "pk")
    )


def get_qr_code(practice: Practice, public_id: object) -> QrCode:
    return get_object_or_404(
        QrCode.objects.select_related("reward_item"), practice=practice, public_id=public_id
    )


def code_for_token(practice: Practice, token: str) -> QrCode:
    """The code a patient of this practice scanned; 404 for an unknown token and for
    another practice's code alike."""
    if not 20 <= len(token) <= 64 or not set(token) <= TOKEN_CHARS:
        raise Http404
    return get_object_or_404(
        QrCode.objects.select_related("reward_item"), practice=practice, token=token
    )


def group_awards(practice: Practice) -> QuerySet[GroupAward]:
    return GroupAward.objects.filter(practice=practice).order_by("-created_at", "-id")


def get_group_award(practice: Practice, public_id: object) -> GroupAward:
    return get_object_or_404(GroupAward, practice=practice, public_id=public_id)


def recipients(award: GroupAward) -> QuerySet[GroupAwardRecipient]:
    return (
        GroupAwardRecipient.objects.filter(group_award=award, practice_id=award.practice_id)
        .select_related("profile")
        .order_by("profile__last_name", "profile__first_name", "pk")
    )


def menu_items(practice: Practice) -> QuerySet[RewardItem]:
    return RewardItem.objects.filter(practice=practice, active=True).select_related("category")


def tags(practice: Practice) -> QuerySet[Tag]:
    return (
        Tag.objects.filter(practice=practice)
        .select_related("group")
        .order_by("group__position", "group__name", "group_id", "position", "name")
    )
