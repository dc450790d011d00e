"""Patient profiles and the tags that sort them."""

from __future__ import annotations

import uuid

from django.db import models

from rewardshub.practices.models import Location, Practice


class TagGroupKind(models.TextChoices):
    STATUS = "status", "Status"
    LOCATION = "location", "Location"
    CUSTOM = "custom", "Custom"


# A profile carries exactly one tag of each of these kinds.
EXCLUSIVE_KINDS = (TagGroupKind.STATUS, TagGroupKind.LOCATION)


class TagGroup(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="tag_groups")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=TagGroupKind.choices)
    is_system = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="taggroup_name_unique"),
            # One status group and one location group per practice.
            models.UniqueConstraint(
                fields=["practice", "kind"],
                condition=models.Q(kind__in=["status", "location"]),
                name="taggroup_one_exclusive_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def exclusive(self) -> bool:
        return self.kind in EXCLUSIVE_KINDS


class Tag(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="tags")
    group = models.ForeignKey(TagGroup, on_delete=models.PROTECT, related_name="tags")
    name = models.CharField(max_length=100)
    is_system = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["group__position", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="tag_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ProfileKind(models.TextChoices):
    MEMBER = "member", "Member"
    # A profile a batch sync made for a chart that has no card yet (not a
    # prospective patient: those are leads, in the leads app).
    CHART_ONLY = "chart", "Chart only"


class ProfileStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    # Merged into another profile of the same person: a tombstone that keeps its
    # ledger and audit rows and whose username leads to `merged_into`.
    MERGED = "merged", "Merged"


class Profile(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="profiles")
    # The stable 16-digit hub id: the number of the patient's first card, or a
    # generated number from the reserved range when the profile began without one.
    username = models.CharField(max_length=16, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True, default="")
    birth_date = models.DateField(null=True, blank=True)
    email = models.EmailField(max_length=254, blank=True, default="")
    phone_mobile = models.CharField(max_length=32, blank=True, default="")
    phone_home = models.CharField(max_length=32, blank=True, default="")
    responsible_party = models.CharField(max_length=200, blank=True, default="")
    kind = models.CharField(max_length=10, choices=ProfileKind.choices, default=ProfileKind.MEMBER)
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL)
    points_balance = models.IntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=ProfileStatus.choices, default=ProfileStatus.ACTIVE
    )
    # Set with status "merged": the profile this one was merged into (never a tombstone itself).
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_profiles"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    # The language the patient chose in the portal ("en", "es"), for its pages and
    # their mail; blank until they choose (the browser's language is used until then).
    language = models.CharField(max_length=8, blank=True, default="")
    tags: models.ManyToManyField[Tag, ProfileTag] = models.ManyToManyField(
        Tag, through="ProfileTag", related_name="profiles"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["practice", "last_name", "first_name"], name="profile_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points_balance__gte=0), name="profile_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(username__regex=r"^[0-9]{16}$"), name="profile_username_digits"
            ),
            # A tombstone names its survivor; a live profile names none.
            models.CheckConstraint(
                condition=models.Q(status="active", merged_into__isnull=True)
                | models.Q(status="merged", merged_into__isnull=False),
                name="profile_merged_into_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def display_name(self) -> str:
        if self.preferred_name and self.preferred_name != self.first_name:
            return f"{self.first_name} “{self.preferred_name}” {self.last_name}"
        return self.full_name


class ProfileTag(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE)
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="profile_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="profile_tags")
    # Set to the tag's group for status and location groups, null otherwise, so
    # the database itself allows one tag per exclusive group and any number of
    # custom tags (NULLs never collide in a unique constraint).
    exclusive_group = models.ForeignKey(TagGroup, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "tag"], name="profiletag_unique"),
            models.UniqueConstraint(
                fields=["profile", "exclusive_group"], name="profiletag_one_per_exclusive_group"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag_id} on profile {self.profile_id}"
