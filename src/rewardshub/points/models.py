"""Points: the reward menu, the append-only ledger, prizes and prize orders."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_noop

from rewardshub.patients.models import Profile, Tag
from rewardshub.practices.models import Location, Practice


class RewardCategory(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="rewardcategory_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class RewardItem(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(RewardCategory, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(max_length=100)
    points = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    # The item cannot be given to the same patient again within this many days.
    repeat_window_days = models.PositiveIntegerField(null=True, blank=True)
    # Given with the item, e.g. "Reviewed us online".
    auto_tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["category__position", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="rewarditem_name_unique"),
            models.CheckConstraint(
                condition=models.Q(points__gt=0), name="rewarditem_points_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.points})"


class EntryKind(models.TextChoices):
    # The labels are marked for the portal, which shows them in the patient's language.
    AWARD = "award", gettext_noop("Award")
    REDEEM = "redeem", gettext_noop("Redeem")
    ADJUST = "adjust", gettext_noop("Adjustment")
    REVERSAL = "reversal", gettext_noop("Reversal")
    EXPIRE = "expire", gettext_noop("Expiry")
    TRANSFER = "transfer", gettext_noop("Transfer")
    AUTO = "auto", gettext_noop("Automatic")
    # A gift between two members of the practice: one entry on each side (points.gifts).
    GIFT_OUT = "gift_out", gettext_noop("Gift given")
    GIFT_IN = "gift_in", gettext_noop("Gift received")
    # A profile merge moves the merged profile's balance to the survivor as a pair.
    MERGE_OUT = "merge_out", gettext_noop("Merged into another profile")
    MERGE_IN = "merge_in", gettext_noop("Merged from another profile")


class LedgerEntry(models.Model):
    """One signed change of a profile's points. Never edited or deleted: a
    mistake is undone by a reversal entry that points at it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="ledger")
    points = models.IntegerField()
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    reward_item = models.ForeignKey(RewardItem, null=True, blank=True, on_delete=models.PROTECT)
    description = models.CharField(max_length=300, blank=True, default="")
    actor_kind = models.CharField(max_length=12)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    idempotency_key = models.CharField(max_length=300, null=True, blank=True)
    # With an Idempotency-Key: sha256 of the request that made the entry (method,
    # path with its chart id, canonical body), so a key whose stored answer was
    # pruned replays only that same request (points.ledger.replayed_entries).
    request_hash = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["profile", "-created_at", "-id"], name="ledger_profile_time_idx"),
            models.Index(fields=["practice", "created_at"], name="ledger_practice_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(points=0), name="ledger_points_not_zero"),
            models.UniqueConstraint(
                fields=["practice", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="ledger_idempotency_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("Ledger entries are append-only; reverse an entry instead.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Ledger entries are append-only; reverse an entry instead.")


class RewardKind(models.TextChoices):
    """What a reward is for, which decides whether it waits in the Pending rewards
    queue (RewardSettings; misc points keep the practice's own approval rule)."""

    MISC = "misc", "Misc points"
    REFERRAL = "referral", "Referral bonus"
    CONTEST = "contest", "Contest prize"
    GROUP = "group", "Group award"
    QR = "qr", "QR code"


class PendingAward(models.Model):
    """A reward waiting in the Pending rewards queue for an owner or admin to
    approve (paid through the ledger then) or void (with a reason)."""

    class Decision(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        VOIDED = "voided", "Voided"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=RewardKind.choices, default=RewardKind.MISC)
    points = models.PositiveIntegerField()
    description = models.CharField(max_length=300)
    # Where the reward comes from, e.g. the contest's name.
    source_label = models.CharField(max_length=200, blank=True, default="")
    requested_by_label = models.CharField(max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by_label = models.CharField(max_length=200, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True, default="")
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The reward's key ("<key>#0", as its ledger entry would have had): a retried
    # reward finds the row it left instead of waiting (or paying) twice.
    idempotency_key = models.CharField(max_length=300, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["practice", "decision", "created_at"], name="pending_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points__gt=0), name="pending_points_positive"
            ),
            models.UniqueConstraint(
                fields=["practice", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="pending_idempotency_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"pending {self.points:+d}"


class RewardSettings(models.Model):
    """The practice's choices for paying rewards (Settings > Reward rules): which
    kinds wait in the Pending rewards queue, and the limits on gifts between members.
    A practice without a row has the defaults."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="+")
    hold_referral = models.BooleanField(default=False)
    hold_contest = models.BooleanField(default=False)
    hold_group = models.BooleanField(default=False)
    hold_qr = models.BooleanField(default=False)
    gift_max_points = models.PositiveIntegerField(default=500)
    gift_daily_max_points = models.PositiveIntegerField(default=1000)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(gift_max_points__gt=0, gift_daily_max_points__gt=0),
                name="reward_settings_gift_limits_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"reward settings of practice {self.practice_id}"

    def holds(self, kind: str) -> bool:
        """Whether a reward of this kind waits in the queue (misc: see rewards.holds)."""
        return bool(getattr(self, f"hold_{kind}", False))


class Gift(models.Model):
    """Points one member gave another (e.g. a sibling covering a shortfall), moved
    by the pair of ledger entries it names."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    giver = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="+")
    receiver = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField()
    note = models.CharField(max_length=300, blank=True, default="")
    out_entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="+")
    in_entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="+")
    given_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["giver", "created_at"], name="gift_giver_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(points__gt=0), name="gift_points_positive"),
            models.CheckConstraint(
                condition=~models.Q(giver=models.F("receiver")), name="gift_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"gift {self.points}"


class Prize(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="", max_length=2000)
    cost = models.PositiveIntegerField()
    # None: unlimited.
    stock = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    picture = models.ImageField(upload_to="prizes/", blank=True, default="")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "cost", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(cost__gt=0), name="prize_cost_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    TODO = "todo", "To do"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"


class PrizeOrder(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="orders")
    prize = models.ForeignKey(Prize, on_delete=models.PROTECT, related_name="orders")
    cost = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.TODO)
    redeem_entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="+")
    cancel_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ordered_by_label = models.CharField(max_length=200)
    handled_by_label = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["practice", "status", "-created_at"], name="order_status_idx")
        ]

    def __str__(self) -> str:
        return f"order {self.public_id} ({self.status})"
