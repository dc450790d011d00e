"""`merge_profiles`: the merged profile's points, cards, tags, PMS link, portal
account (closed instead when the survivor has its own) and automatic-points
state go to the survivor, in one transaction with one audit event (and one
more on the merged profile when its portal account is closed); the merged
profile becomes a tombstone.

Nothing append-only is re-pointed: the balance moves as a merge_out /
merge_in pair of ledger entries, and the merged profile's entries and audit
events stay its own (the survivor's history reads them through
`merged_into`). Both profiles are locked in id order, as every writer that
holds two profiles locks them, so a merge racing an award on either profile
waits for it or makes it refuse (points.ledger refuses a tombstone).

Automatic points: the appointments and the AutoAward rows that paid for
them move to the survivor together, so the rules see each visit with what
it already paid and pay nothing twice. A once-per-period award (welcome,
birthday, milestone) moves when the survivor has none for that rule and
period; otherwise it stays on the tombstone and the survivor's own row says
the period is paid. QR collections, group-award recipients and contest
entries and prizes move the same way, so no limit of "once per patient"
pays the person twice; so do the leads the person referred or became.
The survivor gets every kind of mail either profile asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.automations.models import Appointment, AutoAward
from rewardshub.campaigns.models import GroupAwardRecipient, QrCollection
from rewardshub.cards.models import MERGE_RETIRED, Card, CardState
from rewardshub.contests.models import ContestAward, ContestEntry
from rewardshub.errors import ActionError
from rewardshub.families.actions import move_links_for_merge
from rewardshub.integrations.models import LinkState, PendingLink, PmsLink
from rewardshub.integrations.systems import system_name
from rewardshub.leads.models import Lead, LeadMatch, MatchState
from rewardshub.merges.facts import read_side
from rewardshub.merges.rules import LinkConflict, Plan, plan_merge
from rewardshub.notify.kinds import OPT_IN_VALUES
from rewardshub.notify.models import MailPreference
from rewardshub.patients.models import Profile, ProfileStatus, ProfileTag
from rewardshub.points.ledger import post
from rewardshub.points.models import EntryKind, OrderStatus, PendingAward, PrizeOrder
from rewardshub.portal.models import PortalAccount
from rewardshub.practices.models import Practice


def merge_self_error() -> ActionError:
    return ActionError(
        "merge_self",
        "A profile cannot be merged into itself. Choose the other profile of this patient. "
        "Nothing was changed.",
    )


def merge_into_tombstone_error(profile: Profile) -> ActionError:
    return ActionError(
        "merge_into_merged",
        f"The profile with username {profile.username} was already merged into another "
        "profile, so nothing can be merged into it. Merge into the profile it leads to. "
        "Nothing was changed.",
        status=409,
    )


def already_merged_error(profile: Profile) -> ActionError:
    return ActionError(
        "already_merged",
        f"The profile with username {profile.username} was already merged into another "
        "profile. Nothing was changed.",
        status=409,
    )


def link_conflict_error(conflict: LinkConflict) -> ActionError:
    system = system_name(conflict.system)
    return ActionError(
        "merge_link_conflict",
        f"These profiles are synced with two different {system} charts "
        f"({conflict.survivor_chart} and {conflict.merged_chart}), so they cannot be merged: "
        f"a hub patient can be synced with only one chart. Check in {system} which chart is "
        "this patient's. Nothing was changed.",
        status=409,
    )


def not_found_error() -> ActionError:
    return ActionError("profile_not_found", "No such profile in this practice.", status=404)


@dataclass(frozen=True)
class MergeResult:
    survivor: Profile
    merged: Profile
    points: int
    plan: Plan
    appointments: int
    # Kinds of mail the survivor now gets because the merged profile asked for them.
    mail_added: tuple[str, ...] = ()


def _lock_pair(practice: Practice, survivor: Profile, merged: Profile) -> tuple[Profile, Profile]:
    locked = {
        p.pk: p
        for p in Profile.objects.select_for_update()
        .filter(practice=practice, pk__in=[survivor.pk, merged.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise not_found_error()
    return locked[survivor.pk], locked[merged.pk]


def check_pair(survivor: Profile, merged: Profile) -> None:
    """The refusals that need no lock (the preview shows them too)."""
    if survivor.pk == merged.pk:
        raise merge_self_error()
    if survivor.merged_into_id is not None:
        raise merge_into_tombstone_error(survivor)
    if merged.merged_into_id is not None:
        raise already_merged_error(merged)


def _move_balance(practice: Practice, survivor: Profile, merged: Profile, actor: Actor) -> int:
    points = merged.points_balance
    if points:
        post(
            practice=practice,
            profile=merged,
            points=-points,
            kind=EntryKind.MERGE_OUT,
            actor=actor,
            description=f"Merged into {survivor.username}",
        )
        post(
            practice=practice,
            profile=survivor,
            points=points,
            kind=EntryKind.MERGE_IN,
            actor=actor,
            description=f"Merged from {merged.username}",
        )
    return points


def _move_cards(survivor: Profile, merged: Profile, plan: Plan) -> None:
    if plan.card_retired is not None:
        retiring = Card.objects.filter(
            profile=merged, number=plan.card_retired, state=CardState.ACTIVE
        )
        retiring.update(
            state=CardState.RETIRED, retired_at=timezone.now(), retire_reason=MERGE_RETIRED
        )
    # The kept active card and every retired card go with the person.
    Card.objects.filter(profile=merged).update(profile=survivor)


def _move_tags(practice: Practice, survivor: Profile, merged: Profile, plan: Plan) -> None:
    ProfileTag.objects.bulk_create(
        [
            ProfileTag(
                practice_id=practice.pk,
                profile_id=survivor.pk,
                tag_id=tag.tag_id,
                exclusive_group_id=tag.exclusive_group,
            )
            for tag in plan.tags_added
        ]
    )
    ProfileTag.objects.filter(profile=merged).delete()


def _move_links(practice: Practice, survivor: Profile, merged: Profile, plan: Plan) -> None:
    if plan.links_moved:
        PmsLink.objects.filter(
            practice=practice, profile=merged, system__in=list(plan.links_moved)
        ).update(profile=survivor)
    # A set card still waiting for staff to confirm it names the person, now the survivor.
    PendingLink.objects.filter(practice=practice, profile=merged, state=LinkState.PENDING).update(
        profile=survivor
    )


def _move_portal(
    practice: Practice, survivor: Profile, merged: Profile, plan: Plan, actor: Actor
) -> None:
    if plan.portal == "moved":
        PortalAccount.objects.filter(profile=merged).update(profile=survivor)
    elif plan.portal == "closed":
        _close_portal(practice, survivor, merged, actor)


def _close_portal(practice: Practice, survivor: Profile, merged: Profile, actor: Actor) -> None:
    """Both had an account: the survivor keeps its own, the merged one is closed.

    Its password, temporary password and email go with it: it never signs in
    again, a session on it ends at its next page (portal.session checks the
    account and its password), a reset link sent to it no longer matches, and
    its email is free for the account kept. The merged username and cards lead
    to the survivor's sign-in (portal.auth).
    """
    account = PortalAccount.objects.filter(practice=practice, profile=merged).first()
    if account is None:
        return
    had_email = bool(account.email)
    account.password = account.temp_password_hash = account.email = ""
    account.closed_at = timezone.now()
    account.save(update_fields=["password", "temp_password_hash", "email", "closed_at"])
    record_event(
        practice=practice,
        actor=actor,
        action="portal.close",
        profile=merged,
        detail={"reason": "merged", "into": survivor.username, "email": had_email},
    )


def _move_paid_once(rows: QuerySet[Any], survivor: Profile, merged: Profile, *fields: str) -> None:
    """Rows that say something was paid to the person once (per rule and period,
    per code and day, per contest...): those the survivor has no twin of move
    to it, so it is never paid again; a twin stays on the tombstone (both
    profiles were paid before the merge, and the points moved already)."""
    have = set(rows.filter(profile=survivor).values_list(*fields))
    moving = [
        pk
        for pk, *key in rows.filter(profile=merged).values_list("pk", *fields)
        if tuple(key) not in have
    ]
    rows.filter(pk__in=moving).update(profile=survivor)


def _move_automatic_points(practice: Practice, survivor: Profile, merged: Profile) -> int:
    appointments = Appointment.objects.filter(practice=practice, profile=merged).update(
        profile=survivor
    )
    AutoAward.objects.filter(practice=practice, profile=merged, appointment__isnull=False).update(
        profile=survivor
    )
    once = AutoAward.objects.filter(practice=practice, appointment__isnull=True)
    _move_paid_once(once, survivor, merged, "rule_id", "period")
    return appointments


def _move_leads(practice: Practice, survivor: Profile, merged: Profile) -> None:
    # The friends the person referred, the lead they were, and a match waiting
    # for staff: the referral bonus then goes to the survivor, once per lead.
    leads = Lead.objects.filter(practice=practice)
    leads.filter(referred_by=merged).update(referred_by=survivor)
    leads.filter(converted_profile=merged).update(converted_profile=survivor)
    LeadMatch.objects.filter(practice=practice, profile=merged, state=MatchState.PROPOSED).update(
        profile=survivor
    )


def _move_campaigns_and_contests(practice: Practice, survivor: Profile, merged: Profile) -> None:
    # A QR code's limit, a group award's once per patient and a contest's one
    # entry and prize each are per person: they follow the person.
    collections = QrCollection.objects.filter(practice=practice)
    collections.filter(profile=merged, slot__isnull=True).update(profile=survivor)
    _move_paid_once(collections.filter(slot__isnull=False), survivor, merged, "code_id", "slot")
    recipients = GroupAwardRecipient.objects.filter(practice=practice)
    _move_paid_once(recipients, survivor, merged, "group_award_id")
    _move_paid_once(ContestEntry.objects.filter(practice=practice), survivor, merged, "contest_id")
    awards = ContestAward.objects.filter(practice=practice)
    _move_paid_once(awards, survivor, merged, "contest_id", "prize")


def _move_open_requests(practice: Practice, survivor: Profile, merged: Profile) -> None:
    # A prize to hand out and misc points waiting for approval are the
    # person's: fulfilling, cancelling or approving them acts on the survivor.
    PrizeOrder.objects.filter(practice=practice, profile=merged, status=OrderStatus.TODO).update(
        profile=survivor
    )
    PendingAward.objects.filter(
        practice=practice, profile=merged, decision=PendingAward.Decision.PENDING
    ).update(profile=survivor)


def _merge_mail_choices(practice: Practice, survivor: Profile, merged: Profile) -> list[str]:
    """The survivor gets every kind of mail either profile asked for (the union); the
    kinds it did not have are returned. Without mail choices of its own it takes the
    merged profile's row, unsubscribe key and all, so the links in mails already sent
    go on working; otherwise the tombstone keeps its row, and its links lead to the
    survivor's (notify.tokens)."""
    theirs = MailPreference.objects.filter(practice=practice, profile=merged).first()
    if theirs is None:
        return []
    wanted = [kind for kind in OPT_IN_VALUES if theirs.wants(kind)]
    ours = MailPreference.objects.filter(practice=practice, profile=survivor).first()
    if ours is None:
        MailPreference.objects.filter(pk=theirs.pk).update(profile=survivor)
        return wanted
    added = [kind for kind in wanted if not ours.wants(kind)]
    if added:
        for kind in added:
            setattr(ours, kind, True)
        ours.save(update_fields=[*added, "updated_at"])
    return added


def _bury(survivor: Profile, merged: Profile) -> None:
    # Earlier tombstones of the merged profile lead straight to the survivor:
    # every username resolves in one step.
    Profile.objects.filter(merged_into=merged).update(merged_into=survivor)
    merged.status = ProfileStatus.MERGED
    merged.merged_into = survivor
    merged.merged_at = timezone.now()
    merged.save(update_fields=["status", "merged_into", "merged_at", "updated_at"])


def _detail(result: MergeResult) -> dict[str, object]:
    plan = result.plan
    moved_cards = [n[-4:] for n in (plan.card_moves_active, *plan.cards_moved_retired) if n]
    return {
        "merged_username": result.merged.username,
        "merged_profile": str(result.merged.public_id),
        "points": result.points,
        "cards_moved": moved_cards,
        "card_retired": plan.card_retired[-4:] if plan.card_retired else "",
        "tags": [tag.name for tag in plan.tags_added],
        "tags_kept": [tag.name for tag in plan.tags_dropped],
        "links": [
            {"system": system, "chart_id": chart}
            for system, chart in sorted(plan.links_moved.items())
        ],
        "portal_account": plan.portal,
        "appointments": result.appointments,
        # Only when there is something: older events have no such key either.
        **({"mail_added": list(result.mail_added)} if result.mail_added else {}),
    }


def merge_profiles(
    *, practice: Practice, survivor: Profile, merged: Profile, actor: Actor
) -> MergeResult:
    """Merge `merged` into `survivor` (two profiles of the same person in this practice)."""
    if survivor.pk == merged.pk:
        raise merge_self_error()
    with transaction.atomic():
        survivor, merged = _lock_pair(practice, survivor, merged)
        check_pair(survivor, merged)
        plan = plan_merge(read_side(survivor), read_side(merged))
        if plan.conflicts:
            raise link_conflict_error(plan.conflicts[0])
        points = _move_balance(practice, survivor, merged, actor)
        _move_cards(survivor, merged, plan)
        _move_tags(practice, survivor, merged, plan)
        _move_links(practice, survivor, merged, plan)
        _move_portal(practice, survivor, merged, plan, actor)
        appointments = _move_automatic_points(practice, survivor, merged)
        _move_campaigns_and_contests(practice, survivor, merged)
        _move_leads(practice, survivor, merged)
        move_links_for_merge(practice=practice, survivor=survivor, merged=merged)
        _move_open_requests(practice, survivor, merged)
        mail_added = _merge_mail_choices(practice, survivor, merged)
        _bury(survivor, merged)
        result = MergeResult(survivor, merged, points, plan, appointments, tuple(mail_added))
        record_event(
            practice=practice,
            actor=actor,
            action="profile.merge",
            profile=survivor,
            detail=_detail(result),
        )
        return result
