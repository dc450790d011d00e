"""The audit log: one append-only row for every read and write of patient data.

Rows are written only by audit/actions.py, which signs each in its INSERT and
arranges its sealing into the chain; the model itself refuses to save,
change or delete one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

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


# Reads are in the audit log, not in a profile's "Recent activity": the PMS asks
# for the status every time a chart is opened. A chart-tab view is a
# "profile.view" too.
READ_ACTIONS = ("profile.view", "pms.status", "portal.view")
# Nor are PMS launches and opened launch links: they open the profile, they
# change nothing. "Recent activity" shows changes only. The partial index
# audit_profile_activity_idx leaves these out; changing the list needs a
# migration that recreates it, and audit.queries.recent_activity repeats
# the list in this order so SQLite uses the index.
NOT_ACTIVITY_ACTIONS = (*READ_ACTIONS, "pms.launch", "pms.launch_open")


WRITER = "rewardshub.audit.actions.record_event / record_events"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Reads only: one writer signs and seals every event (audit/actions.py)."""

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[AuditEvent]:
        raise TypeError(f"Audit events are written only by {WRITER}, which signs and seals them.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise TypeError("Audit events are append-only; they cannot be changed.")

    def update(self, **kwargs: Any) -> int:
        raise TypeError("Audit events are append-only; they cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only; they cannot be deleted.")


class AuditChainHead(models.Model):
    """The newest link of one practice's audit chain, locked while a link is added.

    Keyed by the practice's id, with 0 for the chain of events no practice can
    be named for: a plain integer key, because a nullable one-to-one cannot
    name "the null practice" as one row.
    """

    chain = models.BigIntegerField(primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"chain {self.chain} at {self.last_seq}"


class AuditEvent(models.Model):
    # Null only for events no practice can be named for (a failed sign-in as an
    # unknown username).
    # Indexed only by the composite indexes below: every index is written on
    # every audited call, and each lookup here starts from the practice.
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    actor_kind = models.CharField(max_length=12, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who did it, in words: a staff username, "Orthotrac (FRONTDESK)", a patient's username.
    actor_label = models.CharField(max_length=200)
    # Profiles are never deleted; PROTECT keeps their audit trail whole.
    profile = models.ForeignKey(
        "patients.Profile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    action = models.CharField(max_length=40)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.OK)
    # What changed, by field name and non-identifying values; never free patient data.
    detail = models.JSONField(default=dict, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    # Not auto_now_add: the MAC covers it, so it must be final when written.
    created_at = models.DateTimeField(default=timezone.now)
    # HMAC-SHA-256 of the fields above under the audit key `key_id` (audit/keyring.py),
    # a key the database does not hold; written in the event's own INSERT. Null only
    # for events written before the audit trail was signed.
    mac = models.CharField(max_length=64, null=True, blank=True)
    key_id = models.CharField(max_length=32, null=True, blank=True)
    # The tamper-evident chain (audit/chain.py): 1, 2, 3... within the practice,
    # and sha256 over the previous link's hash, this event's fields and MAC. Null for
    # the moment between the action's commit and the sealing right after it.
    seq = models.BigIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64, null=True, blank=True)
    hash = models.CharField(max_length=64, null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["practice", "-created_at"], name="audit_practice_time_idx"),
            models.Index(fields=["practice", "profile"], name="audit_practice_profile_idx"),
            # A profile's recent activity, newest first, without walking the practice's log.
            models.Index(fields=["profile", "-created_at"], name="audit_profile_time_idx"),
            # "Recent activity" on the profile page: its changes, newest first,
            # without stepping over every view of it (reads are most rows).
            models.Index(
                fields=["profile", "-created_at", "-id"],
                condition=~Q(action__in=NOT_ACTIVITY_ACTIONS),
                name="audit_profile_activity_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["practice", "seq"], name="audit_practice_seq_uniq"),
            # NULLs are distinct in a unique index: the no-practice chain needs its own.
            models.UniqueConstraint(
                fields=["seq"], condition=Q(practice__isnull=True), name="audit_nopractice_seq_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label} ({self.outcome})"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise TypeError("Audit events are append-only; they cannot be changed.")
        raise TypeError(f"Audit events are written only by {WRITER}, which signs and seals them.")

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only; they cannot be deleted.")
