"""Group awards: the same points to every patient with a tag (or every patient).

Staff see a preview (how many patients, how many points, who is left out),
then confirm. The confirmation carries the preview's key: the award claims
it first (unique per practice), so a retried or doubled confirmation finds
the award already made and pays no one twice. The patients are locked in id
order (as every writer of many profiles locks them, so two cannot deadlock)
and paid in one go through the ledger (`post_many`) by `pay_recipients`, the
one place a group award moves points.

Left out, as the automatic points leave them out: patients carrying a tag the
practice excludes from automatic points (Settings > Automatic points); and,
for a menu item with a repeat window, patients given that item within it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from rewardshub.audit.actions import build_event, record_event, record_events
from rewardshub.audit.actors import Actor
from rewardshub.automations.state import excluded_profiles
from rewardshub.campaigns.models import GroupAward, GroupAwardRecipient
from rewardshub.errors import ActionError, idempotency_key_reused
from rewardshub.patients.models import Profile, Tag
from rewardshub.points.actions import MAX_MISC_POINTS
from rewardshub.points.ledger import post_many
from rewardshub.points.models import EntryKind, LedgerEntry, RewardItem, RewardKind
from rewardshub.points.rewards import hold, holds
from rewardshub.practices.models import Practice


@dataclass(frozen=True)
class GroupSpec:
    """What to give and to whom: a menu item, or points with a reason; a tag or everyone."""

    tag: Tag | None
    reward_item: RewardItem | None
    points: int
    label: str

    @classmethod
    def of(
        cls, *, tag: Tag | None, reward_item: RewardItem | None, points: int | None, reason: str
    ) -> GroupSpec:
        if reward_item is not None:
            return cls(tag, reward_item, reward_item.points, reward_item.name)
        if points is None or not 1 <= points <= MAX_MISC_POINTS:
            raise ActionError(
                "invalid_points", f"Points must be between 1 and {MAX_MISC_POINTS:,}."
            )
        if not reason.strip():
            raise ActionError("description_required", "Say why these points are given.")
        return cls(tag, None, points, " ".join(reason.split())[:300])

    @property
    def audience(self) -> str:
        return f"tagged {self.tag.name}" if self.tag is not None else "all patients"


@dataclass(frozen=True)
class GroupPlan:
    """Who is paid and who is left out, by profile id (ascending)."""

    recipients: list[int]
    excluded: list[int]
    recent: list[int]

    def total(self, points: int) -> int:
        return points * len(self.recipients)


@dataclass(frozen=True)
class GroupResult:
    award: GroupAward
    created: bool


def _check(practice: Practice, spec: GroupSpec) -> None:
    if spec.tag is not None and spec.tag.practice_id != practice.pk:
        raise ActionError("unknown_tag", "That tag is not one of this practice's.")
    item = spec.reward_item
    if item is not None and (item.practice_id != practice.pk or not item.active):
        raise ActionError("unknown_item", "That reward is not on this practice's menu.")


def targets(practice: Practice, tag: Tag | None) -> QuerySet[Profile]:
    """The patients the list shows with this filter (patients.views.list_view):
    a merged profile is left out, its survivor stands for it."""
    found = Profile.objects.filter(practice=practice, merged_into__isnull=True)
    if tag is not None:
        found = found.filter(profile_tags__tag=tag)
    return found.order_by("pk")


def plan(practice: Practice, spec: GroupSpec, profile_ids: list[int]) -> GroupPlan:
    ids = sorted(set(profile_ids))
    excluded = excluded_profiles(practice, ids)
    recent: set[int] = set()
    item = spec.reward_item
    if item is not None and item.repeat_window_days:
        since = timezone.now() - dt.timedelta(days=item.repeat_window_days)
        recent = set(
            LedgerEntry.objects.filter(
                profile_id__in=[pk for pk in ids if pk not in excluded],
                reward_item=item,
                kind=EntryKind.AWARD,
                created_at__gte=since,
                reversed_by__isnull=True,
            ).values_list("profile_id", flat=True)
        )
    return GroupPlan(
        recipients=[pk for pk in ids if pk not in excluded and pk not in recent],
        excluded=sorted(excluded),
        recent=sorted(recent),
    )


def preview(practice: Practice, spec: GroupSpec) -> GroupPlan:
    """The plan as it stands now, for the page before the confirmation (nothing is locked)."""
    _check(practice, spec)
    return plan(practice, spec, list(targets(practice, spec.tag).values_list("pk", flat=True)))


def pay_recipients(
    *, practice: Practice, award: GroupAward, profiles: list[Profile], actor: Actor
) -> list[GroupAwardRecipient]:
    """Pay each locked profile the award's points: one ledger entry, one recipient row
    and one audit event each. The one place a group award moves points (a queue of
    rewards waiting for approval would take them here instead)."""
    if holds(practice, RewardKind.GROUP):
        return _hold_recipients(practice=practice, award=award, profiles=profiles, actor=actor)
    kind = EntryKind.AWARD if award.reward_item_id is not None else EntryKind.ADJUST
    entry_ids = post_many(
        practice=practice,
        kind=kind,
        actor=actor,
        postings=[(profile.pk, award.points, award.label) for profile in profiles],
        reward_item=award.reward_item,
    )
    recipients = [
        GroupAwardRecipient(
            practice=practice, group_award=award, profile_id=profile.pk, entry_id=entry_id
        )
        for profile, entry_id in zip(profiles, entry_ids, strict=True)
    ]
    GroupAwardRecipient.objects.bulk_create(recipients)
    record_events(
        build_event(
            practice=practice,
            actor=actor,
            action="points.group_award",
            profile_id=profile.pk,
            detail={
                "label": award.label,
                "points": award.points,
                "balance": profile.points_balance + award.points,
            },
        )
        for profile in profiles
    )
    return recipients


def _hold_recipients(
    *, practice: Practice, award: GroupAward, profiles: list[Profile], actor: Actor
) -> list[GroupAwardRecipient]:
    """The practice has group awards wait for approval: one held reward each."""
    recipients = [
        GroupAwardRecipient(
            practice=practice,
            group_award=award,
            profile_id=profile.pk,
            held=hold(
                practice=practice,
                profile=profile,
                kind=RewardKind.GROUP,
                points=award.points,
                description=award.label,
                actor=actor,
                source_label=award.label,
            ),
        )
        for profile in profiles
    ]
    GroupAwardRecipient.objects.bulk_create(recipients)
    return recipients


def _claim(practice: Practice, spec: GroupSpec, key: str, actor: Actor) -> tuple[GroupAward, bool]:
    """The award row for this key: new, or the one an earlier confirmation made."""
    earlier = GroupAward.objects.filter(practice=practice, idempotency_key=key).first()
    if earlier is None:
        try:
            with transaction.atomic():
                return (
                    GroupAward.objects.create(
                        practice=practice,
                        idempotency_key=key,
                        label=spec.label,
                        reward_item=spec.reward_item,
                        points=spec.points,
                        tag=spec.tag,
                        tag_name=spec.tag.name if spec.tag is not None else "",
                        created_by_label=actor.label[:200],
                        created_by_id=actor.user_id,
                    ),
                    True,
                )
        except IntegrityError:
            # The same confirmation, sent twice at once: the other one made it.
            earlier = GroupAward.objects.get(practice=practice, idempotency_key=key)
    same = (
        earlier.reward_item_id == (spec.reward_item.pk if spec.reward_item else None)
        and earlier.points == spec.points
        and earlier.label == spec.label
        and earlier.tag_id == (spec.tag.pk if spec.tag else None)
    )
    if not same:
        raise idempotency_key_reused()
    return earlier, False


def make_group_award(*, practice: Practice, spec: GroupSpec, key: str, actor: Actor) -> GroupResult:
    """Give the points to every patient the spec names, but those left out; once per key."""
    _check(practice, spec)
    if not key:
        raise ActionError("key_required", "Open the preview again and confirm from there.")
    with transaction.atomic():
        award, created = _claim(practice, spec, key, actor)
        if not created:
            return GroupResult(award, created=False)
        # Locked in id order: a writer of many profiles never deadlocks another.
        locked = list(targets(practice, spec.tag).select_for_update(of=("self",)).order_by("pk"))
        decided = plan(practice, spec, [profile.pk for profile in locked])
        if not decided.recipients:
            raise ActionError(
                "no_recipients",
                f"No patient {spec.audience} can be given these points"
                + (
                    f" ({len(decided.excluded) + len(decided.recent)} left out)"
                    if decided.excluded or decided.recent
                    else ""
                )
                + ". Nothing was awarded.",
            )
        paid = set(decided.recipients)
        pay_recipients(
            practice=practice,
            award=award,
            profiles=[profile for profile in locked if profile.pk in paid],
            actor=actor,
        )
        award.recipients_count = len(decided.recipients)
        award.points_total = decided.total(award.points)
        award.excluded_count = len(decided.excluded)
        award.recent_count = len(decided.recent)
        award.save(
            update_fields=["recipients_count", "points_total", "excluded_count", "recent_count"]
        )
        record_event(
            practice=practice,
            actor=actor,
            action="campaigns.group_award",
            detail={
                "label": award.label,
                "points": award.points,
                "patients": award.recipients_count,
                "total": award.points_total,
                "excluded": award.excluded_count + award.recent_count,
                "audience": award.audience,
            },
        )
        return GroupResult(award, created=True)
