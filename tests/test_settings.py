"""Settings pages for owners and admins: practice info, locations, staff and roles, tags.

The card batches page is tested with the cards command line in test_cards_cli.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from tests.conftest import SYSTEM, staff_client

from rewardshub.audit.models import AuditEvent
from rewardshub.patients.models import Profile, ProfileTag, Tag, TagGroup, TagGroupKind
from rewardshub.practices.models import Location, Membership, Practice, Role


def flashes(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_client(acworth: Practice) -> Client:
    return staff_client(acworth, "admin", Role.ADMIN)


class TestPracticeInfo:
    url = "/settings/"

    def test_it_shows_the_practice_settings_to_the_owner(self, owner_client: Client) -> None:
        response = owner_client.get(self.url)
        assert response.status_code == 200
        assert response.context["form"]["name"].value() == "Acworth Orthodontics"
        assert b'aria-current="page">Practice</a>' in response.content

    def test_it_refuses_front_desk_staff(self, frontdesk_client: Client) -> None:
        response = frontdesk_client.get(self.url)
        assert response.status_code == 403
        assert b"Your role in this practice cannot open this page." in response.content

    def test_it_sends_strangers_to_the_sign_in_page(self, client: Client, acworth: Any) -> None:
        response = client.get(self.url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")

    def test_it_saves_name_time_zone_and_idle_timeout(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        data = {"name": "Acworth Ortho", "time_zone": "America/Chicago", "idle_timeout_minutes": 30}
        response = owner_client.post(self.url, data)
        assert response.status_code == 302
        assert flashes(response) == ["Practice settings saved."]
        acworth.refresh_from_db()
        assert (acworth.name, acworth.time_zone, acworth.idle_timeout_minutes) == (
            "Acworth Ortho",
            "America/Chicago",
            30,
        )
        event = AuditEvent.objects.get(action="practice.update")
        assert event.detail == {"fields": ["name", "time_zone", "idle_timeout_minutes"]}
        assert event.actor_label == "owner"

    def test_it_rejects_an_unknown_time_zone(self, owner_client: Client, acworth: Practice) -> None:
        data = {"name": "Acworth", "time_zone": "Mars/Olympus", "idle_timeout_minutes": 15}
        response = owner_client.post(self.url, data)
        assert response.status_code == 422
        assert response.context["form"].errors["time_zone"] == [
            "“Mars/Olympus” is not a time zone. Choose one from the list, e.g. America/New_York."
        ]
        acworth.refresh_from_db()
        assert (acworth.name, acworth.time_zone) == ("Acworth Orthodontics", "America/New_York")
        assert not AuditEvent.objects.filter(action="practice.update").exists()

    @pytest.mark.parametrize("minutes", [4, 241])
    def test_it_rejects_an_idle_timeout_outside_5_to_240(
        self, owner_client: Client, acworth: Practice, minutes: int
    ) -> None:
        data = {"name": "Acworth", "time_zone": "UTC", "idle_timeout_minutes": minutes}
        response = owner_client.post(self.url, data)
        assert response.status_code == 422
        assert response.context["form"].errors["idle_timeout_minutes"] == [
            f"The idle timeout must be from 5 to 240 minutes; {minutes} is outside that range."
        ]
        acworth.refresh_from_db()
        assert acworth.idle_timeout_minutes == 15

    def test_it_lets_an_admin_save(self, admin_client: Client, acworth: Practice) -> None:
        data = {"name": "Acworth", "time_zone": "UTC", "idle_timeout_minutes": 240}
        assert admin_client.post(self.url, data).status_code == 302
        acworth.refresh_from_db()
        assert acworth.idle_timeout_minutes == 240


class TestLocations:
    url = "/settings/locations/"

    def test_it_lists_locations_with_their_tags(self, owner_client: Client) -> None:
        response = owner_client.get(self.url)
        assert response.status_code == 200
        assert [loc.name for loc in response.context["locations"]] == ["Acworth", "Marietta"]
        assert "*Marietta" in response.content.decode()

    def test_it_adds_a_location_with_its_system_tag(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        response = owner_client.post("/settings/locations/add/", {"name": "  Kennesaw "})
        assert response.status_code == 302
        assert flashes(response) == ["Location “Kennesaw” added, with its tag “*Kennesaw”."]
        assert Location.objects.filter(practice=acworth, name="Kennesaw", active=True).exists()
        tag = Tag.objects.get(practice=acworth, name="*Kennesaw")
        assert tag.is_system and tag.group.kind == TagGroupKind.LOCATION
        assert AuditEvent.objects.get(action="location.create").detail == {"name": "Kennesaw"}

    def test_it_refuses_a_location_name_the_practice_has(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        response = owner_client.post("/settings/locations/add/", {"name": "marietta"})
        assert response.status_code == 409
        assert response.context["error"] == (
            "This practice already has a location named “marietta”. Choose another name."
        )
        assert Location.objects.filter(practice=acworth).count() == 2

    def test_it_refuses_a_location_whose_tag_would_clash(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        response = owner_client.post("/settings/locations/add/", {"name": "Orthodontic Patient"})
        assert response.status_code == 409
        assert response.context["error"] == (
            "The location's tag would be “*Orthodontic Patient”, but the Status group already "
            "has a tag with that name. Choose another location name."
        )
        assert Location.objects.filter(practice=acworth).count() == 2

    def test_it_refuses_an_empty_name(self, owner_client: Client, acworth: Practice) -> None:
        response = owner_client.post("/settings/locations/add/", {"name": "   "})
        assert response.status_code == 422
        assert response.context["add_form"].errors["name"] == ["Enter a location name."]
        assert Location.objects.filter(practice=acworth).count() == 2

    def test_it_renames_a_location_and_its_tag_for_tagged_patients(
        self, owner_client: Client, acworth: Practice, make_profile: Any
    ) -> None:
        profile = make_profile(acworth, tags=("*Marietta",))
        location = Location.objects.get(practice=acworth, name="Marietta")
        response = owner_client.post(
            f"/settings/locations/{location.public_id}/rename/", {"name": "East Cobb"}
        )
        assert response.status_code == 302
        assert flashes(response) == ["“Marietta” is now “East Cobb”; its tag is now “*East Cobb”."]
        location.refresh_from_db()
        assert location.name == "East Cobb"
        assert list(profile.tags.values_list("name", flat=True)) == ["*East Cobb"]
        assert not Tag.objects.filter(practice=acworth, name="*Marietta").exists()
        assert AuditEvent.objects.get(action="location.rename").detail == {
            "from": "Marietta",
            "to": "East Cobb",
        }

    def test_it_lets_a_rename_change_only_the_case(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        location = Location.objects.get(practice=acworth, name="Marietta")
        response = owner_client.post(
            f"/settings/locations/{location.public_id}/rename/", {"name": "MARIETTA"}
        )
        assert response.status_code == 302
        assert Tag.objects.filter(practice=acworth, name="*MARIETTA", is_system=True).exists()

    def test_it_refuses_renaming_to_another_locations_name(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        location = Location.objects.get(practice=acworth, name="Marietta")
        response = owner_client.post(
            f"/settings/locations/{location.public_id}/rename/", {"name": "Acworth"}
        )
        assert response.status_code == 409
        assert response.context["error"] == (
            "This practice already has a location named “Acworth”. Choose another name."
        )
        location.refresh_from_db()
        assert location.name == "Marietta"
        assert Tag.objects.filter(practice=acworth, name="*Marietta").exists()

    def test_it_deactivates_a_location_and_keeps_its_tag(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        location = Location.objects.get(practice=acworth, name="Marietta")
        response = owner_client.post(
            f"/settings/locations/{location.public_id}/active/", {"active": "0"}
        )
        assert response.status_code == 302
        assert flashes(response) == ["Marietta is deactivated; patients keep its tag."]
        location.refresh_from_db()
        assert not location.active
        assert Tag.objects.filter(practice=acworth, name="*Marietta").exists()
        assert AuditEvent.objects.filter(action="location.deactivate").count() == 1

    def test_it_reactivates_a_location(self, owner_client: Client, acworth: Practice) -> None:
        location = Location.objects.get(practice=acworth, name="Marietta")
        url = f"/settings/locations/{location.public_id}/active/"
        owner_client.post(url, {"active": "0"})
        assert owner_client.post(url, {"active": "1"}).status_code == 302
        location.refresh_from_db()
        assert location.active

    def test_it_keeps_the_last_active_location(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        marietta = Location.objects.get(practice=acworth, name="Marietta")
        acworth_location = Location.objects.get(practice=acworth, name="Acworth")
        owner_client.post(f"/settings/locations/{marietta.public_id}/active/", {"active": "0"})
        response = owner_client.post(
            f"/settings/locations/{acworth_location.public_id}/active/", {"active": "0"}
        )
        assert response.status_code == 409
        assert response.context["error"] == (
            "Acworth is the practice's only active location, and a practice needs one. "
            "Add or reactivate another location first."
        )
        acworth_location.refresh_from_db()
        assert acworth_location.active

    def test_it_answers_404_for_another_practices_location(
        self, outsider_client: Client, acworth: Practice
    ) -> None:
        location = Location.objects.get(practice=acworth, name="Marietta")
        response = outsider_client.post(
            f"/settings/locations/{location.public_id}/rename/", {"name": "Mine"}
        )
        assert response.status_code == 404
        location.refresh_from_db()
        assert location.name == "Marietta"


class TestStaff:
    url = "/settings/staff/"
    new = {
        "username": "hygienist",
        "email": "h@example.com",
        "password": "long-enough-pw",
        "role": Role.REWARDS,
    }

    def test_it_lists_staff_and_roles(self, owner_client: Client, frontdesk: Any) -> None:
        response = owner_client.get(self.url)
        assert response.status_code == 200
        rows = [(m.user.username, m.role) for m in response.context["members"]]
        assert rows == [("frontdesk", Role.REWARDS), ("owner", Role.OWNER)]

    def test_it_adds_a_staff_member_who_can_sign_in(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        response = owner_client.post("/settings/staff/add/", self.new)
        assert response.status_code == 302
        assert flashes(response) == ["hygienist can now sign in, with the role Rewards."]
        user = authenticate(username="hygienist", password="long-enough-pw")
        assert user is not None and user.email == "h@example.com"
        assert Membership.objects.get(user=user).role == Role.REWARDS
        assert AuditEvent.objects.get(action="staff.add", actor_label="owner").detail == {
            "username": "hygienist",
            "role": "rewards",
        }

    def test_it_refuses_a_username_taken_on_the_hub(
        self, owner_client: Client, outsider: Any
    ) -> None:
        response = owner_client.post("/settings/staff/add/", {**self.new, "username": "Riverside"})
        assert response.status_code == 409
        assert response.context["error"] == (
            "The username “Riverside” is already taken on this hub. Choose another one."
        )
        assert Membership.objects.filter(user=outsider).count() == 1

    def test_it_refuses_a_username_already_on_the_staff(
        self, owner_client: Client, frontdesk: Any
    ) -> None:
        response = owner_client.post("/settings/staff/add/", {**self.new, "username": "frontdesk"})
        assert response.status_code == 409
        assert response.context["error"] == (
            "frontdesk already works at this practice. Change their role below instead."
        )

    def test_it_refuses_a_weak_password(self, owner_client: Client) -> None:
        response = owner_client.post("/settings/staff/add/", {**self.new, "password": "short"})
        assert response.status_code == 422
        assert response.context["add_form"].errors["password"] == [
            "This password is too short. It must contain at least 8 characters."
        ]
        assert not get_user_model().objects.filter(username="hygienist").exists()

    def test_it_refuses_a_username_with_spaces(self, owner_client: Client) -> None:
        response = owner_client.post("/settings/staff/add/", {**self.new, "username": "a b"})
        assert response.status_code == 422
        assert response.context["add_form"].errors["username"] == [
            "A username may hold only letters, digits and . @ + - _ (no spaces)."
        ]

    def test_it_changes_a_role(self, owner_client: Client, frontdesk: Any) -> None:
        membership = Membership.objects.get(user=frontdesk)
        response = owner_client.post(
            f"/settings/staff/{membership.public_id}/role/", {"role": Role.ADMIN}
        )
        assert response.status_code == 302
        assert flashes(response) == ["frontdesk now has the role Admin."]
        membership.refresh_from_db()
        assert membership.role == Role.ADMIN
        assert AuditEvent.objects.get(action="staff.role").detail == {
            "username": "frontdesk",
            "from": "rewards",
            "to": "admin",
        }

    def test_it_refuses_an_unknown_role(self, owner_client: Client, frontdesk: Any) -> None:
        membership = Membership.objects.get(user=frontdesk)
        response = owner_client.post(
            f"/settings/staff/{membership.public_id}/role/", {"role": "superuser"}
        )
        assert response.status_code == 422
        assert response.context["error"] == "Choose one of the roles in the list."
        membership.refresh_from_db()
        assert membership.role == Role.REWARDS

    def test_it_keeps_the_last_owner_an_owner(self, owner_client: Client, owner: Any) -> None:
        membership = Membership.objects.get(user=owner)
        response = owner_client.post(
            f"/settings/staff/{membership.public_id}/role/", {"role": Role.ADMIN}
        )
        assert response.status_code == 409
        assert response.context["error"] == (
            "owner is the only owner of this practice, so they cannot be given another role. "
            "Make another staff member an owner first."
        )
        membership.refresh_from_db()
        assert membership.role == Role.OWNER
        assert not AuditEvent.objects.filter(action="staff.role").exists()

    def test_it_keeps_the_last_owner_in_the_practice(
        self, owner_client: Client, owner: Any
    ) -> None:
        membership = Membership.objects.get(user=owner)
        response = owner_client.post(f"/settings/staff/{membership.public_id}/remove/")
        assert response.status_code == 409
        assert response.context["error"] == (
            "owner is the only owner of this practice, so they cannot be removed. "
            "Make another staff member an owner first."
        )
        assert Membership.objects.filter(pk=membership.pk).exists()

    def test_it_lets_an_owner_step_down_once_there_is_another(
        self, owner_client: Client, owner: Any, frontdesk: Any
    ) -> None:
        other = Membership.objects.get(user=frontdesk)
        owner_client.post(f"/settings/staff/{other.public_id}/role/", {"role": Role.OWNER})
        mine = Membership.objects.get(user=owner)
        response = owner_client.post(f"/settings/staff/{mine.public_id}/role/", {"role": "admin"})
        assert response.status_code == 302
        mine.refresh_from_db()
        assert mine.role == Role.ADMIN

    def test_it_removes_a_staff_member_from_the_practice(
        self, owner_client: Client, acworth: Practice, frontdesk: Any
    ) -> None:
        membership = Membership.objects.get(user=frontdesk)
        response = owner_client.post(f"/settings/staff/{membership.public_id}/remove/")
        assert response.status_code == 302
        assert flashes(response) == ["frontdesk no longer works at Acworth Orthodontics."]
        assert not Membership.objects.filter(user=frontdesk).exists()
        assert get_user_model().objects.filter(username="frontdesk").exists()
        assert AuditEvent.objects.get(action="staff.remove").detail == {
            "username": "frontdesk",
            "role": "rewards",
        }

    def test_it_lets_only_owners_give_the_owner_role(
        self, admin_client: Client, frontdesk: Any
    ) -> None:
        membership = Membership.objects.get(user=frontdesk)
        response = admin_client.post(
            f"/settings/staff/{membership.public_id}/role/", {"role": Role.OWNER}
        )
        assert response.status_code == 403
        assert response.context["error"] == (
            "Only an owner can give or take away the Owner role. Ask an owner of this practice."
        )
        membership.refresh_from_db()
        assert membership.role == Role.REWARDS

    def test_it_does_not_let_an_admin_remove_an_owner(
        self, admin_client: Client, owner: Any
    ) -> None:
        membership = Membership.objects.get(user=owner)
        response = admin_client.post(f"/settings/staff/{membership.public_id}/remove/")
        assert response.status_code == 403
        assert Membership.objects.filter(pk=membership.pk).exists()

    def test_it_answers_404_for_another_practices_staff(
        self, outsider_client: Client, frontdesk: Any
    ) -> None:
        membership = Membership.objects.get(user=frontdesk)
        response = outsider_client.post(f"/settings/staff/{membership.public_id}/remove/")
        assert response.status_code == 404
        assert Membership.objects.filter(pk=membership.pk).exists()


def test_it_leaves_patients_alone_when_settings_change(
    owner_client: Client, acworth: Practice, make_profile: Any
) -> None:
    make_profile(acworth, tags=("*Acworth",))
    owner_client.post("/settings/locations/add/", {"name": "Kennesaw"})
    assert Profile.objects.count() == 1
    assert reverse("settings_locations") == "/settings/locations/"


@pytest.fixture
def interests(acworth: Practice) -> TagGroup:
    from rewardshub.patients.tag_actions import create_tag, create_tag_group

    group = create_tag_group(practice=acworth, name="Interests", actor=SYSTEM)
    for name in ("Sports", "Music"):
        create_tag(practice=acworth, group=group, name=name, actor=SYSTEM)
    return group


def _tag(practice: Practice, name: str) -> Tag:
    return Tag.objects.get(practice=practice, name=name)


class TestTags:
    url = "/settings/tags/"

    def test_it_lists_groups_with_their_tags_and_use(
        self, owner_client: Client, acworth: Practice, interests: TagGroup, make_profile: Any
    ) -> None:
        make_profile(acworth, tags=("Sports",))
        response = owner_client.get(self.url)
        assert response.status_code == 200
        groups = {
            g.name: {t.name: t.patients for t in g.tags.all()} for g in response.context["groups"]
        }
        assert groups["Interests"] == {"Sports": 1, "Music": 0}
        assert groups["Location"] == {"*Acworth": 0, "*Marietta": 0}
        assert list(groups) == ["Status", "Location", "Interests"]

    def test_it_refuses_front_desk_staff(self, frontdesk_client: Client) -> None:
        assert frontdesk_client.get(self.url).status_code == 403

    def test_it_creates_a_custom_group(self, owner_client: Client, acworth: Practice) -> None:
        response = owner_client.post("/settings/tags/groups/add/", {"name": "Interests"})
        assert response.status_code == 302
        assert flashes(response) == ["Tag group “Interests” added. Add its tags below."]
        group = TagGroup.objects.get(practice=acworth, name="Interests")
        assert (group.kind, group.is_system) == (TagGroupKind.CUSTOM, False)
        assert AuditEvent.objects.get(action="taggroup.create").detail == {"name": "Interests"}

    def test_it_refuses_a_group_name_in_use(
        self, owner_client: Client, interests: TagGroup
    ) -> None:
        response = owner_client.post("/settings/tags/groups/add/", {"name": "interests"})
        assert response.status_code == 409
        assert response.context["error"] == (
            "There is already a tag group named “interests”. Choose another name."
        )
        assert TagGroup.objects.filter(name__iexact="interests").count() == 1

    def test_it_adds_a_tag_to_a_custom_group(
        self, owner_client: Client, acworth: Practice, interests: TagGroup
    ) -> None:
        response = owner_client.post(
            f"/settings/tags/groups/{interests.public_id}/add/", {"name": "Gaming"}
        )
        assert response.status_code == 302
        assert flashes(response) == ["Tag “Gaming” added to Interests."]
        assert _tag(acworth, "Gaming").group == interests
        assert AuditEvent.objects.filter(action="tag.create", detail__name="Gaming").count() == 1

    def test_it_adds_a_tag_of_its_own_to_a_system_group(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        status = TagGroup.objects.get(practice=acworth, kind=TagGroupKind.STATUS)
        response = owner_client.post(
            f"/settings/tags/groups/{status.public_id}/add/", {"name": "Invisalign Patient"}
        )
        assert response.status_code == 302
        tag = _tag(acworth, "Invisalign Patient")
        assert (tag.group, tag.is_system) == (status, False)

    def test_it_keeps_the_star_for_system_tags(
        self, owner_client: Client, acworth: Practice, interests: TagGroup
    ) -> None:
        response = owner_client.post(
            f"/settings/tags/groups/{interests.public_id}/add/", {"name": "*Chess"}
        )
        assert response.status_code == 422
        assert response.context["error"] == (
            "Tag names starting with “*” are kept for system tags. Choose a name without the “*”."
        )
        assert not Tag.objects.filter(name="*Chess").exists()

    def test_it_refuses_a_tag_name_the_practice_has(
        self, owner_client: Client, interests: TagGroup
    ) -> None:
        response = owner_client.post(
            f"/settings/tags/groups/{interests.public_id}/add/", {"name": "music"}
        )
        assert response.status_code == 409
        assert response.context["error"] == (
            "The Interests group already has a tag named “Music”. Tag names are unique across "
            "the practice; choose another name."
        )
        assert Tag.objects.filter(name__iexact="music").count() == 1

    def test_it_renames_a_custom_tag(
        self, owner_client: Client, acworth: Practice, interests: TagGroup
    ) -> None:
        tag = _tag(acworth, "Sports")
        response = owner_client.post(f"/settings/tags/{tag.public_id}/rename/", {"name": "Soccer"})
        assert response.status_code == 302
        assert flashes(response) == ["Tag “Sports” is now “Soccer”."]
        tag.refresh_from_db()
        assert tag.name == "Soccer"
        assert AuditEvent.objects.get(action="tag.rename").detail == {
            "from": "Sports",
            "to": "Soccer",
        }

    def test_it_refuses_to_rename_a_system_tag(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        tag = _tag(acworth, "*Orthodontic Patient")
        response = owner_client.post(f"/settings/tags/{tag.public_id}/rename/", {"name": "Ortho"})
        assert response.status_code == 409
        assert response.context["error"] == (
            "“*Orthodontic Patient” is a system tag: it cannot be renamed or deleted, because "
            "PMS tag mappings and reports rely on it. Location tags change when you rename the "
            "location under Settings > Locations."
        )
        tag.refresh_from_db()
        assert tag.name == "*Orthodontic Patient"

    def test_it_refuses_to_delete_a_system_tag(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        tag = _tag(acworth, "*Acworth")
        response = owner_client.post(f"/settings/tags/{tag.public_id}/delete/", {"confirm": "yes"})
        assert response.status_code == 409
        assert response.context["error"].startswith("“*Acworth” is a system tag: it cannot be")
        assert Tag.objects.filter(pk=tag.pk).exists()
        page = owner_client.get(f"/settings/tags/{tag.public_id}/delete/")
        assert page.status_code == 409
        assert page.context["error"] == response.context["error"]

    def test_it_refuses_to_rename_or_delete_a_system_group(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        status = TagGroup.objects.get(practice=acworth, kind=TagGroupKind.STATUS)
        message = (
            "“Status” is a system group: it cannot be renamed or deleted. "
            "You can still add your own tags to it."
        )
        rename = owner_client.post(
            f"/settings/tags/groups/{status.public_id}/rename/", {"name": "Phase"}
        )
        delete = owner_client.post(
            f"/settings/tags/groups/{status.public_id}/delete/", {"confirm": "yes"}
        )
        assert (rename.status_code, rename.context["error"]) == (409, message)
        assert (delete.status_code, delete.context["error"]) == (409, message)
        status.refresh_from_db()
        assert status.name == "Status"

    def test_it_deletes_an_unused_tag_at_once(
        self, owner_client: Client, acworth: Practice, interests: TagGroup
    ) -> None:
        tag = _tag(acworth, "Music")
        response = owner_client.post(f"/settings/tags/{tag.public_id}/delete/")
        assert response.status_code == 302
        assert flashes(response) == ["Tag “Music” deleted."]
        assert not Tag.objects.filter(pk=tag.pk).exists()
        assert AuditEvent.objects.get(action="tag.delete").detail == {
            "name": "Music",
            "group": "Interests",
            "patients": 0,
        }

    def test_it_asks_to_confirm_deleting_a_tag_in_use(
        self, owner_client: Client, acworth: Practice, interests: TagGroup, make_profile: Any
    ) -> None:
        make_profile(acworth, tags=("Sports",))
        tag = _tag(acworth, "Sports")
        response = owner_client.post(f"/settings/tags/{tag.public_id}/delete/")
        assert response.status_code == 302
        assert response["Location"] == f"/settings/tags/{tag.public_id}/delete/"
        assert flashes(response) == [
            "“Sports” is on 1 patient. Deleting it removes it from them. Confirm to go ahead."
        ]
        assert ProfileTag.objects.filter(tag=tag).count() == 1
        page = owner_client.get(response["Location"])
        assert page.status_code == 200
        assert page.context["count"] == 1
        assert b'name="confirm" value="yes"' in page.content

    def test_it_deletes_a_confirmed_tag_from_every_profile_with_audit_rows(
        self, owner_client: Client, acworth: Practice, interests: TagGroup, make_profile: Any
    ) -> None:
        emma = make_profile(acworth, tags=("Sports", "*Acworth"))
        liam = make_profile(acworth, first="Liam", last="Reed", tags=("Sports",))
        tag = _tag(acworth, "Sports")
        response = owner_client.post(f"/settings/tags/{tag.public_id}/delete/", {"confirm": "yes"})
        assert response.status_code == 302
        assert flashes(response) == ["Tag “Sports” deleted and removed from 2 patients."]
        assert not Tag.objects.filter(pk=tag.pk).exists()
        assert list(emma.tags.values_list("name", flat=True)) == ["*Acworth"]
        untagged = AuditEvent.objects.filter(action="profile.untag").order_by("profile_id")
        assert [(e.profile_id, e.detail, e.actor_label) for e in untagged] == [
            (emma.pk, {"removed": ["Sports"], "reason": "tag deleted"}, "owner"),
            (liam.pk, {"removed": ["Sports"], "reason": "tag deleted"}, "owner"),
        ]
        assert AuditEvent.objects.get(action="tag.delete").detail["patients"] == 2

    def test_it_deletes_a_custom_group_with_its_tags_once_confirmed(
        self, owner_client: Client, acworth: Practice, interests: TagGroup, make_profile: Any
    ) -> None:
        make_profile(acworth, tags=("Sports", "Music"))
        url = f"/settings/tags/groups/{interests.public_id}/delete/"
        first = owner_client.post(url)
        assert first.status_code == 302 and first["Location"] == url
        assert flashes(first) == [
            "Tags of “Interests” are on 1 patient. Deleting the group removes its tags from "
            "them. Confirm to go ahead."
        ]
        assert TagGroup.objects.filter(pk=interests.pk).exists()
        page = owner_client.get(url)
        assert (page.status_code, page.context["count"]) == (200, 1)
        response = owner_client.post(url, {"confirm": "yes"})
        assert response.status_code == 302
        assert flashes(response) == [
            "Tag group “Interests” deleted; its tags were removed from 1 patient."
        ]
        assert not TagGroup.objects.filter(pk=interests.pk).exists()
        assert not Tag.objects.filter(name__in=["Sports", "Music"]).exists()
        assert AuditEvent.objects.filter(action="profile.untag").count() == 2

    def test_it_renames_a_custom_group(self, owner_client: Client, interests: TagGroup) -> None:
        response = owner_client.post(
            f"/settings/tags/groups/{interests.public_id}/rename/", {"name": "Hobbies"}
        )
        assert response.status_code == 302
        interests.refresh_from_db()
        assert interests.name == "Hobbies"

    def test_it_answers_404_for_another_practices_tag(
        self, outsider_client: Client, acworth: Practice, interests: TagGroup
    ) -> None:
        tag = _tag(acworth, "Sports")
        for url in (
            f"/settings/tags/{tag.public_id}/rename/",
            f"/settings/tags/{tag.public_id}/delete/",
        ):
            assert outsider_client.post(url, {"name": "x", "confirm": "yes"}).status_code == 404
        response = outsider_client.post(
            f"/settings/tags/groups/{interests.public_id}/add/", {"name": "Mine"}
        )
        assert response.status_code == 404
        tag.refresh_from_db()
        assert tag.name == "Sports"
        assert not Tag.objects.filter(name="Mine").exists()
