"""Physical rewards cards and the batches they were issued or imported in."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice


class BatchSource(models.TextChoices):
    ISSUED = "issued", "Issued by the hub"
    IMPORTED = "imported", "Imported from another program"


class CardBatch(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="card_batches")
    source = models.CharField(max_length=10, choices=BatchSource.choices)
    label = models.CharField(max_length=200, blank=True, default="")
    size = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.size} cards ({self.label or 'no label'})"


class CardState(models.TextChoices):
    AVAILABLE = "available", "Available"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


# The retire reason of a card a PMS set as a username that staff never
# connected: they connected another card instead.
SET_CARD_RETIRED = "Set in Orthotrac, never connected"
# The retire reason of a merged profile's active card when the profile kept had its own.
MERGE_RETIRED = "Retired in a profile merge"


class Card(models.Model):
    number = models.CharField(max_length=16, unique=True)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="cards")
    batch = models.ForeignKey(CardBatch, on_delete=models.PROTECT, related_name="cards")
    state = models.CharField(max_length=10, choices=CardState.choices, default=CardState.AVAILABLE)
    profile = models.ForeignKey(
        Profile, null=True, blank=True, on_delete=models.PROTECT, related_name="cards"
    )
    # The 4-digit temporary portal password printed with the card, hashed; blank once used.
    temp_password_hash = models.CharField(max_length=128, blank=True, default="")
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    retire_reason = models.CharField(max_length=200, blank=True, default="")
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )

    class Meta:
        ordering = ["number"]
        indexes = [models.Index(fields=["practice", "state"], name="card_practice_state_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__regex=r"^[0-9]{16}$"), name="card_number_digits"
            ),
            # A patient has at most one active card.
            models.UniqueConstraint(
                fields=["profile"],
                condition=models.Q(state="active"),
                name="card_one_active_per_profile",
            ),
            # Available cards belong to nobody, active cards to someone; a retired
            # card keeps the patient it was retired from, if any.
            models.CheckConstraint(
                condition=(
                    models.Q(state="available", profile__isnull=True)
                    | models.Q(state="active", profile__isnull=False)
                    | models.Q(state="retired")
                ),
                name="card_state_matches_profile",
            ),
        ]

    def __str__(self) -> str:
        return f"card …{self.number[-4:]}"
