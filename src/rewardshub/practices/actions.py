"""Setting up practices, their locations and staff: one transaction each, audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind
from rewardshub.errors import ActionError
from rewardshub.practices.keepers import keepers
from rewardshub.practices.models import Location, Membership, Practice, Role


@transaction.atomic
def create_practice(
    *,
    name: str,
    slug: str,
    actor: Actor,
    locations: tuple[str, ...] = (),
    time_zone: str = "America/New_York",
) -> Practice:
    practice = Practice.objects.create(name=name, slug=slug, time_zone=time_zone)
    for keeper in keepers():
        keeper.practice_created(practice)  # the system tag groups (patients)
    for location_name in locations:
        _add_location(practice, location_name)
    record_event(practice=practice, actor=actor, action="practice.create", detail={"slug": slug})
    return practice


def _add_location(practice: Practice, name: str) -> Location:
    location = Location.objects.create(practice=practice, name=name)
    for keeper in keepers():
        keeper.location_added(practice, location)  # its system tag (patients)
    return location


def _check_location_name_free(practice: Practice, name: str, exclude: int | None = None) -> None:
    others = Location.objects.filter(practice=practice, name__iexact=name).exclude(
        pk__in=[] if exclude is None else [exclude]
    )
    if others.exists():
        raise ActionError(
            "location_exists",
            f"This practice already has a location named “{name}”. Choose another name.",
            status=409,
        )
    for keeper in keepers():
        keeper.check_location_name(practice, name, exclude)  # its tag's name is free (patients)


@transaction.atomic
def add_location(*, practice: Practice, name: str, actor: Actor) -> Location:
    _check_location_name_free(practice, name)
    location = _add_location(practice, name)
    record_event(practice=practice, actor=actor, action="location.create", detail={"name": name})
    return location


@transaction.atomic
def add_staff(
    *,
    practice: Practice,
    username: str,
    password: str | None,
    role: str,
    actor: Actor,
    email: str = "",
) -> Membership:
    """Give `username` a role in the practice, creating the user when new."""
    user_model = get_user_model()
    user: AbstractBaseUser | None = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(username=username, email=email, password=password)
    membership = Membership.objects.create(user_id=user.pk, practice=practice, role=role)
    record_event(
        practice=practice,
        actor=actor,
        action="staff.add",
        detail={"username": username, "role": role},
    )
    return membership


@transaction.atomic
def rename_location(*, practice: Practice, location: Location, name: str, actor: Actor) -> None:
    """Rename a location and its system tag ("*Old" becomes "*New"), so tagged patients follow."""
    location = Location.objects.select_for_update().get(pk=location.pk, practice=practice)
    old = location.name
    if old == name:
        return
    _check_location_name_free(practice, name, exclude=location.pk)
    location.name = name
    location.save(update_fields=["name"])
    for keeper in keepers():
        keeper.location_renamed(practice, location, old)
    record_event(
        practice=practice, actor=actor, action="location.rename", detail={"from": old, "to": name}
    )


@transaction.atomic
def set_location_active(
    *, practice: Practice, location: Location, active: bool, actor: Actor
) -> None:
    """Deactivate (or bring back) a location. Its tag stays: patients keep their history."""
    location = Location.objects.select_for_update().get(pk=location.pk, practice=practice)
    if location.active == active:
        return
    if not active:
        others = Location.objects.filter(practice=practice, active=True).exclude(pk=location.pk)
        if not others.exists():
            raise ActionError(
                "last_location",
                f"{location.name} is the practice's only active location, and a practice "
                "needs one. Add or reactivate another location first.",
                status=409,
            )
    location.active = active
    location.save(update_fields=["active"])
    record_event(
        practice=practice,
        actor=actor,
        action="location.activate" if active else "location.deactivate",
        detail={"name": location.name},
    )


@transaction.atomic
def update_practice_info(
    *,
    practice: Practice,
    name: str,
    time_zone: str,
    idle_timeout_minutes: int,
    actor: Actor,
    misc_requires_approval: bool | None = None,
) -> list[str]:
    """Save the practice's name, time zone, idle timeout and (when given) whether misc
    points wait for approval; return the fields that changed."""
    locked = Practice.objects.select_for_update().get(pk=practice.pk)
    wanted: dict[str, object] = {
        "name": name,
        "time_zone": time_zone,
        "idle_timeout_minutes": idle_timeout_minutes,
    }
    if misc_requires_approval is not None:
        wanted["misc_requires_approval"] = misc_requires_approval
    changed = [field for field, value in wanted.items() if getattr(locked, field) != value]
    if changed:
        for field in changed:
            setattr(locked, field, wanted[field])
        locked.save(update_fields=changed)
        record_event(
            practice=practice, actor=actor, action="practice.update", detail={"fields": changed}
        )
    return changed


def _check_owner_role_change(practice: Practice, actor: Actor, *roles: str) -> None:
    """Only owners give or take the owner role; an admin cannot promote themselves past it."""
    if Role.OWNER not in roles or actor.kind == ActorKind.SYSTEM:
        return
    actor_role = (
        None
        if actor.user_id is None
        else Membership.objects.filter(practice=practice, user_id=actor.user_id)
        .values_list("role", flat=True)
        .first()
    )
    if actor_role != Role.OWNER:
        raise ActionError(
            "owner_only",
            "Only an owner can give or take away the Owner role. Ask an owner of this practice.",
            status=403,
        )


def _check_not_last_owner(practice: Practice, membership: Membership, doing: str) -> None:
    # Locking every owner row serialises two owners demoting each other at once.
    owners = list(
        Membership.objects.select_for_update().filter(practice=practice, role=Role.OWNER)
    )
    if membership.role == Role.OWNER and len(owners) == 1:
        name = membership.user.get_username()
        raise ActionError(
            "last_owner",
            f"{name} is the only owner of this practice, so they cannot be {doing}. "
            "Make another staff member an owner first.",
            status=409,
        )


@transaction.atomic
def create_staff_member(
    *, practice: Practice, username: str, email: str, password: str, role: str, actor: Actor
) -> Membership:
    """Create a new sign-in for a new staff member of this practice.

    Usernames are shared by every practice on the hub, so an existing one is
    refused rather than attached: a practice must not take over, or learn the
    password of, someone else's account.
    """
    _check_owner_role_change(practice, actor, role)
    user_model = get_user_model()
    existing = user_model.objects.filter(username__iexact=username).first()
    if existing is not None:
        if Membership.objects.filter(practice=practice, user=existing).exists():
            message = f"{username} already works at this practice. Change their role below instead."
        else:
            message = f"The username “{username}” is already taken on this hub. Choose another one."
        raise ActionError("username_taken", message, status=409)
    return add_staff(
        practice=practice, username=username, password=password, role=role, actor=actor, email=email
    )


@transaction.atomic
def change_staff_role(
    *, practice: Practice, membership: Membership, role: str, actor: Actor
) -> None:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .get(pk=membership.pk, practice=practice)
    )
    if membership.role == role:
        return
    _check_owner_role_change(practice, actor, role, membership.role)
    if role != Role.OWNER:
        _check_not_last_owner(practice, membership, "given another role")
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    record_event(
        practice=practice,
        actor=actor,
        action="staff.role",
        detail={"username": membership.user.get_username(), "from": old, "to": role},
    )


@transaction.atomic
def remove_staff(*, practice: Practice, membership: Membership, actor: Actor) -> None:
    """Take a staff member out of this practice. Their sign-in stays for other practices."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .get(pk=membership.pk, practice=practice)
    )
    _check_owner_role_change(practice, actor, membership.role)
    _check_not_last_owner(practice, membership, "removed")
    username = membership.user.get_username()
    membership.delete()
    record_event(
        practice=practice,
        actor=actor,
        action="staff.remove",
        detail={"username": username, "role": membership.role},
    )
