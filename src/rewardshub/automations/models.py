"""Appointments from the PMS, the practice's automatic-point rules, and what each rule paid."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_noop

from rewardshub.patients.models import Profile, Tag
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CONFIRMED = "confirmed", "Confirmed"
    ARRIVED = "arrived", "Arrived"
    SEATED = "seated", "Seated"
    COMPLETED = "completed", "Completed"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


class Appointment(models.Model):
    """One appointment as the PMS last described it. Kept for a chart the hub
    has not linked yet (profile empty) and attached when the chart links. A
    deleted appointment keeps its row (deleted_at), so what it earned can be
    taken back and an older update arriving late cannot bring it back."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    system = models.SlugField(max_length=40)
    chart_id = models.CharField(max_length=64)
    appointment_id = models.CharField(max_length=64)
    profile = models.ForeignKey(
        Profile, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    length_minutes = models.PositiveIntegerField(default=0)
    type_code = models.CharField(max_length=40, blank=True, default="")
    type_label = models.CharField(max_length=100, blank=True, default="")
    office = models.CharField(max_length=40, blank=True, default="")
    provider = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=10, choices=AppointmentStatus.choices)
    # Once the PMS has said the patient confirmed, the visit stays confirmed
    # through arrival and check-out.
    confirmed = models.BooleanField(default=False)
    arrived_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    # The PMS's own time of this version: an update older than the stored one changes nothing.
    pms_updated_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "system", "appointment_id"], name="appointment_pms_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["practice", "system", "chart_id"], name="appointment_chart_idx"),
            models.Index(fields=["profile", "starts_at"], name="appointment_profile_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.system} appointment {self.pk}"


class Trigger(models.TextChoices):
    # The labels are marked for the portal, which shows them in the patient's language.
    KEPT = "kept", gettext_noop("Appointment kept")
    ON_TIME = "on_time", gettext_noop("On time")
    EARLY = "early", gettext_noop("Early")
    LATE = "late", gettext_noop("Late")
    MISSED = "missed", gettext_noop("Missed appointment")
    CONFIRMED = "confirmed", gettext_noop("Confirmed appointment")
    NEXT_BOOKED = "next_booked", gettext_noop("Next visit booked")
    WELCOME = "welcome", gettext_noop("Welcome")
    BIRTHDAY = "birthday", gettext_noop("Birthday")
    MILESTONE = "milestone", gettext_noop("Treatment milestone")
    REFERRAL = "referral", gettext_noop("Referral bonus")


class ReferralStage(models.TextChoices):
    """The stage a referred lead reaches that pays its referrer (the leads app's
    statuses past "new", by the same values)."""

    CONTACTED = "contacted", "Contacted"
    CONSULT_BOOKED = "consult_booked", "Consult booked"
    STARTED_TREATMENT = "started_treatment", "Started treatment"


# Triggers whose points are taken away rather than given.
DEDUCTIONS = frozenset({Trigger.LATE, Trigger.MISSED})
# Triggers paid for an appointment; the others are paid once per profile (or year).
APPOINTMENT_TRIGGERS = frozenset(
    {
        Trigger.KEPT,
        Trigger.ON_TIME,
        Trigger.EARLY,
        Trigger.LATE,
        Trigger.MISSED,
        Trigger.CONFIRMED,
        Trigger.NEXT_BOOKED,
    }
)


class AutoRule(models.Model):
    """One trigger's rule in one practice (Settings > Automatic points)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    enabled = models.BooleanField(default=False)
    points = models.PositiveIntegerField(default=1)
    # Appointment type codes the rule applies to; empty: every type.
    appointment_types = models.JSONField(default=list, blank=True)
    # At most this many payments of the rule per patient per day; empty: no limit.
    daily_limit = models.PositiveIntegerField(null=True, blank=True)
    # On time: arrived no later than this many minutes after the scheduled start.
    grace_minutes = models.PositiveIntegerField(default=5)
    # Early: arrived at least this many minutes before the scheduled start.
    early_minutes = models.PositiveIntegerField(default=10)
    # Next visit booked: the next appointment booked within this many hours of check-out.
    window_hours = models.PositiveIntegerField(default=24)
    # Milestone: the PMS status that marks it (e.g. "Debond").
    milestone_status = models.CharField(max_length=40, blank=True, default="")
    # Referral bonus: the stage of the referred lead that pays it.
    referral_stage = models.CharField(
        max_length=20, choices=ReferralStage.choices, default=ReferralStage.STARTED_TREATMENT
    )
    # Visits that started before the rule was last switched on earn nothing from it.
    active_from = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "trigger"], name="autorule_trigger_unique"),
            models.CheckConstraint(condition=models.Q(points__gt=0), name="autorule_points_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} ({self.points})"


class AutoSettings(models.Model):
    """The practice's choices that apply to every rule."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="+")
    # Patients with any of these tags get no automatic points.
    excluded_tags = models.ManyToManyField(Tag, blank=True, related_name="+")
    # Visits from this date earn points even if they happened before the
    # patient's card was connected; empty: only from the day of the card.
    visits_since = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"automatic points settings of practice {self.practice_id}"


class AutoAward(models.Model):
    """One change a rule made to one profile's points, for an appointment or a
    period ("" once per profile, the year for birthdays). `points` is what the
    ledger entry moved; `uncollected` what a take-back could not take because
    the points were spent (given back as negative when a later change forgives
    it). What a rule has in effect for an appointment is sum(points) -
    sum(uncollected) over its rows."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(AutoRule, on_delete=models.PROTECT, related_name="awards")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="awards"
    )
    period = models.CharField(max_length=10, blank=True, default="")
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="auto_award"
    )
    points = models.IntegerField(default=0)
    uncollected = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # Once-per-period rules pay once: a second run finds the row.
            models.UniqueConstraint(
                fields=["profile", "rule", "period"],
                condition=models.Q(appointment__isnull=True),
                name="autoaward_once_per_period",
            ),
        ]
        indexes = [models.Index(fields=["profile", "rule"], name="autoaward_profile_rule_idx")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.points:+d}"
