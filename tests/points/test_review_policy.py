"""Which menu item names ask for a review (points/review_policy.py)."""

from __future__ import annotations

import pytest

from rewardshub.points.review_policy import rewards_a_review


@pytest.mark.parametrize(
    "name",
    ["Online review", "Google review", "Reviewed us on Facebook", "Yelp", "Rate us 5 stars",
     "5 stars on Google", "Video testimonial", "REVIEW"],
)
def test_it_finds_a_request_for_a_review(name: str) -> None:
    assert rewards_a_review(name)


@pytest.mark.parametrize(
    "name",
    ["Social media check-in", "Patient survey", "On time", "Good oral hygiene", "Brushing chart",
     "Wearing elastics", "Referral"],
)
def test_it_leaves_other_rewards_alone(name: str) -> None:
    assert not rewards_a_review(name)
