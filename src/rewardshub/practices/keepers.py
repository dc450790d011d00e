"""What a higher app keeps per practice and per location, without practices importing it.

The patients app keeps every practice's system tag groups and every location's
system tag ("*Acworth"), renamed along with its location; it registers its keeper
here in PatientsConfig.ready. practices.actions calls the keepers inside its own
transactions, at the points where the tags are due.
"""

from __future__ import annotations

from typing import Protocol

from rewardshub.practices.models import Location, Practice


class PracticeKeeper(Protocol):
    def practice_created(self, practice: Practice) -> None:
        """The new practice exists, its locations not yet."""

    def check_location_name(self, practice: Practice, name: str, exclude: int | None) -> None:
        """Raise ActionError when a location may not take `name` (`exclude`: its own pk)."""

    def location_added(self, practice: Practice, location: Location) -> None:
        """The location was just created."""

    def location_renamed(self, practice: Practice, location: Location, old_name: str) -> None:
        """The location was just renamed from `old_name`."""


_keepers: dict[str, PracticeKeeper] = {}


def register(name: str, keeper: PracticeKeeper) -> None:
    """Called by an app's ready(); registering the same name again replaces the keeper."""
    _keepers[name] = keeper


def keepers() -> list[PracticeKeeper]:
    return list(_keepers.values())
