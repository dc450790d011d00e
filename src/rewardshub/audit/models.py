"""The audit log: one append-only row for every read and write of patient data."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rewardshub.practices.models import Practice


class ActorKind(models.TextChoices):
    STAFF = "staff", "Staff"
    PATIENT = "patient", "Patient"
    INTEGRATION = "integration", "Integration"
    SYSTEM = "system", "System"


class Outcome(models.TextChoices):
    OK = "ok", "OK"
    DENIED = "denied", "Denied"
    FAILED = "failed", "Failed"


class AuditEvent(models.Model):
    # Null only for events no practice can be named for (a failed sign-in as an
    # unknown username).
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_kind = models.CharField(max_length=12, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who did it, in words: a staff username, "Orthotrac (FRONTDESK)", a patient's username.
    actor_label = models.CharField(max_length=200)
    # Profiles are never deleted; PROTECT keeps their audit trail whole.
    profile = models.ForeignKey(
        "patients.Profile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.OK)
    # What changed, by field name and non-identifying values; never free patient data.
    detail = models.JSONField(default=dict, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["practice", "-created_at"], name="audit_practice_time_idx"),
            models.Index(fields=["practice", "profile"], name="audit_practice_profile_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label} ({self.outcome})"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only; they cannot be changed.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only; they cannot be deleted.")
