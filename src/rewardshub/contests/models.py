"""A contest, who entered it, and the points it paid (or holds in Pending rewards)."""

from __future__ import annotations

import uuid

from django.db import models

from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, PendingAward
from rewardshub.practices.models import Practice

MAX_CONTEST_POINTS = 100_000


class Contest(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    # Whole days in the practice's time zone, both included.
    starts_on = models.DateField()
    ends_on = models.DateField()
    rules = models.TextField(blank=True, default="", max_length=4000)
    participant_points = models.PositiveIntegerField(default=0)
    winner_points = models.PositiveIntegerField(default=0)
    created_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        indexes = [models.Index(fields=["practice", "ends_on"], name="contest_practice_end_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="contest_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    participant_points__lte=MAX_CONTEST_POINTS,
                    winner_points__lte=MAX_CONTEST_POINTS,
                ),
                name="contest_points_bounded",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContestEntry(models.Model):
    """A patient taking part in a contest; a winner once `won_at` is set."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    contest = models.ForeignKey(Contest, on_delete=models.PROTECT, related_name="entries")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="+")
    entered_by_label = models.CharField(max_length=200)
    entered_at = models.DateTimeField(auto_now_add=True)
    won_at = models.DateTimeField(null=True, blank=True)
    picked_by_label = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["profile__last_name", "profile__first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "profile"], name="contest_entry_once"),
        ]

    def __str__(self) -> str:
        return f"entry {self.public_id}"


class Prize(models.TextChoices):
    PARTICIPANT = "participant", "Taking part"
    WINNER = "winner", "Winning"


class ContestAward(models.Model):
    """The points a contest gave one patient for taking part or for winning: paid
    (`entry`) or held in Pending rewards (`pending`). One of each per patient."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    contest = models.ForeignKey(Contest, on_delete=models.PROTECT, related_name="awards")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="+")
    prize = models.CharField(max_length=12, choices=Prize.choices)
    points = models.PositiveIntegerField()
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pending = models.OneToOneField(
        PendingAward, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["practice", "created_at"], name="contest_award_time_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contest", "profile", "prize"], name="contest_award_once"
            ),
            models.CheckConstraint(
                condition=models.Q(entry__isnull=False, pending__isnull=True)
                | models.Q(entry__isnull=True, pending__isnull=False),
                name="contest_award_paid_or_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prize} {self.points}"
