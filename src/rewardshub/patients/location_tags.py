"""The tags every practice and location has: the Status and Location groups, the
default status tags and one system tag per location ("*Acworth").

Registered with practices.keepers (PatientsConfig.ready), so creating a practice,
adding a location or renaming one keeps these tags in the same transaction.
"""

from __future__ import annotations

from rewardshub.errors import ActionError
from rewardshub.patients.models import Tag, TagGroup, TagGroupKind
from rewardshub.practices.models import Location, Practice

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


def _is_location_tag_of(tag: Tag, location_pk: int) -> bool:
    # Renaming "Acworth" to "ACWORTH" must not trip over its own tag.
    location = Location.objects.get(pk=location_pk)
    return tag.group.kind == TagGroupKind.LOCATION and tag.name == location_tag_name(location.name)


def _location_tag(practice: Practice, location_name: str) -> Tag | None:
    return Tag.objects.filter(
        practice=practice,
        group__kind=TagGroupKind.LOCATION,
        is_system=True,
        name=location_tag_name(location_name),
    ).first()


class LocationTags:
    """The practices.keepers.PracticeKeeper of the system tag groups and location tags."""

    def practice_created(self, practice: Practice) -> None:
        status = TagGroup.objects.create(
            practice=practice, name="Status", kind=TagGroupKind.STATUS, is_system=True, position=0
        )
        TagGroup.objects.create(
            practice=practice,
            name="Location",
            kind=TagGroupKind.LOCATION,
            is_system=True,
            position=1,
        )
        for position, tag_name in enumerate(DEFAULT_STATUS_TAGS):
            Tag.objects.create(
                practice=practice, group=status, name=tag_name, is_system=True, position=position
            )

    def check_location_name(self, practice: Practice, name: str, exclude: int | None) -> None:
        tag_name = location_tag_name(name)
        clash = (
            Tag.objects.filter(practice=practice, name__iexact=tag_name)
            .select_related("group")
            .first()
        )
        if clash is not None and not (exclude is not None and _is_location_tag_of(clash, exclude)):
            raise ActionError(
                "tag_exists",
                f"The location's tag would be “{tag_name}”, but the {clash.group.name} group "
                "already has a tag with that name. Choose another location name.",
                status=409,
            )

    def location_added(self, practice: Practice, location: Location) -> None:
        group = TagGroup.objects.get(practice=practice, kind=TagGroupKind.LOCATION)
        position = Tag.objects.filter(group=group).count()
        # Each location has its system tag in the Location group.
        Tag.objects.get_or_create(
            practice=practice,
            name=location_tag_name(location.name),
            defaults={"group": group, "is_system": True, "position": position},
        )

    def location_renamed(self, practice: Practice, location: Location, old_name: str) -> None:
        """"*Old" becomes "*New", so tagged patients follow."""
        tag = _location_tag(practice, old_name)
        if tag is not None:
            tag.name = location_tag_name(location.name)
            tag.save(update_fields=["name"])
