"""Staff side of families: invitations, proposed and confirmed links, suggestions, refusals."""

from __future__ import annotations

from typing import Any

from django.test import Client

from rewardshub.audit.models import AuditEvent
from rewardshub.families.actions import invite_guardian, remove_link
from rewardshub.families.models import Guardian, GuardianLink
from rewardshub.families.queries import suggested_family
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

from .conftest import PARENT_EMAIL, Family, staff_actor


def _family_page(profile: Profile) -> str:
    return f"/patients/{profile.public_id}/family/"


def _actions(profile: Profile) -> list[str]:
    return list(
        AuditEvent.objects.filter(profile=profile, action__startswith="family.")
        .order_by("pk")
        .values_list("action", flat=True)
    )


class TestInvite:
    def test_it_confirms_the_childs_link_and_only_proposes_the_same_email(
        self, invited: Family, owner: Any
    ) -> None:
        emma_link, liam_link = invited.link(invited.emma), invited.link(invited.liam)
        assert emma_link.confirmed_at is not None and emma_link.confirmed_by_id == owner.pk
        assert liam_link.confirmed_at is None and liam_link.confirmed_by_id is None
        assert invited.guardian.verified_at is None and invited.guardian.password == ""
        assert invited.guardian.email == PARENT_EMAIL
        assert _actions(invited.emma) == ["family.invite", "family.link_confirm"]
        assert _actions(invited.liam) == ["family.link_propose"]

    def test_it_invites_from_the_family_page(
        self, owner_client: Client, children: tuple[Profile, Profile]
    ) -> None:
        emma, liam = children
        response = owner_client.post(
            f"{_family_page(emma)}invite/", {"email": " Jordan.Parent@Family.test "}, follow=True
        )
        assert response.status_code == 200
        text = response.content.decode()
        assert f"Invitation sent to {PARENT_EMAIL}." in text
        assert "1 other profile with the same email wait for you to confirm below." in text
        guardian = Guardian.objects.get(email=PARENT_EMAIL)
        links = GuardianLink.objects.filter(guardian=guardian)
        assert {(link.profile_id, link.confirmed) for link in links} == {
            (emma.pk, True),
            (liam.pk, False),
        }

    def test_it_refuses_a_placeholder_address_and_changes_nothing(
        self, owner_client: Client, children: tuple[Profile, Profile]
    ) -> None:
        emma, _ = children
        response = owner_client.post(f"{_family_page(emma)}invite/", {"email": "noemail@gmail.com"})
        assert response.status_code == 422
        assert "That looks like a placeholder address, not the guardian’s own." in (
            response.content.decode()
        )
        assert not Guardian.objects.exists() and not GuardianLink.objects.exists()

    def test_it_refuses_a_malformed_address(
        self, owner_client: Client, children: tuple[Profile, Profile]
    ) -> None:
        response = owner_client.post(f"{_family_page(children[0])}invite/", {"email": "jordan@"})
        assert response.status_code == 422
        assert "That isn’t an email address." in response.content.decode()
        assert not Guardian.objects.exists()

    def test_it_never_proposes_another_practices_profile(
        self, children: tuple[Profile, Profile], riverside: Practice, make_profile: Any, owner: Any
    ) -> None:
        stranger = make_profile(riverside, "Rita", "Rivers", email=PARENT_EMAIL)
        emma = children[0]
        invite_guardian(
            practice=emma.practice, profile=emma, email=PARENT_EMAIL, actor=staff_actor(owner)
        )
        assert not GuardianLink.objects.filter(profile=stranger).exists()
        assert GuardianLink.objects.count() == 2


class TestSuggestions:
    def test_it_suggests_other_profiles_with_the_same_email(
        self, children: tuple[Profile, Profile]
    ) -> None:
        emma, liam = children
        assert suggested_family(emma) == [liam]
        assert suggested_family(liam) == [emma]

    def test_it_ignores_blank_and_placeholder_emails(
        self, acworth: Practice, make_profile: Any
    ) -> None:
        one = make_profile(acworth, "Ana", "Placeholder", email="noemail@gmail.com")
        make_profile(acworth, "Ben", "Placeholder", email="noemail@gmail.com")
        blank = make_profile(acworth, "Cy", "Blank", email="")
        make_profile(acworth, "Di", "Blank", email="")
        assert suggested_family(one) == []
        assert suggested_family(blank) == []

    def test_it_never_suggests_another_practices_profile(
        self, children: tuple[Profile, Profile], riverside: Practice, make_profile: Any
    ) -> None:
        make_profile(riverside, "Rita", "Rivers", email=PARENT_EMAIL)
        assert suggested_family(children[0]) == [children[1]]


class TestFamilyPage:
    def test_it_shows_guardians_links_and_suggestions_audited(
        self, owner_client: Client, invited: Family
    ) -> None:
        response = owner_client.get(_family_page(invited.emma))
        assert response.status_code == 200
        text = response.content.decode()
        assert PARENT_EMAIL in text and "Invitation not accepted yet" in text
        assert "Liam Johnson" in text and "Not confirmed" in text
        views = AuditEvent.objects.filter(action="profile.view", detail__page="family")
        assert set(views.values_list("profile", flat=True)) == {invited.emma.pk, invited.liam.pk}

    def test_the_profile_page_leads_to_it(self, owner_client: Client, invited: Family) -> None:
        page = owner_client.get(f"/patients/{invited.emma.public_id}/").content.decode()
        assert f'href="{_family_page(invited.emma)}"' in page

    def test_it_is_a_404_for_another_practices_profile(
        self, outsider_client: Client, invited: Family
    ) -> None:
        assert outsider_client.get(_family_page(invited.emma)).status_code == 404
        response = outsider_client.post(
            f"{_family_page(invited.emma)}invite/", {"email": "spy@elsewhere.test"}
        )
        assert response.status_code == 404
        assert not Guardian.objects.filter(email="spy@elsewhere.test").exists()


class TestConfirmAndRemove:
    def test_it_confirms_a_proposed_link(
        self, owner_client: Client, invited: Family, owner: Any
    ) -> None:
        link = invited.link(invited.liam)
        back = _family_page(invited.emma)
        response = owner_client.post(
            f"/patients/family-links/{link.public_id}/confirm/", {"next": back}
        )
        assert response.status_code == 302 and response["Location"] == back
        link.refresh_from_db()
        assert link.confirmed_at is not None and link.confirmed_by_id == owner.pk
        assert _actions(invited.liam) == ["family.link_propose", "family.link_confirm"]

    def test_confirming_twice_changes_nothing(self, owner_client: Client, invited: Family) -> None:
        link = invited.link(invited.emma)
        before = link.confirmed_at
        response = owner_client.post(
            f"/patients/family-links/{link.public_id}/confirm/", follow=True
        )
        assert "That link was confirmed already. Nothing was changed." in response.content.decode()
        link.refresh_from_db()
        assert link.confirmed_at == before
        assert _actions(invited.emma).count("family.link_confirm") == 1

    def test_it_removes_a_link_audited(self, owner_client: Client, invited: Family) -> None:
        link = invited.link(invited.emma)
        response = owner_client.post(f"/patients/family-links/{link.public_id}/remove/")
        assert response.status_code == 302
        assert response["Location"] == _family_page(invited.emma)
        assert not GuardianLink.objects.filter(pk=link.pk).exists()
        event = AuditEvent.objects.get(action="family.link_remove")
        assert event.profile_id == invited.emma.pk
        assert event.detail == {"guardian": invited.guardian.public_id.hex, "confirmed": True}

    def test_another_practices_staff_get_a_404_and_change_nothing(
        self, outsider_client: Client, invited: Family
    ) -> None:
        link = invited.link(invited.liam)
        for verb in ("confirm", "remove"):
            response = outsider_client.post(f"/patients/family-links/{link.public_id}/{verb}/")
            assert response.status_code == 404
        link.refresh_from_db()
        assert link.confirmed_at is None
        assert not AuditEvent.objects.filter(
            action__in=["family.link_confirm", "family.link_remove"], profile=invited.liam
        ).exists()

    def test_removing_needs_a_post(self, owner_client: Client, invited: Family) -> None:
        link = invited.link(invited.emma)
        assert (
            owner_client.get(f"/patients/family-links/{link.public_id}/remove/").status_code == 405
        )
        assert GuardianLink.objects.filter(pk=link.pk).exists()

    def test_the_action_removes_only_its_practices_link(
        self, invited: Family, riverside: Practice, owner: Any
    ) -> None:
        remove_link(practice=riverside, link=invited.link(invited.emma), actor=staff_actor(owner))
        assert GuardianLink.objects.filter(profile=invited.emma).exists()
