"""A parent or guardian's portal sign-in and the children staff linked to it.

A Guardian belongs to one practice and signs in with its email and its own
password, never a child's card. A GuardianLink names one child; the guardian
sees it only once staff confirmed it (confirmed_at) and the guardian verified
the email (verified_at).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models

from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice


class Guardian(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    # Stored lower-case.
    email = models.EmailField(max_length=254)
    # Django's password hash (argon2); blank until the invitation's link sets it.
    password = models.CharField(max_length=128, blank=True, default="")
    verified_at = models.DateTimeField(null=True, blank=True)
    # The latest invitation: a new one makes the links of earlier mails stop working.
    invited_at = models.DateTimeField()
    last_login = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "email"], name="guardian_email_unique"),
        ]

    def __str__(self) -> str:
        return f"guardian {self.public_id}"

    @property
    def can_sign_in(self) -> bool:
        return self.verified_at is not None and bool(self.password)

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)


class GuardianLink(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="links")
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="guardian_links")
    # Null until a staff member confirms the link: a shared email only proposes it.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["guardian", "profile"], name="guardianlink_unique"),
        ]

    def __str__(self) -> str:
        return f"guardian link {self.public_id}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None
