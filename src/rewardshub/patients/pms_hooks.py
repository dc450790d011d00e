"""What the PMS integration adds to the staff profile pages, without patients importing it.

The integrations app registers its functions here in IntegrationsConfig.ready:
which tags its tag mapping sets (a column of the tag board's one query), the
profile's chart links, and the fields a PMS overwrites at its next update.
The automations app registers the appointments panel (the PMS's appointments
and the points each earned) in AutomationsConfig.ready. Until then (and in a
hub without them) a profile has none of these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Value
from django.db.models.expressions import Expression

from rewardshub.patients.models import Profile


def _never_set_by_pms(profile: Profile) -> Expression:
    return Value(False, output_field=BooleanField())


def _no_chart_links(profile: Profile) -> list[Any]:
    return []


def _no_overwrites(profile: Profile) -> tuple[list[str], list[str]]:
    return [], []


@dataclass(frozen=True)
class Include:
    """A part of a profile page that a higher app fills: the page includes
    `template` with `panel` (whatever that template reads)."""

    template: str
    panel: Any


def _no_appointments(profile: Profile) -> Include | None:
    return None


@dataclass
class PmsHooks:
    # A boolean column of the tag board's query (on the joined tag): the PMS sets it.
    set_by_pms: Callable[[Profile], Expression] = _never_set_by_pms
    # The profile's charts in PMS systems (integrations.models.PmsLink rows).
    chart_links: Callable[[Profile], list[Any]] = _no_chart_links
    # (names of the PMS systems, profile fields they overwrite).
    overwrites: Callable[[Profile], tuple[list[str], list[str]]] = _no_overwrites
    # The appointments panel of the profile page and the chart tab; None: no panel.
    appointments: Callable[[Profile], Include | None] = _no_appointments


hooks = PmsHooks()


def register(
    *,
    set_by_pms: Callable[[Profile], Expression],
    chart_links: Callable[[Profile], list[Any]],
    overwrites: Callable[[Profile], tuple[list[str], list[str]]],
) -> None:
    hooks.set_by_pms = set_by_pms
    hooks.chart_links = chart_links
    hooks.overwrites = overwrites


def register_appointments(panel: Callable[[Profile], Include | None]) -> None:
    hooks.appointments = panel
