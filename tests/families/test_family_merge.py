"""Guardian links in a profile merge: the merged profile's guardians act for the profile kept."""

from __future__ import annotations

from typing import Any

from rewardshub.families.actions import invite_guardian
from rewardshub.families.models import GuardianLink
from rewardshub.families.queries import children
from rewardshub.merges.actions import merge_profiles
from rewardshub.patients.models import Profile

from .conftest import SYSTEM, Family, accept, staff_actor


def test_the_merged_profiles_guardian_acts_for_the_profile_kept(
    invited: Family, make_profile: Any, owner: Any
) -> None:
    emma, liam = invited.emma, invited.liam
    # A second profile of Liam's, and another guardian linked to it only.
    twin: Profile = make_profile(emma.practice, "Liam", "Johnson", email="")
    other = invite_guardian(
        practice=emma.practice, profile=twin, email="grandma@family.test", actor=staff_actor(owner)
    ).guardian
    # The first guardian: only proposed for Liam, but confirmed on his second profile.
    GuardianLink.objects.create(
        practice=emma.practice,
        guardian=invited.guardian,
        profile=twin,
        confirmed_at=invited.link(emma).confirmed_at,
    )
    merge_profiles(practice=emma.practice, survivor=liam, merged=twin, actor=SYSTEM)
    assert not GuardianLink.objects.filter(profile=twin).exists()
    # Liam's link to the first guardian was only proposed: the merged one's confirmation holds.
    assert invited.link(liam).confirmed_at is not None
    assert GuardianLink.objects.get(guardian=other).profile_id == liam.pk
    assert children(accept(other)) == [liam]
