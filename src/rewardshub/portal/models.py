"""A patient's portal account: the real password and email set at the first log-in.

Before the first log-in there is no account: the patient logs in with the
4-digit temporary password printed with their card (Card.temp_password_hash).
Staff may also issue a new temporary password, kept here until it is used.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.hashers import check_password, make_password
from django.db import models

from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice


class PortalAccount(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    profile = models.OneToOneField(Profile, on_delete=models.CASCADE, related_name="portal_account")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    # Django's password hash (argon2); blank until the patient chooses one.
    password = models.CharField(max_length=128, blank=True, default="")
    # A temporary password staff issued (HMAC, see cards.temp_passwords); blank once used.
    temp_password_hash = models.CharField(max_length=128, blank=True, default="")
    # Stored lower-case; blank when the patient gave none.
    email = models.EmailField(max_length=254, blank=True, default="")
    activated_at = models.DateTimeField(null=True, blank=True)
    last_login = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Closed for good when its profile was merged into one with its own account
    # (merges.actions): it never signs in again.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "email"],
                condition=~models.Q(email=""),
                name="portalaccount_email_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"portal account {self.public_id}"

    @property
    def is_active(self) -> bool:
        return self.activated_at is not None and bool(self.password) and self.closed_at is None

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)
