"""The kinds of mail the hub sends a patient.

Opt-in kinds go only to a patient who asked for them (portal > Email), each
carries an unsubscribe link and a List-Unsubscribe header. Transactional
kinds answer something the patient did (asked for a password reset, gave an
email address to verify): they are never opted out of and carry no
unsubscribe link.

The words are marked for translation only (gettext_noop): staff read them in
English, and the portal and mail translate them where they show them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop

POINTS_EARNED = "points_earned"
PRIZE_READY = "prize_ready"
ORDER_CANCELLED = "order_cancelled"
BIRTHDAY = "birthday"
REFERRAL_BONUS = "referral_bonus"
PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of mail, not a password)
EMAIL_VERIFICATION = "email_verification"


@dataclass(frozen=True)
class Kind:
    value: str
    # What staff and the jobs page call it.
    label: str
    # What the portal's checkbox says (opt-in kinds).
    choice: str = ""
    transactional: bool = False

    @property
    def job_kind(self) -> str:
        return f"mail.{self.value}"


OPT_IN: tuple[Kind, ...] = (
    Kind(
        POINTS_EARNED,
        gettext_noop("Points earned"),
        gettext_noop("When I earn points (one mail a visit, with every award)"),
    ),
    Kind(
        PRIZE_READY,
        gettext_noop("Prize ready for pickup"),
        gettext_noop("When a prize I ordered is ready to pick up"),
    ),
    Kind(
        ORDER_CANCELLED,
        gettext_noop("Order cancelled"),
        gettext_noop("When an order of mine is cancelled, and why"),
    ),
    Kind(
        BIRTHDAY,
        gettext_noop("Birthday greeting"),
        gettext_noop("A birthday greeting with my birthday points"),
    ),
    Kind(
        REFERRAL_BONUS,
        gettext_noop("Referral bonus paid"),
        gettext_noop("When a friend I referred earns me a bonus"),
    ),
)
TRANSACTIONAL: tuple[Kind, ...] = (
    Kind(PASSWORD_RESET, gettext_noop("Password reset"), transactional=True),
    Kind(EMAIL_VERIFICATION, gettext_noop("Email verification"), transactional=True),
)
KINDS: dict[str, Kind] = {kind.value: kind for kind in OPT_IN + TRANSACTIONAL}
OPT_IN_VALUES: tuple[str, ...] = tuple(kind.value for kind in OPT_IN)


def kind_named(value: str) -> Kind | None:
    return KINDS.get(value)
