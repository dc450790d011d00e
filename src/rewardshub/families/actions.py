"""Every change to a family: invitations, links confirmed and removed, the guardian's
password and sign-ins. Each is one transaction with its audit rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.families import mail
from rewardshub.families.models import Guardian, GuardianLink
from rewardshub.families.queries import same_email_profiles
from rewardshub.families.rules import is_placeholder, normalize_email
from rewardshub.patients.models import Profile
from rewardshub.portal.auth import username_limiter
from rewardshub.practices.models import Practice


@dataclass
class Invitation:
    guardian: Guardian
    # Whether a mail with the one-time link was queued (not for a verified guardian).
    mailed: bool
    # Other children with the guardian's email, proposed for staff to confirm.
    proposed: list[Profile]


def _detail(guardian: Guardian, **extra: object) -> dict[str, object]:
    return {"guardian": guardian.public_id.hex, **extra}


def _confirm(link: GuardianLink, actor: Actor) -> bool:
    if link.confirmed_at is not None:
        return False
    link.confirmed_at = timezone.now()
    link.confirmed_by_id = actor.user_id
    link.save(update_fields=["confirmed_at", "confirmed_by"])
    record_event(
        practice=link.practice,
        actor=actor,
        action="family.link_confirm",
        profile=link.profile,
        detail=_detail(link.guardian),
    )
    return True


def invite_guardian(
    *, practice: Practice, profile: Profile, email: str, actor: Actor
) -> Invitation:
    """Invite a parent or guardian of `profile` by email (staff, from its Family page).

    The staff member chose this child, so its link is confirmed at once; other
    children with the same email are only proposed. A guardian who has not
    verified the email yet gets a new mail, whose link replaces any earlier one.
    """
    email = normalize_email(email)
    with transaction.atomic():
        locked = Profile.objects.select_for_update().get(pk=profile.pk, practice=practice)
        guardian = (
            Guardian.objects.select_for_update().filter(practice=practice, email=email).first()
        )
        created = guardian is None
        if guardian is None:
            guardian = Guardian.objects.create(
                practice=practice, email=email, invited_at=timezone.now()
            )
        mailed = guardian.verified_at is None
        if mailed and not created:
            guardian.invited_at = timezone.now()
            guardian.save(update_fields=["invited_at"])
        record_event(
            practice=practice,
            actor=actor,
            action="family.invite",
            profile=locked,
            detail=_detail(guardian, new=created, mailed=mailed),
        )
        link, _ = GuardianLink.objects.get_or_create(
            guardian=guardian, profile=locked, defaults={"practice": practice}
        )
        link.guardian, link.profile = guardian, locked
        _confirm(link, actor)
        proposed = []
        if not is_placeholder(email):
            linked = GuardianLink.objects.filter(guardian=guardian).values("profile_id")
            for other in same_email_profiles(practice, email).exclude(pk__in=linked):
                GuardianLink.objects.create(practice=practice, guardian=guardian, profile=other)
                record_event(
                    practice=practice,
                    actor=actor,
                    action="family.link_propose",
                    profile=other,
                    detail=_detail(guardian),
                )
                proposed.append(other)
        if mailed:
            mail.queue_invitation(guardian)
    return Invitation(guardian=guardian, mailed=mailed, proposed=proposed)


def confirm_link(*, practice: Practice, link: GuardianLink, actor: Actor) -> bool:
    """Staff confirm a proposed link; False when it was confirmed already (nothing changes)."""
    with transaction.atomic():
        locked = (
            GuardianLink.objects.select_for_update()
            .select_related("guardian", "profile", "practice")
            .get(pk=link.pk, practice=practice)
        )
        return _confirm(locked, actor)


def remove_link(*, practice: Practice, link: GuardianLink, actor: Actor) -> None:
    """The guardian no longer sees this child, from their next page on."""
    with transaction.atomic():
        deleted, _ = GuardianLink.objects.filter(pk=link.pk, practice=practice).delete()
        if deleted:
            record_event(
                practice=practice,
                actor=actor,
                action="family.link_remove",
                profile=link.profile,
                detail=_detail(link.guardian, confirmed=link.confirmed),
            )


def accept_invitation(*, guardian: Guardian, password: str, actor: Actor) -> Guardian:
    """The invitation's link: the email is verified and the guardian's password set."""
    with transaction.atomic():
        locked = Guardian.objects.select_for_update().select_related("practice").get(pk=guardian.pk)
        locked.set_password(password)
        locked.verified_at = locked.verified_at or timezone.now()
        locked.last_login = timezone.now()
        locked.save(update_fields=["password", "verified_at", "last_login"])
        record_event(
            practice=locked.practice, actor=actor, action="family.verify", detail=_detail(locked)
        )
    return locked


def reset_password(*, guardian: Guardian, password: str, actor: Actor) -> Guardian:
    """A new password from the emailed link (`guardian` as the link found it).

    The link is for the password it was made with: under the row's lock, a
    password changed meanwhile (the same link sent twice at once) changes
    nothing. A new password also ends the sign-in's lockout.
    """
    with transaction.atomic():
        locked = Guardian.objects.select_for_update().select_related("practice").get(pk=guardian.pk)
        if locked.password != guardian.password or locked.verified_at is None:
            raise ActionError("link_used", "This link was used already.", status=400)
        locked.set_password(password)
        locked.save(update_fields=["password"])
        record_event(
            practice=locked.practice, actor=actor, action="family.reset", detail=_detail(locked)
        )
    username_limiter().reset(f"guardian:{locked.email}")
    return locked


def record_login(*, guardian: Guardian, actor: Actor) -> None:
    with transaction.atomic():
        Guardian.objects.filter(pk=guardian.pk).update(last_login=timezone.now())
        record_event(
            practice=guardian.practice, actor=actor, action="family.login", detail=_detail(guardian)
        )


def record_switch(*, guardian: Guardian, profile: Profile, actor: Actor) -> None:
    # Not on the child's profile: its "Recent activity" shows changes, and the
    # portal page that follows is recorded there as a read, naming the guardian.
    record_event(
        practice=profile.practice,
        actor=actor,
        action="family.switch",
        detail=_detail(guardian, child=profile.public_id.hex),
    )


def move_links_for_merge(*, practice: Practice, survivor: Profile, merged: Profile) -> None:
    """In a profile merge's transaction (merges.actions): the merged profile's guardians
    act for the profile kept. A guardian linked to both keeps the link confirmed if
    either was; the merged profile keeps no link."""
    links = GuardianLink.objects.filter(practice=practice)
    for link in links.filter(profile=merged):
        kept = links.filter(profile=survivor, guardian_id=link.guardian_id).first()
        if kept is None:
            link.profile = survivor
            link.save(update_fields=["profile"])
            continue
        if kept.confirmed_at is None and link.confirmed_at is not None:
            kept.confirmed_at, kept.confirmed_by_id = link.confirmed_at, link.confirmed_by_id
            kept.save(update_fields=["confirmed_at", "confirmed_by"])
        link.delete()
