"""The staff pages of profile merge, and the merged profile's username after it:
the profile page, the search box, Set card and launch from Orthotrac, the portal."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from tests.conftest import SYSTEM
from tests.integrations.conftest import CHART, EMMA
from tests.url_walk import snapshot

from rewardshub.merges.actions import merge_profiles
from rewardshub.patients.models import Profile
from rewardshub.portal.session import SESSION_PROFILE
from rewardshub.practices.models import Practice

from .conftest import BORN, PORTAL_PASSWORD, Pair

pytestmark = pytest.mark.django_db

DUPLICATES = "/patients/duplicates/"


def review_url(survivor: Profile, merged: Profile) -> str:
    return reverse("merges:review", args=[survivor.public_id, merged.public_id])


def confirm_url(survivor: Profile, merged: Profile) -> str:
    return reverse("merges:confirm", args=[survivor.public_id, merged.public_id])


def detail_url(profile: Profile) -> str:
    return reverse("patients:detail", args=[profile.public_id])


def merged(pair: Pair) -> None:
    merge_profiles(practice=pair.practice, survivor=pair.kept, merged=pair.dupe, actor=SYSTEM)


class TestDuplicates:
    def test_it_lists_profiles_with_the_same_names_and_birth_date(
        self, pair: Pair, owner_client: Client
    ) -> None:
        response = owner_client.get(DUPLICATES)
        assert response.status_code == 200
        pairs = response.context["pairs"]
        # The one synced with Orthotrac is offered as the one to keep.
        assert [(p.survivor.pk, p.merged.pk) for p in pairs] == [(pair.dupe.pk, pair.kept.pk)]
        assert review_url(pair.dupe, pair.kept) in response.content.decode()

    def test_it_does_not_pair_siblings_who_share_an_email(
        self, acworth: Practice, make_profile: Callable[..., Profile], owner_client: Client
    ) -> None:
        make_profile(acworth, first="Emma", email="parent@example.com", birth_date=BORN)
        make_profile(acworth, first="Liam", email="parent@example.com", birth_date=BORN)
        make_profile(acworth, first="Emma", email="parent@example.com")  # no birth date
        response = owner_client.get(DUPLICATES)
        assert response.context["pairs"] == []
        assert "No two profiles share a first name, last name and birth date." in (
            response.content.decode()
        )

    def test_it_matches_names_whatever_the_case_and_spaces(
        self, acworth: Practice, make_profile: Callable[..., Profile], owner_client: Client
    ) -> None:
        a = make_profile(acworth, first="Emma", last="Johnson", birth_date=BORN)
        b = make_profile(acworth, first="EMMA ", last="johnson", birth_date=BORN)
        pairs = owner_client.get(DUPLICATES).context["pairs"]
        assert [(p.survivor.pk, p.merged.pk) for p in pairs] == [(a.pk, b.pk)]

    def test_it_leaves_out_merged_profiles(self, pair: Pair, owner_client: Client) -> None:
        merged(pair)
        assert owner_client.get(DUPLICATES).context["pairs"] == []

    def test_front_desk_staff_cannot_merge(self, pair: Pair, frontdesk_client: Client) -> None:
        assert frontdesk_client.get(DUPLICATES).status_code == 403
        assert frontdesk_client.get(review_url(pair.kept, pair.dupe)).status_code == 403
        before = snapshot(pair.practice)
        response = frontdesk_client.post(confirm_url(pair.kept, pair.dupe), {"confirm": "on"})
        assert response.status_code == 403
        assert snapshot(pair.practice) == before


class TestReview:
    def test_it_shows_both_profiles_and_what_moves(self, pair: Pair, owner_client: Client) -> None:
        response = owner_client.get(review_url(pair.kept, pair.dupe))
        assert response.status_code == 200
        assert response.context["moves"] == [
            "40 points move to the profile kept.",
            f"Active card …{pair.card_b[-4:]} is retired: the profile kept has its own card.",
            "Tags added: *Marietta, Elastics club.",
            "Tags not added (the profile kept has its own): *Retainer Patient.",
            f"The PMS link (chart {CHART}) moves.",
            "The patient portal account moves.",
            f"The username {pair.dupe.username} will open the profile kept; the merged "
            "profile's history stays readable there.",
        ]
        page = response.content.decode()
        assert pair.kept.username in page and pair.dupe.username in page
        assert review_url(pair.dupe, pair.kept) in page  # keep the other instead

    def test_it_says_why_two_charts_cannot_merge(
        self, pair: Pair, owner_client: Client, issue_cards: Callable[[Practice, int], list[str]]
    ) -> None:
        card = issue_cards(pair.practice, 1)[0]
        pair.api.set_card("OT-2002", card, **EMMA)
        other = Profile.objects.get(username=card)
        response = owner_client.get(review_url(other, pair.dupe))
        assert response.status_code == 200
        assert response.context["refusal"].startswith(
            "These profiles are synced with two different Orthotrac charts (OT-2002 and OT-1001)"
        )
        assert confirm_url(other, pair.dupe) not in response.content.decode()

    def test_another_practices_profile_is_not_found(
        self,
        pair: Pair,
        owner_client: Client,
        outsider_client: Client,
        riverside: Practice,
        make_profile: Callable[..., Profile],
    ) -> None:
        assert outsider_client.get(review_url(pair.kept, pair.dupe)).status_code == 404
        foreign = make_profile(riverside, birth_date=BORN)
        assert owner_client.get(review_url(pair.kept, foreign)).status_code == 404
        before = snapshot(pair.practice)
        response = outsider_client.post(confirm_url(pair.kept, pair.dupe), {"confirm": "on"})
        assert response.status_code == 404
        foreign_merge = owner_client.post(confirm_url(pair.kept, foreign), {"confirm": "on"})
        assert foreign_merge.status_code == 404
        assert snapshot(pair.practice) == before


class TestConfirm:
    def test_it_merges_and_goes_to_the_profile_kept(self, pair: Pair, owner_client: Client) -> None:
        response = owner_client.post(confirm_url(pair.kept, pair.dupe), {"confirm": "on"})
        assert response.status_code == 302
        assert response["Location"] == detail_url(pair.kept)
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            f"Merged the profile with username {pair.dupe.username} into this one. "
            "Moved: 40 points, 2 tags, the PMS link, the portal account. "
            f"Card …{pair.card_b[-4:]} was retired: this profile keeps its own card."
        ]
        assert Profile.objects.get(pk=pair.dupe.pk).merged_into_id == pair.kept.pk

    def test_it_needs_the_box_ticked(self, pair: Pair, owner_client: Client) -> None:
        before = snapshot(pair.practice)
        response = owner_client.post(confirm_url(pair.kept, pair.dupe), {})
        assert response.status_code == 422
        assert "Tick the box to confirm that these are the same patient." in (
            response.content.decode()
        )
        assert snapshot(pair.practice) == before

    def test_it_refuses_a_profile_merged_into_itself(
        self, pair: Pair, owner_client: Client
    ) -> None:
        before = snapshot(pair.practice)
        response = owner_client.post(confirm_url(pair.kept, pair.kept), {"confirm": "on"})
        assert response.status_code == 422
        assert response.context["refusal"] == (
            "A profile cannot be merged into itself. Choose the other profile of this patient. "
            "Nothing was changed."
        )
        assert snapshot(pair.practice) == before

    def test_it_refuses_to_merge_into_a_tombstone(
        self, pair: Pair, owner_client: Client, make_profile: Callable[..., Profile]
    ) -> None:
        merged(pair)
        third = make_profile(pair.practice, birth_date=BORN)
        before = snapshot(pair.practice)
        response = owner_client.post(confirm_url(pair.dupe, third), {"confirm": "on"})
        assert response.status_code == 409
        assert response.context["refusal"].startswith(
            f"The profile with username {pair.dupe.username} was already merged into another "
            "profile, so nothing can be merged into it."
        )
        assert snapshot(pair.practice) == before

    def test_it_takes_only_a_post_with_a_csrf_token(self, pair: Pair, owner: object) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(owner)  # type: ignore[arg-type]
        assert client.get(confirm_url(pair.kept, pair.dupe)).status_code == 405
        response = client.post(confirm_url(pair.kept, pair.dupe), {"confirm": "on"})
        assert response.status_code == 403
        assert Profile.objects.get(pk=pair.dupe.pk).merged_into_id is None


class TestTheMergedUsername:
    def test_the_merged_profile_page_leads_to_the_survivor(
        self, pair: Pair, frontdesk_client: Client
    ) -> None:
        merged(pair)
        response = frontdesk_client.get(detail_url(pair.dupe))
        assert response.status_code == 302 and response["Location"] == detail_url(pair.kept)

    def test_the_search_box_finds_the_survivor_by_the_old_username(
        self, pair: Pair, frontdesk_client: Client
    ) -> None:
        merged(pair)
        response = frontdesk_client.post("/patients/search/", {"q": pair.dupe.username})
        assert response.status_code == 302 and response["Location"] == detail_url(pair.kept)
        [note] = [str(m) for m in get_messages(response.wsgi_request)]
        assert note.startswith(
            "That number is the username of a profile merged into this one, and also the "
            "number of its first card. This card was retired on "
        )

    def test_a_swipe_of_the_retired_card_says_why_and_links_the_survivor(
        self, pair: Pair, frontdesk_client: Client
    ) -> None:
        merged(pair)
        response = frontdesk_client.post("/patients/search/", {"q": f";{pair.card_b}=9912?"})
        assert response.status_code == 200
        outcome = response.context["outcome"]
        assert outcome.error.code == "card_retired"
        assert "when its profile was merged into another profile of the same patient" in (
            outcome.error.message
        )
        assert outcome.card.profile_id == pair.kept.pk

    def test_the_list_and_name_search_show_only_the_survivor(
        self, pair: Pair, frontdesk_client: Client
    ) -> None:
        merged(pair)
        listed = frontdesk_client.get("/patients/").context["rows"]
        assert [p.pk for p in listed] == [pair.kept.pk]
        found = frontdesk_client.post("/patients/search/", {"q": "Emma Johnson"})
        assert [p.pk for p in found.context["rows"]] == [pair.kept.pk]

    def test_the_survivors_history_shows_the_merged_profiles_entries(
        self, pair: Pair, frontdesk_client: Client
    ) -> None:
        merged(pair)
        page = frontdesk_client.get(detail_url(pair.kept)).content.decode()
        assert f"From merged profile {pair.dupe.username}" in page
        rows = frontdesk_client.get(detail_url(pair.kept)).context["rows"]
        marks = [(r.kind, r.points, r.merged_from, bool(r.reverse_url)) for r in rows]
        assert marks == [
            ("merge_in", "+40", "", False),
            ("merge_out", "-40", pair.dupe.username, False),
            ("award", "+35", pair.dupe.username, False),
            ("auto", "+5", pair.dupe.username, False),
            ("award", "+30", "", True),
        ]

    def test_set_card_with_the_old_card_number_reaches_the_survivor(self, pair: Pair) -> None:
        merged(pair)
        answer = pair.api.set_card(CHART, pair.card_b, **EMMA)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert (body["outcome"], body["username"]) == ("already_linked", pair.kept.username)

    def test_launch_opens_the_survivor(self, pair: Pair) -> None:
        merged(pair)
        answer = pair.api.launch(CHART, "profile")
        assert answer.status_code == 200, answer.content
        client = Client()
        opened = client.get(urlsplit(answer.json()["url"]).path, follow=True)
        assert opened.status_code == 200
        assert opened.context["profile"].pk == pair.kept.pk

    def test_the_portal_logs_the_old_username_in_to_the_survivor(self, pair: Pair) -> None:
        merged(pair)
        client = Client()
        response = client.post(
            "/portal/login/", {"identifier": pair.dupe.username, "password": PORTAL_PASSWORD}
        )
        assert response.status_code == 302 and response["Location"] == "/portal/"
        assert client.session[SESSION_PROFILE] == pair.kept.pk
