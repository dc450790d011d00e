"""The jobs that send patient mail, one handler per kind (registered in NotifyConfig.ready).

Every handler ends in `deliver`, which holds the rules each mail follows:
- sent once: a SentMail row with the job's key means it went out already;
- only to a patient who still wants it (they may have unsubscribed since the
  job was queued) and who has an address: the portal account's email, else
  the one the PMS sent;
- the SMTP conversation outside any transaction; an error fails the try and
  the job is retried later (jobs.runner), with nothing recorded as sent;
- once sent, the marker, the ledger entries told of and the audit row commit
  with the job's "done" (jobs.runner.finishing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.jobs.models import Job
from rewardshub.jobs.runner import finishing
from rewardshub.notify import kinds
from rewardshub.notify.compose import build_message, site_url
from rewardshub.notify.digest import untold_awards
from rewardshub.notify.models import MailPreference, NotifiedEntry, SentMail
from rewardshub.notify.tokens import make_token
from rewardshub.patients.models import Profile, ProfileStatus
from rewardshub.points.models import LedgerEntry, OrderStatus, PrizeOrder
from rewardshub.portal.models import PortalAccount
from rewardshub.practices.reads import practice_zone

MAILER = Actor.system("Patient mail")


def recipient(profile: Profile) -> str:
    account = PortalAccount.objects.filter(profile=profile).only("email").first()
    return (account.email if account is not None and account.email else "") or profile.email


def first_name(profile: Profile) -> str:
    return profile.preferred_name or profile.first_name


def order_number(order: PrizeOrder) -> str:
    """As the receipt prints it."""
    return order.public_id.hex[:8].upper()


def deliver(
    job: Job, kind: str, profile: Profile, context: dict[str, Any], entries: list[int] | None = None
) -> str:
    practice = job.practice
    if SentMail.objects.filter(practice=practice, key=job.key).exists():
        return "already sent"
    if profile.status != ProfileStatus.ACTIVE:
        return "not sent: the profile was merged into another"
    preference = MailPreference.objects.filter(practice=practice, profile=profile).first()
    if preference is None or not preference.wants(kind):
        return "not sent: the patient does not want this mail"
    to = recipient(profile)
    if not to:
        return "not sent: no email address"
    unsubscribe = site_url(
        reverse("notify_public:unsubscribe", kwargs={"token": make_token(preference, kind)})
    )
    message = build_message(
        kind,
        practice,
        to,
        {"first_name": first_name(profile), **context},
        unsubscribe_url=unsubscribe,
        language=profile.language or settings.LANGUAGE_CODE,
    )
    message.send()
    with finishing(job, "sent"):
        mail = SentMail.objects.create(practice=practice, profile=profile, kind=kind, key=job.key)
        NotifiedEntry.objects.bulk_create(
            [NotifiedEntry(practice=practice, mail=mail, entry_id=pk) for pk in entries or ()]
        )
        record_event(
            practice=practice,
            actor=MAILER,
            action="mail.sent",
            profile=profile,
            detail={"kind": kind, **({"entries": len(entries)} if entries else {})},
        )
    return "sent"


def _profile(job: Job) -> Profile:
    return Profile.objects.get(pk=job.payload["profile"], practice=job.practice)


def points_earned(job: Job) -> str:
    profile = _profile(job)
    day = dt.date.fromisoformat(job.payload["day"])
    lines = untold_awards(job.practice, profile, day, practice_zone(job.practice))
    if not lines:
        return "not sent: nothing new to tell"
    context = {
        "lines": lines,
        "total": sum(line.points for line in lines),
        "balance": profile.points_balance,
        "day": day,
    }
    return deliver(job, kinds.POINTS_EARNED, profile, context, [line.entry_id for line in lines])


def _order(job: Job) -> PrizeOrder:
    return PrizeOrder.objects.select_related("profile", "prize", "cancel_entry").get(
        pk=job.payload["order"], practice=job.practice
    )


def prize_ready(job: Job) -> str:
    order = _order(job)
    if order.status != OrderStatus.TODO:
        return f"not sent: the order is {order.get_status_display().lower()}"
    profile = order.profile
    location = profile.location.name if profile.location_id and profile.location else ""
    context = {
        "prize": order.prize.name,
        "order_number": order_number(order),
        "location": location,
        "orders_url": site_url(reverse("portal:orders")),
    }
    return deliver(job, kinds.PRIZE_READY, profile, context)


def cancel_reason(order: PrizeOrder) -> str:
    """What staff typed when cancelling; "" when they gave none (points.orders.cancel_order)."""
    entry = order.cancel_entry
    if entry is None or entry.description == f"Order of {order.prize.name} cancelled":
        return ""
    return entry.description


def order_cancelled(job: Job) -> str:
    order = _order(job)
    context = {
        "prize": order.prize.name,
        "order_number": order_number(order),
        "reason": cancel_reason(order),
        "points": order.cost,
        "balance": order.profile.points_balance,
        "store_url": site_url(reverse("portal:store")),
    }
    return deliver(job, kinds.ORDER_CANCELLED, order.profile, context)


def _paid(job: Job) -> tuple[Profile, LedgerEntry]:
    entry = LedgerEntry.objects.select_related("profile").get(
        pk=job.payload["entry"], practice=job.practice
    )
    return entry.profile, entry


def birthday(job: Job) -> str:
    profile, entry = _paid(job)
    context = {
        "points": entry.points,
        "balance": profile.points_balance,
        "store_url": site_url(reverse("portal:store")),
    }
    return deliver(job, kinds.BIRTHDAY, profile, context, [entry.pk])


def referral_bonus(job: Job) -> str:
    profile, entry = _paid(job)
    context = {
        "points": entry.points,
        "balance": profile.points_balance,
        "refer_url": site_url(reverse("portal_referrals:refer")),
    }
    return deliver(job, kinds.REFERRAL_BONUS, profile, context, [entry.pk])


HANDLERS = {
    kinds.POINTS_EARNED: points_earned,
    kinds.PRIZE_READY: prize_ready,
    kinds.ORDER_CANCELLED: order_cancelled,
    kinds.BIRTHDAY: birthday,
    kinds.REFERRAL_BONUS: referral_bonus,
}
