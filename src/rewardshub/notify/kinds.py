"""The kinds of mail the hub sends a patient (no Django here).

Opt-in kinds go only to a patient who asked for them (portal > Email), each
carries an unsubscribe link and a List-Unsubscribe header. Transactional
kinds answer something the patient did (asked for a password reset, gave an
email address to verify): they are never opted out of and carry no
unsubscribe link.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    Kind(POINTS_EARNED, "Points earned", "When I earn points (one mail a visit, with every award)"),
    Kind(PRIZE_READY, "Prize ready for pickup", "When a prize I ordered is ready to pick up"),
    Kind(ORDER_CANCELLED, "Order cancelled", "When an order of mine is cancelled, and why"),
    Kind(BIRTHDAY, "Birthday greeting", "A birthday greeting with my birthday points"),
    Kind(REFERRAL_BONUS, "Referral bonus paid", "When a friend I referred earns me a bonus"),
)
TRANSACTIONAL: tuple[Kind, ...] = (
    Kind(PASSWORD_RESET, "Password reset", transactional=True),
    Kind(EMAIL_VERIFICATION, "Email verification", transactional=True),
)
KINDS: dict[str, Kind] = {kind.value: kind for kind in OPT_IN + TRANSACTIONAL}
OPT_IN_VALUES: tuple[str, ...] = tuple(kind.value for kind in OPT_IN)


def kind_named(value: str) -> Kind | None:
    return KINDS.get(value)
