"""The contest awards report: per contest, the patients and points it paid or holds.

Counts and sums only: no patient appears. A period is whole days in the
practice's time zone (points.reports.Period); an award counts in the period
it was made.
"""

from __future__ import annotations

from dataclasses import dataclass

from rewardshub.contests import queries
from rewardshub.points.reports import Period
from rewardshub.practices.models import Practice

HEADERS = (
    "Contest",
    "First day",
    "Last day",
    "Participants paid or held",
    "Points for taking part",
    "Winners paid or held",
    "Points for winning",
    "Points waiting in Pending rewards",
)


@dataclass(frozen=True)
class Report:
    headers: tuple[str, ...]
    rows: list[tuple[object, ...]]
    total: tuple[object, ...]


_COUNTS = ("participants", "participant_points", "winners", "winner_points", "held_points")


def contest_awards(practice: Practice, period: Period) -> Report:
    since, until = period.bounds
    found = queries.award_totals(practice, since, until)
    rows: list[tuple[object, ...]] = []
    sums = [0] * len(_COUNTS)
    for row in found:
        counts = [int(str(row[name])) for name in _COUNTS]
        sums = [a + b for a, b in zip(sums, counts, strict=True)]
        rows.append(
            (row["contest__name"], row["contest__starts_on"], row["contest__ends_on"], *counts)
        )
    return Report(HEADERS, rows, ("All contests", "", "", *sums))
