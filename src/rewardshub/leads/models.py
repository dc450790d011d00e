"""Leads: prospective patients of a practice (not yet patients), and the matches
a PMS sync proposes between a lead and the hub patient its chart became.

A lead holds personal data of someone who is not a patient: it can be erased
on request once lost (names and contact blanked, the row kept for the counts).
Audit events about a lead therefore name it by its public id only.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_noop

from rewardshub.automations.models import ReferralStage
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, PendingAward
from rewardshub.practices.models import Practice


class LeadSource(models.TextChoices):
    REFERRAL = "referral", "Referral"
    WEBSITE = "website", "Website"
    WALK_IN = "walk_in", "Walk-in"
    EVENT = "event", "Event"
    SOCIAL = "social", "Social media"
    OTHER = "other", "Other"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    CONSULT_BOOKED = "consult_booked", "Consult booked"
    STARTED_TREATMENT = "started_treatment", "Started treatment"
    LOST = "lost", "Lost"


class BonusState(models.TextChoices):
    """A referral as its referrer sees it: the bonus is pending (held for
    approval, or the friend has not reached the practice's stage, which is not
    said), paid, or not given (staff voided it)."""

    PENDING = "pending", gettext_noop("Pending")
    PAID = "paid", gettext_noop("Bonus paid")
    NONE = "none", gettext_noop("No bonus")


# The stages a referral bonus may be paid at are lead statuses, by value.
assert set(ReferralStage.values) <= set(LeadStatus.values)
# How far along each status is; lost is no stage (it never pays).
STAGE_ORDER = {
    LeadStatus.NEW: 0,
    LeadStatus.CONTACTED: 1,
    LeadStatus.CONSULT_BOOKED: 2,
    LeadStatus.STARTED_TREATMENT: 3,
}


class Lead(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    # Blank once erased.
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    email = models.EmailField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=32, blank=True, default="")
    birth_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=LeadSource.choices)
    # The patient who referred them (the portal's Refer a friend, or staff).
    referred_by = models.ForeignKey(
        Profile, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    notes = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The hub patient the lead became (a match staff confirmed).
    converted_profile = models.ForeignKey(
        Profile, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    # The referral bonus the referrer got for this lead: at most one. Paid at
    # once, or when staff approve it in Pending rewards (`bonus_pending`).
    bonus_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The bonus held for approval, however it was decided since: a lead whose
    # bonus was held is never held or paid again (a voided bonus stays unpaid).
    bonus_pending = models.OneToOneField(
        PendingAward, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["practice", "status"], name="lead_practice_status_idx"),
            models.Index(fields=["referred_by"], name="lead_referred_by_idx"),
        ]
        constraints = [
            # A patient is the conversion of one lead at most: no duplicate conversion.
            models.UniqueConstraint(
                fields=["converted_profile"],
                condition=models.Q(converted_profile__isnull=False),
                name="lead_converted_once",
            ),
            models.CheckConstraint(
                condition=models.Q(erased_at__isnull=True) | models.Q(status="lost"),
                name="lead_erased_is_lost",
            ),
        ]

    def __str__(self) -> str:
        return f"lead {self.public_id}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def bonus_state(self) -> str:
        """What the referrer may know of the bonus: BonusState (never the stage)."""
        pending = self.bonus_pending
        if self.bonus_entry_id is not None or (
            pending is not None and pending.decision == PendingAward.Decision.APPROVED
        ):
            return BonusState.PAID
        if pending is not None and pending.decision == PendingAward.Decision.VOIDED:
            return BonusState.NONE
        return BonusState.PENDING

    @property
    def is_open(self) -> bool:
        """Not lost, not erased, not converted: a sync may match it."""
        return (
            self.status != LeadStatus.LOST
            and self.erased_at is None
            and self.converted_profile_id is None
        )


class MatchBasis(models.TextChoices):
    NAME_BIRTH = "name_birth", "First name, last name and birth date"
    EMAIL = "email", "Email and last name"


class MatchState(models.TextChoices):
    PROPOSED = "proposed", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Not the same person"


class LeadMatch(models.Model):
    """A sync found a hub patient who may be this lead. Nothing changes until
    staff confirm it (the lead is converted) or dismiss it (never proposed again)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="matches")
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="+")
    basis = models.CharField(max_length=12, choices=MatchBasis.choices)
    state = models.CharField(max_length=10, choices=MatchState.choices, default=MatchState.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "profile"], name="leadmatch_pair_unique"),
        ]
        indexes = [
            models.Index(
                fields=["practice", "profile"],
                condition=models.Q(state="proposed"),
                name="leadmatch_proposed_idx",
            )
        ]

    def __str__(self) -> str:
        return f"lead match {self.public_id} ({self.state})"
