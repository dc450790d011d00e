"""What the leads app adds to a PMS sync, without integrations importing it.

A chart that syncs (set card, update, batch, a confirmed link) may be a lead:
a prospective patient the practice was told about (the leads app). The leads
app registers its functions here in LeadsConfig.ready; a sync then asks
whether the practice has open leads at all (an expression read with a row the
sync reads anyway, so a practice without open leads pays no statement), and
if so lets the leads app propose matches for the profiles it synced. A match
changes nothing until staff confirm it; the window set card opens shows it.
Until registered (a hub without leads) nothing is proposed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.db.models import BooleanField, Value
from django.db.models.expressions import BaseExpression

from rewardshub.audit.actors import Actor
from rewardshub.patients.models import Profile
from rewardshub.patients.pms_hooks import Include
from rewardshub.practices.models import Practice

# The name the open-leads expression is read under.
OPEN_LEADS = "open_leads"
# The profile fields a match is made on: an update that changes none of them
# cannot make a new match.
IDENTITY_CHANGES = frozenset(
    {"first_name", "last_name", "preferred_name", "birth_date", "email"}
)


Proposer = Callable[[Practice, Collection[uuid.UUID], Actor], set[uuid.UUID]]


def _no_leads(practice: Practice) -> BaseExpression:
    return Value(False, output_field=BooleanField())


def _propose_nothing(
    practice: Practice, profile_ids: Collection[uuid.UUID], actor: Actor
) -> set[uuid.UUID]:
    return set()


def _no_window(profile: Profile) -> str:
    return ""


def _no_panel(practice: Practice, profile: Profile) -> Include | None:
    return None


@dataclass
class LeadHooks:
    # Whether the practice has a lead a sync could match (a boolean expression).
    open_leads: Callable[[Practice], BaseExpression] = _no_leads
    # (practice, public ids of profiles a sync just wrote, who synced) -> those a
    # match waits for (proposed now or before), in the caller's transaction.
    propose: Proposer = _propose_nothing
    # The address of the window that shows a profile's waiting matches.
    window_url: Callable[[Profile], str] = _no_window
    # The part of the link confirmation window that lists them; None: nothing waits.
    panel: Callable[[Practice, Profile], Include | None] = _no_panel


hooks = LeadHooks()


def register(
    *,
    open_leads: Callable[[Practice], BaseExpression],
    propose: Proposer,
    window_url: Callable[[Profile], str],
    panel: Callable[[Practice, Profile], Include | None],
) -> None:
    hooks.open_leads = open_leads
    hooks.propose = propose
    hooks.window_url = window_url
    hooks.panel = panel


def has_open_leads(practice: Practice) -> bool:
    """One statement: for writers that read no row of their own to carry the expression."""
    if hooks.open_leads is _no_leads:
        return False
    found = (
        Practice.objects.filter(pk=practice.pk)
        .annotate(**{OPEN_LEADS: hooks.open_leads(practice)})
        .values_list(OPEN_LEADS, flat=True)
        .first()
    )
    return bool(found)
