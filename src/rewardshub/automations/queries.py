"""What staff and patients read about a profile's appointments: the next visit,
the last few with the points each earned, and what a take-back could not take.

Every query is scoped to the profile's practice. The staff panel is shown on
the profile page and in the PMS chart tab through `patients.pms_hooks` (the
patients app may not import this one), in one query when the PMS sent none and
two otherwise, whatever the number of appointments: the shown appointments,
and their rules' awards.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.functions import Now
from django.utils import timezone

from rewardshub.automations.ledger import describe
from rewardshub.automations.models import (
    DEDUCTIONS,
    Appointment,
    AppointmentStatus,
    AutoAward,
    AutoRule,
)
from rewardshub.patients.models import Profile
from rewardshub.patients.pms_hooks import Include
from rewardshub.statement import Statement
from rewardshub.wording import count_of

# How many past appointments the panel lists.
RECENT = 5
PANEL_TEMPLATE = "automations/_appointments.html"

# A visit that will not happen is not the next visit.
_NOT_COMING = (AppointmentStatus.CANCELLED, AppointmentStatus.MISSED)


def _appointments(profile: Profile) -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        practice_id=profile.practice_id, profile=profile, deleted_at__isnull=True
    )


def next_visit(profile: Profile, now: dt.datetime | None = None) -> Appointment | None:
    """The profile's first appointment still to start, neither cancelled nor deleted."""
    return (
        _appointments(profile)
        .filter(starts_at__gt=now or timezone.now())
        .exclude(status__in=_NOT_COMING)
        .order_by("starts_at", "id")
        .first()
    )


def recent_visits(profile: Profile, now: dt.datetime | None = None) -> list[Appointment]:
    """The last few appointments that have started, newest first (cancelled and missed too)."""
    found = _appointments(profile).filter(starts_at__lte=now or timezone.now())
    return list(found.order_by("-starts_at", "-id")[:RECENT])


@dataclass(frozen=True)
class Earned:
    """What one rule moved for one appointment: "Appointment kept", +5."""

    label: str
    points: int


@dataclass
class Visit:
    """An appointment as the panel shows it."""

    starts_at: dt.datetime
    what: str  # the type's label: "Adjustment"
    status: str  # "Completed"
    status_code: str
    earned: list[Earned] = field(default_factory=list)

    @property
    def points(self) -> int:
        """What the appointment's ledger entries moved, in all."""
        return sum(item.points for item in self.earned)


@dataclass
class Panel:
    next: Visit | None
    recent: list[Visit]
    # "Could not take back 4 points (...)": take-backs and deductions the balance could not pay.
    not_taken: list[str]


def _visit(appointment: Appointment) -> Visit:
    return Visit(
        starts_at=appointment.starts_at,
        what=appointment.type_label or appointment.type_code or "Appointment",
        status=appointment.get_status_display(),
        status_code=appointment.status,
    )


def _why(appointment: Appointment) -> str:
    if appointment.deleted_at is not None:
        return "was deleted in the PMS"
    if appointment.status == AppointmentStatus.CANCELLED:
        return "was cancelled"
    if appointment.status == AppointmentStatus.MISSED:
        return "was missed"
    return "changed"


def not_taken_line(rule: AutoRule, appointment: Appointment, points: int) -> str:
    """What a take-back (or a deduction) could not take, said plainly."""
    what = describe(rule, appointment, rule.practice)
    if rule.trigger in DEDUCTIONS:
        return (
            f"Could not deduct {count_of(points, 'point')} ({what}): "
            "the patient did not have enough points."
        )
    return (
        f"Could not take back {count_of(points, 'point')} ({what} {_why(appointment)}): "
        "the patient had already spent them."
    )


# Where a row of _SHOWN goes on the panel.
_NEXT, _RECENT, _OWED = 1, 2, 3


def _shown(practice_id: int, profile_id: int) -> QuerySet[Appointment]:
    """The panel's appointments in one query: the next visit, the last few, and
    any whose take-back or deduction is still owed (by practice only: a chart
    linked to another profile since keeps its history here), each with its place."""
    mine = Appointment.objects.filter(
        practice_id=practice_id, profile_id=profile_id, deleted_at__isnull=True
    )
    upcoming = (
        mine.filter(starts_at__gt=Now())
        .exclude(status__in=_NOT_COMING)
        .order_by("starts_at", "id")
        .values("pk")[:1]
    )
    recent = mine.filter(starts_at__lte=Now()).order_by("-starts_at", "-id").values("pk")[:RECENT]
    owed = (
        AutoAward.objects.filter(
            practice_id=practice_id, profile_id=profile_id, appointment__isnull=False
        )
        .exclude(uncollected=0)
        .values("appointment_id")
    )
    return (
        Appointment.objects.filter(practice_id=practice_id)
        .filter(Q(pk__in=upcoming) | Q(pk__in=recent) | Q(pk__in=owed))
        .annotate(
            place=Case(
                When(pk__in=upcoming, then=Value(_NEXT)),
                When(pk__in=recent, then=Value(_RECENT)),
                default=Value(_OWED),
            )
        )
        .order_by("-starts_at", "-id")
    )


# On every profile page and chart tab: compiled once, since the ORM's compile of
# these subqueries costs about 1.5 ms a page and the query, on an index,
# microseconds (BENCHMARKS.md, "The profile page's own queries").
_SHOWN = Statement(_shown, int, int, kind="models")


def panel(profile: Profile) -> Panel | None:
    """The appointments panel of a profile; None when the PMS sent it no appointment.

    One query when there is none; with some, a second for their rules' awards."""
    found = _SHOWN.rows(profile.practice_id, profile.pk)
    if not found:
        return None
    shown = {a.pk: a for a in found}
    upcoming = next((a for a in found if a.place == _NEXT), None)
    recent = [a for a in found if a.place == _RECENT]
    awards = (
        AutoAward.objects.filter(
            practice_id=profile.practice_id, profile=profile, appointment__isnull=False
        )
        .filter(Q(appointment_id__in=list(shown)) | ~Q(uncollected=0))
        .select_related("rule__practice")
        .order_by("id")
    )
    moved: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    owed: dict[tuple[int, int], int] = defaultdict(int)
    rules: dict[int, AutoRule] = {}
    for award in awards:
        assert award.appointment_id is not None
        rules[award.rule_id] = award.rule
        moved[award.appointment_id][award.rule_id] += award.points
        owed[(award.appointment_id, award.rule_id)] += award.uncollected
    owing = sorted(pair for pair, points in owed.items() if points > 0)
    if upcoming is None and not recent and not owing:
        return None
    visits: dict[int, Visit] = {}
    for pk, appointment in shown.items():
        visit = _visit(appointment)
        visit.earned = [
            Earned(rules[rule_pk].get_trigger_display(), points)
            for rule_pk, points in sorted(moved[pk].items())
            if points
        ]
        visits[pk] = visit
    lines = [
        not_taken_line(rules[rule_pk], shown[pk], owed[(pk, rule_pk)])
        for pk, rule_pk in sorted(owing, key=lambda p: (shown[p[0]].starts_at, p), reverse=True)
        if pk in shown
    ]
    return Panel(
        next=visits[upcoming.pk] if upcoming else None,
        recent=[visits[a.pk] for a in recent],
        not_taken=lines,
    )


def appointments_panel(profile: Profile) -> Include | None:
    """The `patients.pms_hooks` appointments hook: the panel and its template."""
    found = panel(profile)
    return Include(PANEL_TEMPLATE, found) if found is not None else None
