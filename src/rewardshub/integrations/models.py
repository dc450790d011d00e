"""The PMS side of a practice: chart links, the sync log, launch tokens,
idempotent replies and the PMS-value-to-tag mapping."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower

from rewardshub.patients.models import Profile, Tag
from rewardshub.practices.models import IntegrationKey, Practice


class PmsLink(models.Model):
    """One PMS chart <-> one hub profile, per practice and PMS system (both ways unique)."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="pms_links")
    system = models.SlugField(max_length=40)
    chart_id = models.CharField(max_length=64)
    # Profiles are never deleted; PROTECT keeps a link from pointing at nothing.
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="pms_links")
    created_at = models.DateTimeField(auto_now_add=True)
    last_synced_at = models.DateTimeField()
    # The chart's PMS status as the hub last saw it (a set card, an update or a
    # batch sent it; decisions.pms_status_seen), and when it moved to that
    # status: a treatment milestone is the status moving to the practice's.
    pms_status = models.CharField(max_length=100, blank=True, default="")
    pms_status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "system", "chart_id"], name="pmslink_chart_unique"
            ),
            models.UniqueConstraint(
                fields=["practice", "system", "profile"], name="pmslink_profile_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system}:{self.chart_id}"


class SyncAction(models.TextChoices):
    SET_CARD = "set_card", "Set card"
    UPDATE = "update", "Update"
    LAUNCH = "launch", "Launch"
    STATUS = "status", "Status"
    BATCH = "batch", "Batch sync"
    POINTS = "points", "Points"
    APPOINTMENT = "appointment", "Appointment"


class SyncOutcome(models.TextChoices):
    CREATED = "created", "Created"
    LINKED = "linked", "Linked"
    ALREADY_LINKED = "already_linked", "Already linked"
    UPDATED = "updated", "Updated"
    UNCHANGED = "unchanged", "Unchanged"
    LAUNCHED = "launched", "Launched"
    REPORTED = "reported", "Status reported"
    AWARDED = "awarded", "Points awarded"
    PENDING = "pending", "Waiting for approval"
    NEEDS_CONFIRMATION = "needs_confirmation", "Waiting for confirmation"
    REPLAYED = "replayed", "Replayed"
    ERROR = "error", "Failed"


class SyncEvent(models.Model):
    """Every PMS call about a chart and what came of it: the Sync log staff read."""

    # Indexed by the composite indexes below (the Sync log is read per practice);
    # every index is written on every PMS call.
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="sync_events", db_index=False
    )
    key = models.ForeignKey(
        IntegrationKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    system = models.SlugField(max_length=40, db_index=False)
    chart_id = models.CharField(max_length=64, blank=True, default="")
    profile = models.ForeignKey(
        Profile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=SyncAction.choices)
    outcome = models.CharField(max_length=20, choices=SyncOutcome.choices)
    # Blank unless outcome is "error": the API error code answered.
    error = models.CharField(max_length=40, blank=True, default="")
    # What happened, in words a front desk can act on (the API's message on errors).
    message = models.TextField(blank=True, default="")
    pms_user = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["practice", "-created_at"], name="syncevent_practice_time_idx"),
            # "Needs attention": recent failures, and whether the chart synced since.
            models.Index(
                fields=["practice", "system", "chart_id", "-created_at"],
                name="syncevent_chart_time_idx",
            ),
            models.Index(
                fields=["practice", "-created_at"],
                condition=models.Q(outcome="error"),
                name="syncevent_failures_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.chart_id}: {self.outcome}"

    @property
    def failed(self) -> bool:
        return self.outcome == SyncOutcome.ERROR


class LaunchView(models.TextChoices):
    PROFILE = "profile", "Profile"
    CHART = "chart", "Chart tab"
    # The window Set card opens: only says the patient is synced.
    SYNCED = "synced", "Synced notice"
    # The window Set card opens when the chart and the hub patient it names
    # differ: staff confirm (or cancel) the link there.
    CONFIRM = "confirm", "Link confirmation"
    # The window Set card opens when the synced patient may be a lead of the
    # practice: staff confirm (or dismiss) the match there.
    LEAD_MATCH = "lead_match", "Lead match"


class LinkState(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class PendingLink(models.Model):
    """A set card held back: the number named an existing hub patient whose name or
    birth date differ from the chart's. Nothing is linked until staff confirm it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    key = models.ForeignKey(
        IntegrationKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    system = models.SlugField(max_length=40)
    chart_id = models.CharField(max_length=64)
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="+")
    # The chart's demographics as the PMS sent them (and its status and office,
    # for the tag mapping): applied if staff confirm; emptied once decided.
    data = models.JSONField(default=dict, blank=True)
    # Names of the identity fields that differ ("birth_date"), never values.
    differences = models.JSONField(default=list, blank=True)
    pms_user = models.CharField(max_length=100, blank=True, default="")
    state = models.CharField(max_length=10, choices=LinkState.choices, default=LinkState.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["practice", "system", "chart_id"],
                condition=models.Q(state="pending"),
                name="pendinglink_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"pending link {self.system}:{self.chart_id} ({self.state})"


class LaunchToken(models.Model):
    """A one-time, short-lived browser link from the PMS into the hub. Only a hash is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    key = models.ForeignKey(
        IntegrationKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    system = models.SlugField(max_length=40)
    chart_id = models.CharField(max_length=64)
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="+")
    view = models.CharField(max_length=10, choices=LaunchView.choices)
    pms_user = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The confirmation a CONFIRM window opens.
    confirmation = models.ForeignKey(
        PendingLink, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What the synced window lists ("Email updated from ... to ..."): patient
    # data, so it is emptied when the link is used.
    notice = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="launchtoken_expiry_idx")]

    def __str__(self) -> str:
        return f"launch {self.view} {self.system}:{self.chart_id}"


class IdempotencyRecord(models.Model):
    """The stored answer to a write sent with an Idempotency-Key, replayed on a retry."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # sha256 of method, path and (canonical) body: the same key with another
    # request is a client bug, answered 422 instead of a wrong replay.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "key"], name="idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"idempotency {self.key[:40]}"


class TagRuleField(models.TextChoices):
    PMS_STATUS = "pms_status", "PMS status"
    OFFICE = "office", "Office"


class TagRule(models.Model):
    """A PMS field value that puts a tag on the patient when a sync carries it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="tag_rules")
    system = models.SlugField(max_length=40)
    field = models.CharField(max_length=12, choices=TagRuleField.choices)
    # As the PMS spells it; matched without regard to case ("Active Tx" = "ACTIVE TX").
    value = models.CharField(max_length=100)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["system", "field", "value"]
        constraints = [
            models.UniqueConstraint(
                "practice", "system", "field", Lower("value"), name="tagrule_value_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(field__in=["pms_status", "office"]), name="tagrule_field_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system} {self.field} {self.value!r} -> {self.tag_id}"


class SyncWatch(models.Model):
    """How long the practice's PMS may stay silent before owners and admins are
    warned (integrations/health.py), and the opening hours that silence is
    counted in. No row, or no threshold: never warn."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="+")
    # Empty: never warn.
    silence_minutes = models.PositiveIntegerField(null=True, blank=True)
    # Opening hours in the practice's time zone: count silence only from
    # opens_at to closes_at on these weekdays ("01234": Monday is 0). All
    # three empty: count every hour.
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    weekdays = models.CharField(max_length=7, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(silence_minutes__isnull=True)
                | models.Q(silence_minutes__gt=0),
                name="syncwatch_silence_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(opens_at__isnull=True, closes_at__isnull=True, weekdays="")
                | (
                    models.Q(opens_at__lt=models.F("closes_at"))
                    & ~models.Q(weekdays="")
                ),
                name="syncwatch_hours_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"sync watch {self.practice_id}: {self.silence_minutes} min"
