"""Reading what the merge rules need about one profile (rules.Side), and the
side-by-side view of two profiles the review page shows."""

from __future__ import annotations

from dataclasses import dataclass

from rewardshub.automations.models import Appointment
from rewardshub.cards.models import Card, CardState
from rewardshub.integrations.models import PmsLink
from rewardshub.merges.rules import Side, TagFact
from rewardshub.patients.models import Profile, ProfileTag
from rewardshub.points.models import LedgerEntry
from rewardshub.portal.models import PortalAccount


def read_side(profile: Profile) -> Side:
    cards = list(Card.objects.filter(profile=profile).order_by("id").values_list("number", "state"))
    tags = ProfileTag.objects.filter(profile=profile).select_related("tag").order_by("tag__name")
    return Side(
        active_card=next((n for n, s in cards if s == CardState.ACTIVE), None),
        other_cards=tuple(n for n, s in cards if s != CardState.ACTIVE),
        links=dict(PmsLink.objects.filter(profile=profile).values_list("system", "chart_id")),
        portal_account=PortalAccount.objects.filter(profile=profile).exists(),
        tags=tuple(TagFact(pt.tag_id, pt.tag.name, pt.exclusive_group_id) for pt in tags),
    )


@dataclass(frozen=True)
class Column:
    """One profile in the review page's side-by-side table."""

    profile: Profile
    side: Side
    appointments: int
    ledger_entries: int


def column(profile: Profile) -> Column:
    return Column(
        profile=profile,
        side=read_side(profile),
        appointments=Appointment.objects.filter(profile=profile).count(),
        ledger_entries=LedgerEntry.objects.filter(profile=profile).count(),
    )
