"""Made-up values for the staff preview of each mail: no patient's data is read."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from rewardshub.notify import kinds
from rewardshub.notify.compose import site_url
from rewardshub.notify.digest import Line

SAMPLE_NAME = "Alex"
SAMPLE_UNSUBSCRIBE = "/mail/unsubscribe/sample-link/"


def sample_context(kind: str) -> dict[str, Any]:
    today = timezone.localdate()
    common: dict[str, Any] = {"first_name": SAMPLE_NAME, "balance": 140}
    if kind == kinds.POINTS_EARNED:
        lines = [
            Line(0, 5, "On time"),
            Line(0, 10, "Wearing elastics"),
            Line(0, 5, f"Appointment kept: Adjustment on {today:%b} {today.day}, {today.year}"),
        ]
        return {**common, "lines": lines, "total": 20, "day": today}
    if kind == kinds.PRIZE_READY:
        return {
            **common,
            "prize": "Glow-in-the-dark yo-yo",
            "order_number": "3F2A9C1B",
            "location": "Main office",
            "orders_url": site_url(reverse("portal:orders")),
        }
    if kind == kinds.ORDER_CANCELLED:
        return {
            **common,
            "prize": "Glow-in-the-dark yo-yo",
            "order_number": "3F2A9C1B",
            "reason": "This prize is out of stock; please pick another one.",
            "points": 60,
            "store_url": site_url(reverse("portal:store")),
        }
    if kind == kinds.BIRTHDAY:
        return {**common, "points": 10, "store_url": site_url(reverse("portal:store"))}
    if kind == kinds.REFERRAL_BONUS:
        return {**common, "points": 50, "refer_url": site_url(reverse("portal_referrals:refer"))}
    if kind == kinds.PASSWORD_RESET:
        link = site_url(reverse("portal:reset_confirm", kwargs={"token": "sample-link"}))
        return {**common, "link": link, "minutes": 60}
    if kind == kinds.EMAIL_VERIFICATION:
        return {**common, "link": site_url("/portal/email/verify/sample-link/"), "hours": 24}
    raise KeyError(kind)
