"""QR codes that award points, their collections, and group awards with their recipients."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from rewardshub.patients.models import Profile, Tag
from rewardshub.points.models import LedgerEntry, PendingAward, RewardItem
from rewardshub.practices.models import Practice


class QrLimit(models.TextChoices):
    ONCE = "once", "Once"
    DAILY = "daily", "Once a day"
    EVERY_DAYS = "days", "Once every few days"


class QrCode(models.Model):
    """A printed code a patient scans to collect points (e.g. "Checked in on social media").

    The token is the code's address (/portal/collect/<token>/): 256 random
    bits, so it cannot be guessed, and nothing in it names the practice or a
    row id. It is kept as is rather than hashed: the code hangs printed in the
    office, so it is no more secret than the poster, and staff must be able
    to print it again; what keeps it from paying twice is the per-patient
    limit, checked under the profile's lock.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, editable=False)
    label = models.CharField(max_length=100)
    points = models.PositiveIntegerField()
    # The menu item the points are booked to, when the code is for one.
    reward_item = models.ForeignKey(RewardItem, null=True, blank=True, on_delete=models.PROTECT)
    # Days in the practice's time zone, both included; no end date: no end.
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    limit = models.CharField(max_length=5, choices=QrLimit.choices, default=QrLimit.ONCE)
    # With limit "days": a patient collects again this many days after the last time.
    every_days = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-active", "label"]
        constraints = [
            models.CheckConstraint(condition=models.Q(points__gt=0), name="qrcode_points_positive"),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="qrcode_valid_range",
            ),
            models.CheckConstraint(
                condition=(models.Q(limit="days") & models.Q(every_days__gte=2))
                | (~models.Q(limit="days") & models.Q(every_days__isnull=True)),
                name="qrcode_every_days_with_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.points})"

    @property
    def repeat_days(self) -> int | None:
        """Days between two collections by one patient; None: only once."""
        if self.limit == QrLimit.DAILY:
            return 1
        if self.limit == QrLimit.EVERY_DAYS:
            return self.every_days
        return None


class QrCollection(models.Model):
    """One patient's collection of a code: the ledger entry it paid (or the reward
    held in the Pending rewards queue, when the practice holds QR codes), and the day."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    code = models.ForeignKey(QrCode, on_delete=models.PROTECT, related_name="collections")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    held = models.OneToOneField(
        PendingAward, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The practice's day of the collection.
    day = models.DateField()
    # What the database holds unique per code and patient, behind the check made
    # under the profile's lock: "once" for a code of one collection, the day for
    # a code of one a day; none for every few days (the lock alone decides).
    slot = models.CharField(max_length=10, null=True, blank=True)
    collected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-collected_at", "-id"]
        indexes = [
            models.Index(fields=["code", "profile", "-day"], name="qrcollection_last_idx"),
            models.Index(fields=["practice", "collected_at"], name="qrcollection_time_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "profile", "slot"],
                condition=models.Q(slot__isnull=False),
                name="qrcollection_slot_unique",
            )
        ]

    def __str__(self) -> str:
        return f"collection of {self.code_id} on {self.day}"


class GroupAward(models.Model):
    """Points given at once to every patient with a tag (or every patient).

    `idempotency_key` comes from the preview page's form: the same confirmation
    sent again (a double click, a retried request) finds this row and pays no
    one a second time.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=64)
    label = models.CharField(max_length=300)
    reward_item = models.ForeignKey(RewardItem, null=True, blank=True, on_delete=models.PROTECT)
    points = models.PositiveIntegerField()
    # None: every patient of the practice. The name is kept for the record.
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.SET_NULL)
    tag_name = models.CharField(max_length=100, blank=True, default="")
    recipients_count = models.PositiveIntegerField(default=0)
    points_total = models.PositiveIntegerField(default=0)
    # Left out: tagged as excluded from automatic points; given the item within its repeat window.
    excluded_count = models.PositiveIntegerField(default=0)
    recent_count = models.PositiveIntegerField(default=0)
    created_by_label = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["practice", "created_at"], name="groupaward_time_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "idempotency_key"], name="groupaward_key_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(points__gt=0), name="groupaward_points_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"group award {self.public_id}"

    @property
    def audience(self) -> str:
        return f"tagged {self.tag_name}" if self.tag_name else "all patients"


class GroupAwardRecipient(models.Model):
    """A patient a group award paid, with the entry (or the reward held in the Pending
    rewards queue, when the practice holds group awards); at most once per award."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    group_award = models.ForeignKey(GroupAward, on_delete=models.PROTECT, related_name="recipients")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    held = models.OneToOneField(
        PendingAward, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_award", "profile"], name="groupawardrecipient_once"
            )
        ]

    def __str__(self) -> str:
        return f"recipient of {self.group_award_id}"
