"""Writes that a merge of profiles overtook, and the transaction that tries them again.

A write reads each chart's linked profile before it locks it; a merge that
commits in between makes that profile a tombstone (its points, appointments and
links moved to the survivor). The write finds this once it holds the lock
(`check_not_merged`) and is tried again on the survivor: in a savepoint of its
own (book.write_book), or as a whole transaction (`retried`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.db import IntegrityError, transaction

from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import profile_merged_error

if TYPE_CHECKING:
    from rewardshub.automations.state import ProfileState

T = TypeVar("T")


# A write follows one merge, or a few that commit one after another while it
# waits; more is a merge storm, refused (409) rather than chased.
MAX_MERGES_FOLLOWED = 3


class Merged(Exception):
    """Profiles the write locked were merged after the caller read its links."""

    def __init__(self, survivors: dict[int, int]) -> None:
        super().__init__()
        # The merged profile's id -> the id of the profile it was merged into.
        self.survivors = survivors


def check_not_merged(states: dict[int, ProfileState]) -> None:
    # A tombstone leads straight to its survivor (a merge repoints earlier
    # tombstones), so one more try takes the right locks, in id order.
    survivors = {
        pk: state.profile.merged_into_id
        for pk, state in states.items()
        if state.profile.merged_into_id is not None
    }
    if survivors:
        raise Merged(survivors)


def to_survivors(
    profiles: dict[str, int | None], survivors: dict[int, int]
) -> dict[str, int | None]:
    """Each chart's profile, or the profile it was merged into."""
    return {
        chart: survivors.get(pk, pk) if pk is not None else None for chart, pk in profiles.items()
    }


def merge_storm(merged: Merged) -> ActionError:
    return profile_merged_error(Profile.objects.get(pk=next(iter(merged.survivors))))


def retried(work: Callable[[dict[int, int]], T]) -> T:
    """Run `work(survivors)` in a transaction (a savepoint inside another), and again
    in a new one as `write_book` tries its writes again: once after a racing
    creation, and after each merge of a profile it locked, up to
    MAX_MERGES_FOLLOWED, with `survivors` mapping each merged profile's id to
    its survivor's. `work` writes with `write_book(savepoint=False)`."""
    survivors: dict[int, int] = {}
    raced = False
    merges = 0
    while True:
        try:
            with transaction.atomic():
                return work(dict(survivors))
        except IntegrityError:
            if raced:
                raise
            raced = True
        except Merged as exc:
            merges += 1
            if merges > MAX_MERGES_FOLLOWED:
                raise merge_storm(exc) from None
            survivors = {
                **{pk: exc.survivors.get(to, to) for pk, to in survivors.items()},
                **exc.survivors,
            }
