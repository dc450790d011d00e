"""Reading leads, always inside one practice: another practice's lead is a 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, Q, QuerySet, Sum
from django.db.models.expressions import BaseExpression
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from rewardshub.leads.models import BonusState, Lead, LeadMatch, LeadStatus, MatchState
from rewardshub.patients.models import Profile
from rewardshub.patients.pms_hooks import Include
from rewardshub.practices.models import Practice

PAGE_SIZE = 200
# How long the window keeps showing a decided match.
RECENT = dt.timedelta(hours=1)


def open_leads(practice: Practice) -> QuerySet[Lead]:
    """Leads a sync may match: not lost, not erased, not converted."""
    return Lead.objects.filter(
        practice=practice, erased_at__isnull=True, converted_profile__isnull=True
    ).exclude(status=LeadStatus.LOST)


def open_leads_exist(practice: Practice) -> BaseExpression:
    return Exists(open_leads(practice))


def get_lead(practice: Practice, public_id: Any) -> Lead:
    return get_object_or_404(
        Lead.objects.select_related(
            "referred_by", "converted_profile", "bonus_entry", "bonus_pending"
        ),
        practice=practice,
        public_id=public_id,
    )


def get_match(practice: Practice, public_id: Any) -> LeadMatch:
    return get_object_or_404(
        LeadMatch.objects.select_related("lead", "profile"), practice=practice, public_id=public_id
    )


@dataclass(frozen=True)
class StatusCount:
    value: str
    label: str
    count: int


def status_counts(practice: Practice) -> list[StatusCount]:
    """How many leads are in each status (erased ones count, as lost)."""
    counts = dict(
        Lead.objects.filter(practice=practice)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [
        StatusCount(value, str(label), counts.get(value, 0)) for value, label in LeadStatus.choices
    ]


def lead_list(practice: Practice, status: str | None) -> list[Lead]:
    leads = Lead.objects.filter(practice=practice).select_related(
        "referred_by", "converted_profile"
    )
    if status:
        leads = leads.filter(status=status)
    return list(leads[:PAGE_SIZE])


def proposed_matches(practice: Practice, profile: Profile | None = None) -> list[LeadMatch]:
    """Matches waiting for staff, newest first (of one patient, or all)."""
    matches = LeadMatch.objects.filter(practice=practice, state=MatchState.PROPOSED).select_related(
        "lead", "lead__referred_by", "profile"
    )
    if profile is not None:
        matches = matches.filter(profile=profile)
    return list(matches[:50])


def window_matches(practice: Practice, profile: Profile) -> list[LeadMatch]:
    """The patient's matches for the window set card opens: waiting ones, and
    those decided in the last hour (the page shows what was decided)."""
    return list(
        LeadMatch.objects.filter(practice=practice, profile=profile)
        .filter(Q(state=MatchState.PROPOSED) | Q(decided_at__gte=timezone.now() - RECENT))
        .select_related("lead", "lead__referred_by", "profile")[:10]
    )


def window_url(profile: Profile) -> str:
    return reverse("leads:window", args=[profile.public_id])


def match_panel(practice: Practice, profile: Profile) -> Include | None:
    """The part of the link confirmation window that points to waiting matches."""
    matches = proposed_matches(practice, profile)
    if not matches:
        return None
    return Include("leads/_match_panel.html", {"matches": matches, "profile": profile})


@dataclass(frozen=True)
class Referrer:
    profile: Profile
    referred: int
    converted: int
    bonuses: int
    points: int


def referrers(practice: Practice, limit: int | None = 50, **period: Any) -> list[Referrer]:
    """Patients who referred leads, most bonuses paid first (the leaderboard).
    `period`: created_at bounds of the leads counted (created_at__gte, __lt)."""
    rows = (
        Lead.objects.filter(practice=practice, referred_by__isnull=False, **period)
        .order_by()
        .values("referred_by")
        .annotate(
            referred=Count("id"),
            converted=Count("id", filter=Q(converted_profile__isnull=False)),
            bonuses=Count("bonus_entry"),
            points=Sum("bonus_entry__points", default=0),
        )
        .order_by("-points", "-bonuses", "-referred", "referred_by")
    )
    if limit is not None:
        rows = rows[:limit]
    found = list(rows)
    profiles = Profile.objects.in_bulk([row["referred_by"] for row in found])
    return [
        Referrer(
            profiles[row["referred_by"]],
            row["referred"],
            row["converted"],
            row["bonuses"],
            row["points"],
        )
        for row in found
    ]


@dataclass(frozen=True)
class MyReferral:
    """What the referrer sees: the friend as they typed them, and the bonus as
    pending, paid or none (BonusState), never the friend's stage."""

    name: str
    created_at: Any
    state: str
    points: int

    @property
    def state_label(self) -> str:
        # The label in the patient's language (leads.models marks the words).
        return gettext(BonusState(self.state).label)


def _bonus_points(lead: Lead) -> int:
    if lead.bonus_entry is not None:
        return lead.bonus_entry.points
    return lead.bonus_pending.points if lead.bonus_pending is not None else 0


def my_referrals(profile: Profile) -> list[MyReferral]:
    leads = (
        Lead.objects.filter(practice_id=profile.practice_id, referred_by=profile)
        .select_related("bonus_entry", "bonus_pending")
        .order_by("-created_at", "-id")[:50]
    )
    return [
        MyReferral(
            name=(
                f"{lead.first_name} {lead.last_name[:1]}."
                if lead.erased_at is None
                else gettext("A friend")
            ),
            created_at=lead.created_at,
            state=lead.bonus_state,
            points=_bonus_points(lead) if lead.bonus_state == BonusState.PAID else 0,
        )
        for lead in leads
    ]
