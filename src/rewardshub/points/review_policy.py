"""Rewards for reviews: Google's policy forbids any incentive for a review,
loyalty points included, and penalises the business that offers one. A menu
item whose name asks for a review is warned about, never refused: the words
are a guess ("Review of your brushing chart" is not a review of the practice),
and the practice decides."""

from __future__ import annotations

import re

REVIEW_WARNING = (
    "This reward looks like it pays for a review. Google's policy forbids any incentive "
    "for a review, loyalty points included, and can remove the reviews or lower the "
    "practice's listing. Reward a social media check-in or a survey instead."
)

_ASKS_FOR_A_REVIEW = re.compile(
    r"\breview|\byelp\b|\bgoogle\b|\brate us\b|\brating\b|\bstars?\b.*\b(google|online)\b"
    r"|\btestimonial",
    re.IGNORECASE,
)


def rewards_a_review(name: str) -> bool:
    """Whether a menu item's name asks for a review of the practice."""
    return bool(_ASKS_FOR_A_REVIEW.search(name))
