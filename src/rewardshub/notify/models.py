"""Patient mail: who asked for which kind, and which mails went out.

`MailPreference` holds a patient's opt-ins (all off until the patient turns
one on in the portal) and the random key their unsubscribe links are signed
over. `SentMail` is the sent-marker: one row per notification, keyed by the
notification's identity (the job's key), written in the transaction that
marks the job done, so a retried job that finds it sends nothing.
`NotifiedEntry` names the ledger entries a points mail told of, each in one
mail only. `PickupNotice` records that staff marked an order ready to pick up.
"""

from __future__ import annotations

import secrets

from django.db import models

from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, PrizeOrder
from rewardshub.practices.models import Practice


def new_unsubscribe_key() -> str:
    return secrets.token_hex(16)


class MailPreference(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    profile = models.OneToOneField(Profile, on_delete=models.CASCADE, related_name="+")
    # What unsubscribe links are signed over: opaque, and no id of the patient.
    unsubscribe_key = models.CharField(max_length=32, unique=True, default=new_unsubscribe_key)
    # One opt-in per kind of mail (notify.kinds.OPT_IN, by the same names).
    points_earned = models.BooleanField(default=False)
    prize_ready = models.BooleanField(default=False)
    order_cancelled = models.BooleanField(default=False)
    birthday = models.BooleanField(default=False)
    referral_bonus = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["practice", "points_earned"], name="mailpref_points_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"mail preferences of profile {self.profile_id}"

    def wants(self, kind: str) -> bool:
        return bool(getattr(self, kind, False))


class SentMail(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    key = models.CharField(max_length=200)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "key"], name="sentmail_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} mail {self.key}"


class NotifiedEntry(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    mail = models.ForeignKey(SentMail, on_delete=models.CASCADE, related_name="entries")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"entry {self.entry_id} in {self.mail_id}"


class PickupNotice(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField(PrizeOrder, on_delete=models.CASCADE, related_name="+")
    marked_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"order {self.order_id} ready for pickup"
