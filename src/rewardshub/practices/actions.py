"""Setting up practices, their locations and staff: one transaction each, audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.patients.models import Tag, TagGroup, TagGroupKind
from rewardshub.practices.models import Location, Membership, Practice

# Every practice starts with these. The leading "*" marks system tags, which
# staff cannot rename or delete: PMS tag mappings and reports rely on them.
DEFAULT_STATUS_TAGS = (
    "*Orthodontic Patient",
    "*Retainer Patient",
    "*Future Patient",
    "*Adult Patient",
)


def location_tag_name(location_name: str) -> str:
    return f"*{location_name}"


@transaction.atomic
def create_practice(
    *, name: str, slug: str, actor: Actor, locations: tuple[str, ...] = (), time_zone: str = "America/New_York"
) -> Practice:
    practice = Practice.objects.create(name=name, slug=slug, time_zone=time_zone)
    status = TagGroup.objects.create(
        practice=practice, name="Status", kind=TagGroupKind.STATUS, is_system=True, position=0
    )
    TagGroup.objects.create(
        practice=practice, name="Location", kind=TagGroupKind.LOCATION, is_system=True, position=1
    )
    for position, tag_name in enumerate(DEFAULT_STATUS_TAGS):
        Tag.objects.create(
            practice=practice, group=status, name=tag_name, is_system=True, position=position
        )
    for location_name in locations:
        _add_location(practice, location_name)
    record_event(practice=practice, actor=actor, action="practice.create", detail={"slug": slug})
    return practice


def _add_location(practice: Practice, name: str) -> Location:
    location = Location.objects.create(practice=practice, name=name)
    group = TagGroup.objects.get(practice=practice, kind=TagGroupKind.LOCATION)
    position = Tag.objects.filter(group=group).count()
    # Each location has its system tag in the Location group.
    Tag.objects.get_or_create(
        practice=practice,
        name=location_tag_name(name),
        defaults={"group": group, "is_system": True, "position": position},
    )
    return location


@transaction.atomic
def add_location(*, practice: Practice, name: str, actor: Actor) -> Location:
    location = _add_location(practice, name)
    record_event(practice=practice, actor=actor, action="location.create", detail={"name": name})
    return location


@transaction.atomic
def add_staff(
    *, practice: Practice, username: str, password: str | None, role: str, actor: Actor, email: str = ""
) -> Membership:
    """Give `username` a role in the practice, creating the user when new."""
    user_model = get_user_model()
    user: AbstractBaseUser | None = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(username=username, email=email, password=password)
    membership = Membership.objects.create(user=user, practice=practice, role=role)
    record_event(
        practice=practice, actor=actor, action="staff.add", detail={"username": username, "role": role}
    )
    return membership
