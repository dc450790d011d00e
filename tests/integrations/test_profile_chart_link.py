"""The staff profile shows its PMS chart link: system, chart id, linked since, last
sync and the chart's latest Sync log entry, in the practice's time zone, inside
the practice only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from tests.integrations.conftest import CHART, EMMA, SYSTEM, Api

from rewardshub.integrations.actions import add_tag_rule
from rewardshub.integrations.models import PmsLink, SyncAction, SyncEvent, SyncOutcome, TagRule
from rewardshub.patients.actions import add_tag
from rewardshub.patients.models import Profile, Tag, TagGroup, TagGroupKind
from rewardshub.practices.models import Practice

UTC = dt.UTC
LINKED = dt.datetime(2026, 1, 15, 14, 0, tzinfo=UTC)  # Jan 15, 6 a.m. in Los Angeles
SYNCED = dt.datetime(2026, 6, 2, 3, 15, tzinfo=UTC)  # June 1, 8:15 p.m. in Los Angeles
FAILED = dt.datetime(2026, 6, 3, 16, 45, tzinfo=UTC)  # June 3, 9:45 a.m. in Los Angeles


def link(practice: Practice, profile: Profile, chart_id: str = "OT-4471") -> PmsLink:
    made = PmsLink.objects.create(
        practice=practice,
        system="orthotrac",
        chart_id=chart_id,
        profile=profile,
        last_synced_at=SYNCED,
    )
    PmsLink.objects.filter(pk=made.pk).update(created_at=LINKED)
    return made


def log(practice: Practice, chart_id: str, outcome: str, at: dt.datetime, **extra: str) -> None:
    event = SyncEvent.objects.create(
        practice=practice,
        system="orthotrac",
        chart_id=chart_id,
        action=extra.pop("action", SyncAction.UPDATE),
        outcome=outcome,
        **extra,
    )
    SyncEvent.objects.filter(pk=event.pk).update(created_at=at)


def panel(client: Client, profile: Profile) -> str:
    response = client.get(reverse("patients:detail", kwargs={"public_id": profile.public_id}))
    assert response.status_code == 200
    html = response.content.decode()
    found = re.search(r'<section class="panel" id="pms-link">(.*?)</section>', html, re.S)
    assert found, "the profile shows no PMS link"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    acworth.time_zone = "America/Los_Angeles"
    acworth.save(update_fields=["time_zone"])
    return make_profile(acworth)


class TestChartLinkOnProfile:
    def test_it_shows_system_chart_times_and_latest_outcome_in_practice_time(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        link(acworth, emma)
        log(acworth, "OT-4471", SyncOutcome.UPDATED, SYNCED)
        log(acworth, "OT-4471", SyncOutcome.ERROR, FAILED, error="invalid_field")

        text = panel(frontdesk_client, emma)

        assert "System Orthotrac" in text
        assert "Chart id OT-4471" in text
        assert "Linked since Jan. 15, 2026, 6 a.m." in text
        assert "Last sync June 1, 2026, 8:15 p.m." in text
        assert "Last Sync log entry Update: Failed , June 3, 2026, 9:45 a.m." in text

    def test_a_newer_event_of_another_practice_for_the_same_chart_is_not_shown(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        riverside: Practice,
        emma: Profile,
        make_profile: Callable[..., Profile],
    ) -> None:
        link(acworth, emma)
        log(acworth, "OT-4471", SyncOutcome.UPDATED, SYNCED)
        link(riverside, make_profile(riverside), chart_id="OT-4471")
        log(riverside, "OT-4471", SyncOutcome.ERROR, FAILED, action=SyncAction.LAUNCH)

        text = panel(frontdesk_client, emma)

        assert "Last Sync log entry Update: Updated , June 1, 2026, 8:15 p.m." in text
        assert "Failed" not in text
        assert text.count("Chart id") == 1

    def test_a_chart_with_no_sync_log_entry_says_so(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        link(acworth, emma)

        assert "Last Sync log entry None yet" in panel(frontdesk_client, emma)

    def test_the_chart_id_is_in_no_link_of_the_page(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        link(acworth, emma)
        path = reverse("patients:detail", kwargs={"public_id": emma.public_id})

        html = frontdesk_client.get(path).content.decode()

        assert "OT-4471" in html
        for url in re.findall(r'(?:href|action|src)="([^"]*)"', html):
            assert "OT-4471" not in url

    def test_an_unlinked_profile_shows_no_pms_panel(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        path = reverse("patients:detail", kwargs={"public_id": emma.public_id})

        assert 'id="pms-link"' not in frontdesk_client.get(path).content.decode()


def tags_block(client: Client, profile: Profile) -> str:
    response = client.get(reverse("patients:detail", kwargs={"public_id": profile.public_id}))
    assert response.status_code == 200
    found = re.search(
        r'<div class="tags-block" id="tags">(.*?)</section>', response.content.decode(), re.S
    )
    assert found
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def custom_tag(practice: Practice, name: str) -> Tag:
    group = TagGroup.objects.create(
        practice=practice, name="Extras", kind=TagGroupKind.CUSTOM, position=9
    )
    return Tag.objects.create(practice=practice, group=group, name=name, position=0)


class TestPmsTagsOnProfile:
    def test_tags_the_pms_mapping_set_are_marked_with_a_note(
        self,
        frontdesk_client: Client,
        api: Api,
        acworth: Practice,
        cards: list[str],
        tag_rules: list[TagRule],
    ) -> None:
        vip = custom_tag(acworth, "VIP")
        add_tag_rule(
            practice=acworth,
            system="orthotrac",
            field="office",
            value="VIPX",
            tag=vip,
            actor=SYSTEM,
        )
        api.set_card(CHART, cards[0], **{**EMMA, "pms_status": "Active Tx", "office": "ACW"})
        profile = Profile.objects.get(username=cards[0])
        add_tag(practice=acworth, profile=profile, tag=vip, actor=SYSTEM)

        text = tags_block(frontdesk_client, profile)

        assert "*Orthodontic Patient comes from the PMS tag mapping" in text
        assert "*Acworth comes from the PMS tag mapping" in text
        assert "VIP PMS" in text
        assert "Tags marked PMS come from the PMS tag mapping" in text

    def test_a_hand_set_tag_no_rule_maps_is_not_marked(
        self,
        frontdesk_client: Client,
        api: Api,
        acworth: Practice,
        cards: list[str],
        tag_rules: list[TagRule],
    ) -> None:
        api.set_card(CHART, cards[0], **EMMA)
        profile = Profile.objects.get(username=cards[0])
        extra = custom_tag(acworth, "Referred a friend")
        add_tag(practice=acworth, profile=profile, tag=extra, actor=SYSTEM)

        text = tags_block(frontdesk_client, profile)

        assert "Referred a friend" in text
        assert "PMS" not in text

    def test_a_rule_of_a_system_the_chart_is_not_linked_in_marks_nothing(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        emma: Profile,
        tag_rules: list[TagRule],
    ) -> None:
        PmsLink.objects.create(
            practice=acworth,
            system="dolphin",
            chart_id="D-1",
            profile=emma,
            last_synced_at=SYNCED,
        )
        status = Tag.objects.get(practice=acworth, name="*Orthodontic Patient")
        add_tag(practice=acworth, profile=emma, tag=status, actor=SYSTEM)

        text = tags_block(frontdesk_client, emma)

        assert "*Orthodontic Patient" in text
        assert "PMS" not in text

    def test_an_unlinked_profile_has_no_pms_tag(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        emma: Profile,
        tag_rules: list[TagRule],
    ) -> None:
        status = Tag.objects.get(practice=acworth, name="*Orthodontic Patient")
        add_tag(practice=acworth, profile=emma, tag=status, actor=SYSTEM)

        assert "PMS" not in tags_block(frontdesk_client, emma)


def edit_page(client: Client, profile: Profile) -> str:
    response = client.get(reverse("patients:edit", kwargs={"public_id": profile.public_id}))
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


class TestEditDetailsOfALinkedProfile:
    def test_it_names_the_fields_the_pms_overwrites(
        self,
        frontdesk_client: Client,
        api: Api,
        cards: list[str],
        tag_rules: list[TagRule],
    ) -> None:
        api.set_card(CHART, cards[0], **EMMA)
        profile = Profile.objects.get(username=cards[0])

        text = edit_page(frontdesk_client, profile)

        assert (
            "At its next update, Orthotrac overwrites these fields with what it sends: "
            "first name, last name, preferred name, birth date, email, mobile phone, "
            "home phone, responsible party, location." in text
        )
        assert "Mobile phone (optional) Orthotrac overwrites this at its next update." in text

    def test_the_location_is_left_out_when_no_office_maps_to_a_location(
        self, frontdesk_client: Client, api: Api, cards: list[str]
    ) -> None:
        api.set_card(CHART, cards[0], **EMMA)
        profile = Profile.objects.get(username=cards[0])

        text = edit_page(frontdesk_client, profile)

        assert "home phone, responsible party. Make lasting changes" in text
        assert "Location Orthotrac overwrites" not in text

    def test_an_unlinked_profile_gets_no_such_note(
        self, frontdesk_client: Client, emma: Profile, tag_rules: list[TagRule]
    ) -> None:
        text = edit_page(frontdesk_client, emma)

        assert "overwrites" not in text
