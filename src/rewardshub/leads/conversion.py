"""A lead becomes a patient: a PMS sync proposes the match and staff confirm
it, or staff pick the patient themselves on the lead's page (`convert_lead`).

`propose_matches` runs inside a sync's transaction (integrations/lead_hooks.py:
set card, update, batch, a confirmed link): it compares the synced profiles
with the practice's open leads (matching.py) and records each new pair as a
proposed LeadMatch. Nothing else changes until staff decide.

Confirming converts the lead into that patient: no new profile is made; the
lead keeps its row and points to the patient (`converted_profile`), and its
status becomes Started treatment (a chart the PMS sets a rewards card on is a
patient in treatment; a lead already past that keeps its status). That may
pay the referrer's bonus (bonus.py). A patient is the conversion of one lead
at most, and a lead converts once. Both ways in share one conversion
(`_convert`), so the status, the audit and the referral bonus follow the same
rules. Dismissing says they are not the same person: the pair is never
proposed again.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from rewardshub.audit.actions import build_event, record_event, record_events
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.leads.actions import erased_error, lead_detail, lock_lead
from rewardshub.leads.bonus import pay_referral_bonus
from rewardshub.leads.matching import Person, match_basis
from rewardshub.leads.models import Lead, LeadMatch, LeadStatus, MatchState
from rewardshub.leads.queries import open_leads
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

# The audit's basis of a conversion staff made by hand (not a sync's match).
MANUAL = "manual"


def propose_matches(
    practice: Practice, profile_ids: Collection[uuid.UUID], actor: Actor
) -> set[uuid.UUID]:
    """Record a proposed match for each open lead a synced profile may be; the
    public ids of the profiles a proposal waits for (new or from before)."""
    leads = list(
        open_leads(practice).only(
            "pk", "first_name", "last_name", "birth_date", "email", "referred_by_id"
        )
    )
    if not leads or not profile_ids:
        return set()
    profiles = list(
        Profile.objects.filter(practice=practice, public_id__in=list(profile_ids)).only(
            "pk", "public_id", "first_name", "last_name", "preferred_name", "birth_date", "email"
        )
    )
    converted = set(
        Lead.objects.filter(practice=practice, converted_profile__in=profiles).values_list(
            "converted_profile_id", flat=True
        )
    )
    known = dict(
        ((lead_id, profile_id), state)
        for lead_id, profile_id, state in LeadMatch.objects.filter(
            practice=practice, profile__in=profiles
        ).values_list("lead_id", "profile_id", "state")
    )
    new: list[LeadMatch] = []
    waiting: set[uuid.UUID] = set()
    for profile in profiles:
        if profile.pk in converted:
            continue
        patient = Person(
            profile.first_name,
            profile.last_name,
            profile.preferred_name,
            profile.birth_date,
            profile.email,
        )
        for lead in leads:
            if lead.referred_by_id == profile.pk:
                continue  # the patient who referred them is not the friend
            person = Person(lead.first_name, lead.last_name, "", lead.birth_date, lead.email)
            basis = match_basis(person, patient)
            if basis is None:
                continue
            state = known.get((lead.pk, profile.pk))
            if state is None:
                new.append(LeadMatch(practice=practice, lead=lead, profile=profile, basis=basis))
            elif state != MatchState.PROPOSED:
                continue  # decided before: never proposed again
            waiting.add(profile.public_id)
    if new:
        LeadMatch.objects.bulk_create(new, ignore_conflicts=True)
        record_events(
            [
                build_event(
                    practice=practice,
                    actor=actor,
                    action="lead.match",
                    profile=match.profile,
                    detail=lead_detail(match.lead, basis=match.basis),
                )
                for match in new
            ]
        )
    return waiting


def _locked_match(practice: Practice, match: LeadMatch) -> LeadMatch:
    locked = (
        LeadMatch.objects.select_for_update(of=("self",))
        .select_related("lead", "profile")
        .get(pk=match.pk, practice=practice)
    )
    if locked.state != MatchState.PROPOSED:
        done = "confirmed" if locked.state == MatchState.CONFIRMED else "dismissed"
        raise ActionError(
            "match_decided",
            f"This match was already {done} ({locked.decided_by}). Nothing more to do here.",
            status=409,
        )
    return locked


def _decide(match: LeadMatch, state: str, actor: Actor) -> None:
    match.state = state
    match.decided_at = timezone.now()
    match.decided_by = actor.label[:200]
    match.save(update_fields=["state", "decided_at", "decided_by"])


def _patient_converted_error(profile: Profile) -> ActionError:
    return ActionError(
        "patient_converted",
        f"Hub patient {profile.username} was already converted from another lead. "
        "Nothing was changed.",
        status=409,
    )


def _convert(practice: Practice, lead: Lead, profile: Profile, actor: Actor, *, basis: str) -> None:
    """Convert the locked, open lead into `profile`: the one conversion of both
    ways in (a confirmed match, staff's own pick). Moves the status, dismisses
    the waiting proposals it makes moot, audits, and pays (or holds) the
    referrer's bonus when the stage is reached. Raises ActionError and changes
    nothing when the patient is already another lead's conversion."""
    if Lead.objects.filter(practice=practice, converted_profile=profile).exists():
        raise _patient_converted_error(profile)
    before = lead.status
    if before != LeadStatus.STARTED_TREATMENT:
        lead.status = LeadStatus.STARTED_TREATMENT
    lead.converted_profile = profile
    lead.converted_at = timezone.now()
    changed = ["status", "converted_profile", "converted_at", "updated_at"]
    try:
        with transaction.atomic():
            lead.save(update_fields=changed)
    except IntegrityError:  # a concurrent conversion of the same patient won
        raise _patient_converted_error(profile) from None
    # The lead's other proposals, and other leads' proposals for this patient, are moot.
    LeadMatch.objects.filter(
        Q(lead=lead) | Q(profile=profile), practice=practice, state=MatchState.PROPOSED
    ).update(state=MatchState.DISMISSED, decided_at=lead.converted_at, decided_by=actor.label[:200])
    record_event(
        practice=practice,
        actor=actor,
        action="lead.convert",
        profile=profile,
        detail=lead_detail(lead, basis=basis, **{"from": before, "to": lead.status}),
    )
    pay_referral_bonus(practice=practice, lead=lead)


def confirm_match(*, practice: Practice, match: LeadMatch, actor: Actor) -> Lead:
    """Staff say the patient is the lead: convert the lead into that patient."""
    with transaction.atomic():
        # The lead first, then its match: every conversion locks in that order.
        lead = lock_lead(practice, match.lead)
        match = _locked_match(practice, match)
        if lead.converted_profile_id is not None:
            raise ActionError(
                "lead_converted",
                "This lead was already converted into another hub patient. Nothing was changed.",
                status=409,
            )
        if not lead.is_open:
            raise ActionError(
                "lead_closed",
                "This lead is marked Lost. Set its status again in Leads if they came "
                "back, then sync the chart again.",
                status=409,
            )
        _decide(match, MatchState.CONFIRMED, actor)
        _convert(practice, lead, match.profile, actor, basis=match.basis)
    return lead


def convert_lead(*, practice: Practice, lead: Lead, profile: Profile, actor: Actor) -> Lead:
    """Staff convert a lead by hand into a patient of the practice they picked
    (who never synced as a match, or whose details differ): the same conversion
    as a confirmed match. A waiting match of this very pair is confirmed by it."""
    if profile.practice_id != practice.pk:
        raise ActionError(
            "not_found",
            "That patient is not one of this practice's. Nothing was changed.",
            status=404,
        )
    with transaction.atomic():
        lead = lock_lead(practice, lead)
        if lead.erased_at is not None:
            raise erased_error()
        if lead.converted_profile_id is not None:
            became = lead.converted_profile
            assert became is not None
            raise ActionError(
                "lead_converted",
                f"This lead was already converted into hub patient {became.username} "
                f"({became.full_name}). Nothing was changed.",
                status=409,
            )
        if lead.status == LeadStatus.LOST:
            raise ActionError(
                "lead_closed",
                "This lead is marked Lost. If they came back, set its status first, "
                "then convert it. Nothing was changed.",
                status=409,
            )
        profile = Profile.objects.get(pk=profile.pk, practice=practice)
        if profile.merged_into_id is not None:
            raise ActionError(
                "profile_merged",
                f"The profile with username {profile.username} was merged into another "
                "profile of the same patient. Search again and pick that one. "
                "Nothing was changed.",
                status=409,
            )
        if profile.pk == lead.referred_by_id:
            raise ActionError(
                "own_referrer",
                "This patient referred the lead: a lead becomes the friend's own profile, "
                "not the referrer's. Nothing was changed.",
                status=409,
            )
        same = (
            LeadMatch.objects.select_for_update(of=("self",))
            .filter(practice=practice, lead=lead, profile=profile, state=MatchState.PROPOSED)
            .first()
        )
        if same is not None:
            _decide(same, MatchState.CONFIRMED, actor)
        _convert(practice, lead, profile, actor, basis=MANUAL)
    return lead


def dismiss_match(*, practice: Practice, match: LeadMatch, actor: Actor) -> LeadMatch:
    """Staff say the patient is not the lead: nothing changes, never proposed again."""
    with transaction.atomic():
        match = _locked_match(practice, match)
        _decide(match, MatchState.DISMISSED, actor)
        record_event(
            practice=practice,
            actor=actor,
            action="lead.match_dismiss",
            profile=match.profile,
            detail=lead_detail(match.lead),
        )
    return match
