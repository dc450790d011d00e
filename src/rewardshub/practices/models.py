"""Tenants: a practice, its locations, its staff memberships and its integration keys."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MARKETING = "marketing", "Rewards + marketing"
    REWARDS = "rewards", "Rewards"
    FINANCIAL = "financial", "Financial"


# Who may do what. Financial staff see orders and reports, never patients.
PATIENT_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MARKETING, Role.REWARDS})
SETTINGS_ROLES = frozenset({Role.OWNER, Role.ADMIN})
AUDIT_ROLES = frozenset({Role.OWNER, Role.ADMIN})
REPORT_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.FINANCIAL})


class Practice(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="America/New_York")
    # Origins allowed to frame the chart view (the PMS's embedded browser), space separated.
    frame_ancestors = models.TextField(blank=True, default="")
    idle_timeout_minutes = models.PositiveIntegerField(default=15)
    # Misc (free-amount) awards wait for an owner or admin to approve them.
    misc_requires_approval = models.BooleanField(default=False)
    # Branding (Settings > Branding): the portal's header and the mails' header in
    # the practice's colours, with its logo; empty means the hub's own look. The
    # logo is stored as prize pictures are (points/prize_pictures.py), through the
    # default storage; the colours are "#rrggbb", checked for contrast when saved.
    logo = models.ImageField(blank=True, default="", upload_to="logos/")
    primary_colour = models.CharField(max_length=7, blank=True, default="")
    accent_colour = models.CharField(max_length=7, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=100)
    address = models.CharField(max_length=300, blank=True, default="")
    phone = models.CharField(max_length=32, blank=True, default="")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="location_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["practice__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "practice"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.practice} ({self.role})"


DEFAULT_FHIR_IDENTIFIER_SYSTEM = "urn:rewardshub:chart"


class IntegrationKey(models.Model):
    """A PMS's credential for one practice and one PMS system. Only a hash is stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(max_length=100)
    system = models.SlugField(max_length=40)
    # The first characters of the secret, shown in lists so staff can tell keys apart;
    # also the lookup index, so checking a key costs one indexed read and one hash.
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=128)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # FHIR calls (/api/v1/fhir/...): the Patient.identifier system whose value is
    # the chart id (docs/integration-api.md, "FHIR R4").
    fhir_identifier_system = models.CharField(
        max_length=200, default=DEFAULT_FHIR_IDENTIFIER_SYSTEM
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.system})"


class LoginThrottle(models.Model):
    """Failed sign-ins of one key (a hashed username or address) and its lock (ratelimit.py).

    Where the throttles live without Redis: every worker and host reads the
    same rows. Times are epoch seconds, as the lock messages need them.
    """

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    window_ends = models.FloatField()
    locked_until = models.FloatField(default=0)
    expires_at = models.FloatField(default=0, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_scope_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:8]}…"
