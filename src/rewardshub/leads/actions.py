"""Changing leads: add, edit, move along the stages, erase. One transaction
each, taking `actor=` and writing an audit event that names the lead by its
public id only (the audit trail is kept for good; a lead's details may be
erased). Conversion into a patient is in conversion.py; the portal's
referrals in referrals.py."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.leads.bonus import pay_referral_bonus
from rewardshub.leads.models import Lead, LeadMatch, LeadStatus, MatchState
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

# What staff (and the portal, in part) may set on a lead.
LEAD_FIELDS = ("first_name", "last_name", "email", "phone", "birth_date", "source", "notes")
# Blanked when a lead is erased: everything that says who they are.
PERSONAL_FIELDS = ("first_name", "last_name", "email", "phone", "birth_date", "notes")


def lead_detail(lead: Lead, **extra: Any) -> dict[str, Any]:
    return {"lead": lead.public_id.hex, **extra}


def erased_error() -> ActionError:
    return ActionError(
        "lead_erased",
        "This lead's personal details were erased on request: it stays in the counts "
        "as an anonymous lost lead and cannot be changed.",
        status=409,
    )


def lock_lead(practice: Practice, lead: Lead) -> Lead:
    """The lead re-read under its row lock (inside the caller's transaction)."""
    return (
        Lead.objects.select_for_update(of=("self",))
        .select_related("referred_by")
        .get(pk=lead.pk, practice=practice)
    )


def create_lead(
    *,
    practice: Practice,
    data: dict[str, Any],
    actor: Actor,
    referred_by: Profile | None = None,
) -> Lead:
    """A new lead (status New). `data`: LEAD_FIELDS, already validated."""
    if referred_by is not None and referred_by.practice_id != practice.pk:
        raise ActionError("not_found", "That patient does not exist.", status=404)
    values = {name: data[name] for name in LEAD_FIELDS if name in data}
    with transaction.atomic():
        lead = Lead.objects.create(practice=practice, referred_by=referred_by, **values)
        record_event(
            practice=practice,
            actor=actor,
            action="lead.create",
            profile=referred_by,
            detail=lead_detail(lead, source=lead.source, referred=referred_by is not None),
        )
    return lead


def update_lead(*, practice: Practice, lead: Lead, data: dict[str, Any], actor: Actor) -> list[str]:
    """Apply the LEAD_FIELDS of `data` that differ; the names of those that changed."""
    with transaction.atomic():
        lead = lock_lead(practice, lead)
        if lead.erased_at is not None:
            raise erased_error()
        changed = [
            name for name in LEAD_FIELDS if name in data and getattr(lead, name) != data[name]
        ]
        if not changed:
            return []
        for name in changed:
            setattr(lead, name, data[name])
        lead.save(update_fields=[*changed, "updated_at"])
        record_event(
            practice=practice,
            actor=actor,
            action="lead.update",
            detail=lead_detail(lead, fields=changed),
        )
    return changed


def set_status(*, practice: Practice, lead: Lead, status: str, actor: Actor) -> Lead:
    """Move the lead to `status`; pays the referral bonus when it reaches the
    practice's stage (bonus.py). Setting the status it has changes nothing."""
    if status not in LeadStatus.values:
        raise ActionError("unknown_status", "Pick one of the statuses listed.")
    with transaction.atomic():
        lead = lock_lead(practice, lead)
        if lead.erased_at is not None:
            raise erased_error()
        if lead.status != status:
            before = lead.status
            lead.status = status
            lead.save(update_fields=["status", "updated_at"])
            record_event(
                practice=practice,
                actor=actor,
                action="lead.status",
                profile=lead.converted_profile,
                detail=lead_detail(lead, **{"from": before, "to": status}),
            )
        pay_referral_bonus(practice=practice, lead=lead)
    return lead


def erase_lead(*, practice: Practice, lead: Lead, actor: Actor) -> Lead:
    """Erase a lost lead's personal details on request: names, contact, birth
    date and notes blanked; the row stays (source, status, referrer, dates)
    for the counts. Its waiting matches are dismissed."""
    with transaction.atomic():
        lead = lock_lead(practice, lead)
        if lead.erased_at is not None:
            raise ActionError(
                "lead_erased", "This lead's personal details were already erased.", status=409
            )
        if lead.status != LeadStatus.LOST:
            raise ActionError(
                "lead_not_lost",
                "Only a lost lead can be erased. Set its status to Lost first, then erase it.",
                status=409,
            )
        now = timezone.now()
        for name in PERSONAL_FIELDS:
            setattr(lead, name, None if name == "birth_date" else "")
        lead.erased_at = now
        lead.save(update_fields=[*PERSONAL_FIELDS, "erased_at", "updated_at"])
        LeadMatch.objects.filter(lead=lead, state=MatchState.PROPOSED).update(
            state=MatchState.DISMISSED, decided_at=now, decided_by=actor.label[:200]
        )
        record_event(practice=practice, actor=actor, action="lead.erase", detail=lead_detail(lead))
    return lead
