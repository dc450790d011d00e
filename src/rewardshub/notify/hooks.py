"""What the rest of the hub calls when something happens that a patient may be mailed about.

Each hook runs inside the action's transaction and only arranges for work
after the commit (`transaction.on_commit(..., robust=True)`): the job then
sees committed rows, and an error while queueing it (a broken queue, a
database hiccup) is logged and never undoes or fails the award, order or
payment that asked for the mail. Only a patient who opted in to the kind
gets a job; the job checks again before it sends.

- `points_earned`: from points.ledger.post / post_many for every positive
  award or automatic entry. One job per profile and practice day, sent after
  REWARDSHUB_MAIL_DIGEST_SECONDS: awards in between join the same mail.
- `order_cancelled`: from points.orders.cancel_order.
- `birthday_paid`: from automations.once.pay_birthdays.
- `referral_bonus_paid`: from leads.bonus.pay_referral_bonus.
- prize ready for pickup: notify.actions.mark_ready_for_pickup (staff, Orders page).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from rewardshub.for_ids import ForIds
from rewardshub.jobs.models import Job, JobStatus
from rewardshub.jobs.queue import enqueue
from rewardshub.notify import kinds
from rewardshub.notify.models import MailPreference
from rewardshub.practices.models import Practice
from rewardshub.practices.reads import practice_zone

EARNING_KINDS = frozenset({"award", "auto"})
# Profiles per query when a batch paid many.
CHUNK = 500


def wants_points_mail() -> Exists:
    """For a Profile query: whether the patient opted in to points mail. The ledger's
    lock statements read it with the lock, so an award costs no statement more."""
    return Exists(
        MailPreference.objects.filter(profile_id=OuterRef("pk"), points_earned=True)
    )


def points_earned(
    practice_id: int, entry_kind: str, profile_ids: Sequence[int], *, wanted: bool | None = None
) -> None:
    """Entries of `entry_kind` gave these profiles points (callers pass positive ones only).
    `wanted`: whether the one profile opted in, when the caller read it (None: look it up)."""
    if entry_kind not in EARNING_KINDS or not profile_ids or wanted is False:
        return
    ids = list(dict.fromkeys(profile_ids))

    # A function, not a partial: a robust on_commit names what failed by its __qualname__.
    def queue() -> None:
        _queue_digests(practice_id, ids, checked=bool(wanted))

    transaction.on_commit(queue, robust=True)


def order_cancelled(practice_id: int, profile_id: int, order_id: int) -> None:
    _after_commit(
        kinds.ORDER_CANCELLED, practice_id, profile_id, f"{order_id}", {"order": order_id}
    )


def prize_ready(practice_id: int, profile_id: int, order_id: int) -> None:
    _after_commit(kinds.PRIZE_READY, practice_id, profile_id, f"{order_id}", {"order": order_id})


def birthday_paid(practice_id: int, profile_id: int, entry_id: int | None) -> None:
    if entry_id is None:
        return
    _after_commit(kinds.BIRTHDAY, practice_id, profile_id, f"{entry_id}", {"entry": entry_id})


def referral_bonus_paid(practice_id: int, profile_id: int, entry_id: int) -> None:
    _after_commit(
        kinds.REFERRAL_BONUS, practice_id, profile_id, f"{entry_id}", {"entry": entry_id}
    )


def _wants(practice_id: int, profile_id: int, kind: str) -> bool:
    return MailPreference.objects.filter(
        practice_id=practice_id, profile_id=profile_id, **{kind: True}
    ).exists()


def _after_commit(
    kind: str, practice_id: int, profile_id: int, identity: str, payload: dict[str, int]
) -> None:
    def queue() -> None:
        if _wants(practice_id, profile_id, kind):
            job_kind = kinds.KINDS[kind].job_kind
            enqueue(
                practice_id=practice_id,
                kind=job_kind,
                key=f"{job_kind}:{identity}",
                payload={"profile": profile_id, **payload},
            )

    transaction.on_commit(queue, robust=True)


def _wanting(practice_id: int, profile_ids: list[int]) -> QuerySet[MailPreference, tuple[int]]:
    return MailPreference.objects.filter(
        practice_id=practice_id, profile_id__in=profile_ids, points_earned=True
    ).values_list("profile_id")


# After every award's commit: one profile's read compiled once (rewardshub.for_ids).
_WANTING = ForIds(_wanting, int)


def _queue_digests(practice_id: int, profile_ids: list[int], *, checked: bool) -> None:
    wanting: list[int] = list(profile_ids) if checked else []
    for start in range(0, 0 if checked else len(profile_ids), CHUNK):
        chunk = profile_ids[start : start + CHUNK]
        wanting += [row[0] for row in _WANTING.rows(practice_id, ids=chunk)]
    if not wanting:
        return
    practice = Practice.objects.get(pk=practice_id)
    day = timezone.now().astimezone(practice_zone(practice)).date()
    for profile_id in wanting:
        queue_digest(practice_id, profile_id, day)


def queue_digest(practice_id: int, profile_id: int, day: dt.date) -> Job | None:
    """The day's points mail for the profile, unless one is already waiting to go."""
    job_kind = kinds.KINDS[kinds.POINTS_EARNED].job_kind
    prefix = f"{job_kind}:{profile_id}:{day.isoformat()}:"
    waiting = Job.objects.filter(
        practice_id=practice_id, status=JobStatus.QUEUED, key__startswith=prefix
    ).exists()
    if waiting:
        return None
    job, _ = enqueue(
        practice_id=practice_id,
        kind=job_kind,
        # One day may have several mails (awards after the first went): each its own key.
        key=prefix + secrets.token_hex(4),
        payload={"profile": profile_id, "day": day.isoformat()},
        delay=dt.timedelta(seconds=settings.MAIL_DIGEST_SECONDS),
    )
    return job
