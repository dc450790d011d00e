"""The patient's next prize: which one to aim for, and how far along they are.

A rule with no Django in it. It takes the prizes a patient could order
(offered and in stock, in the catalog's order), how to read a prize's cost,
and the patient's balance:

- the goal is the cheapest prize that costs more than the balance: the next
  step up, so the bar always has somewhere to go and fills soonest;
- the best prize they can already order (the most expensive within the
  balance) is named beside it, so a patient who could order today is told so;
- with enough points for every prize there is no goal, only that best prize.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

P = TypeVar("P")


@dataclass(frozen=True)
class Progress(Generic[P]):
    balance: int
    # The cheapest prize the balance does not reach yet; None when it reaches every one.
    goal: P | None
    # What the goal costs (0 without one).
    goal_cost: int
    # The most expensive prize the balance already reaches; None when it reaches none.
    affordable: P | None
    # How many prizes the balance already reaches.
    affordable_count: int

    @property
    def missing(self) -> int:
        """Points still needed for the goal (0 without one)."""
        return self.goal_cost - self.balance if self.goal is not None else 0


def next_prize(balance: int, prizes: Sequence[P], cost: Callable[[P], int]) -> Progress[P] | None:
    """The goal and the best prize already in reach; None when nothing can be ordered.

    Ties keep the catalog's order: the first of equally priced prizes wins.
    """
    if not prizes:
        return None
    balance = max(0, balance)
    goal: P | None = None
    goal_cost = 0
    affordable: P | None = None
    best = 0
    count = 0
    for prize in prizes:
        price = cost(prize)
        if price > balance:
            if goal is None or price < goal_cost:
                goal, goal_cost = prize, price
        else:
            count += 1
            if affordable is None or price > best:
                affordable, best = prize, price
    return Progress(
        balance=balance,
        goal=goal,
        goal_cost=goal_cost,
        affordable=affordable,
        affordable_count=count,
    )
