"""Group awards: a preview, then one confirmation that pays each patient once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db.models import Sum
from django.test import Client
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.automations.settings_actions import save_settings
from rewardshub.campaigns.models import GroupAward, GroupAwardRecipient
from rewardshub.patients.models import Profile, Tag
from rewardshub.patients.tag_actions import create_tag, create_tag_group
from rewardshub.points.actions import award_items
from rewardshub.points.models import EntryKind, LedgerEntry, RewardItem
from rewardshub.practices.models import Practice

NEW = "/settings/campaigns/group/new/"
CONFIRM = "/settings/campaigns/group/confirm/"


@pytest.fixture
def debond(acworth: Practice) -> Tag:
    group = create_tag_group(practice=acworth, name="Events", actor=SYSTEM)
    return create_tag(practice=acworth, group=group, name="Debond this month", actor=SYSTEM)


@pytest.fixture
def patients(
    acworth: Practice, debond: Tag, make_profile: Callable[..., Profile]
) -> dict[str, Profile]:
    """Three tagged for the debond (Cal excluded from automatic points), Dee not tagged."""
    adult = Tag.objects.get(practice=acworth, name="*Adult Patient")
    save_settings(practice=acworth, excluded_tags=[adult], visits_since=None, actor=SYSTEM)
    found = {
        "ann": make_profile(acworth, first="Ann", last="Able", tags=("Debond this month",)),
        "bob": make_profile(acworth, first="Bob", last="Baker", tags=("Debond this month",)),
        "cal": make_profile(
            acworth, first="Cal", last="Cole", tags=("Debond this month", "*Adult Patient")
        ),
        "dee": make_profile(acworth, first="Dee", last="Dunn"),
    }
    return found


def _query(**fields: str) -> dict[str, str]:
    return {"tag": "", "reward_item": "", "points": "", "reason": "", **fields}


def _preview(client: Client, **fields: str) -> Any:
    return client.get(f"{NEW}?{urlencode({'preview': '1', **_query(**fields)})}")


def _confirm(client: Client, key: str, **fields: str) -> Any:
    return client.post(CONFIRM, {**_query(**fields), "key": key})


def _balances(profiles: dict[str, Profile]) -> dict[str, int]:
    found = {}
    for name, profile in profiles.items():
        profile.refresh_from_db()
        total = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
        assert profile.points_balance == total
        found[name] = profile.points_balance
    return found


def _party(debond: Tag) -> dict[str, str]:
    return {"tag": str(debond.public_id), "points": "25", "reason": "Debond party"}


class TestPreview:
    def test_it_shows_how_many_patients_and_points_and_who_is_left_out(
        self, owner_client: Client, patients: dict[str, Profile], debond: Tag
    ) -> None:
        response = _preview(owner_client, **_party(debond))
        assert response.status_code == 200
        plan = response.context["plan"]
        assert plan.recipients == sorted([patients["ann"].pk, patients["bob"].pk])
        assert plan.excluded == [patients["cal"].pk]
        html = response.content.decode()
        assert '<dd data-testid="recipients">2</dd>' in html
        assert '<dd data-testid="total">50</dd>' in html
        assert "1: 1 excluded from automatic points" in html
        assert "Give 50 points to 2 patients" in html
        assert not GroupAward.objects.exists() and not LedgerEntry.objects.exists()

    def test_it_says_what_is_wrong_with_the_form(
        self, owner_client: Client, acworth: Practice, patients: Any, menu: dict[str, RewardItem]
    ) -> None:
        cases = [
            ({}, {"__all__": ["Choose a reward from the menu, or enter points and a reason."]}),
            (
                {"reward_item": str(menu["on_time"].public_id), "points": "5"},
                {
                    "__all__": [
                        "Choose a reward from the menu, or enter points and a reason: not both."
                    ]
                },
            ),
            ({"points": "5"}, {"reason": ["Say why these points are given."]}),
            ({"points": "0", "reason": "x"}, {"points": ["Give at least 1 point."]}),
        ]
        for fields, errors in cases:
            response = _preview(owner_client, **fields)
            assert response.status_code == 422, fields
            form = response.context["form"]
            assert {k: [str(e) for e in v] for k, v in form.errors.items()} == errors

    def test_it_refuses_another_practices_tag(
        self, owner_client: Client, riverside: Practice, patients: Any
    ) -> None:
        group = create_tag_group(practice=riverside, name="Theirs", actor=SYSTEM)
        theirs = create_tag(practice=riverside, group=group, name="Their tag", actor=SYSTEM)
        response = _preview(owner_client, tag=str(theirs.public_id), points="5", reason="x")
        assert response.status_code == 422
        assert response.context["form"].errors["tag"] == ["Choose one of the tags in the list."]


class TestConfirm:
    def test_it_pays_each_patient_once_through_the_ledger(
        self, owner_client: Client, acworth: Practice, patients: dict[str, Profile], debond: Tag
    ) -> None:
        key = _preview(owner_client, **_party(debond)).context["key"]
        response = _confirm(owner_client, key, **_party(debond))
        award = GroupAward.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/settings/campaigns/group/{award.public_id}/"
        assert _balances(patients) == {"ann": 25, "bob": 25, "cal": 0, "dee": 0}
        assert (award.recipients_count, award.points_total, award.excluded_count) == (2, 50, 1)
        assert (award.label, award.tag, award.tag_name) == ("Debond party", debond, debond.name)
        entries = LedgerEntry.objects.order_by("profile_id")
        assert [(e.kind, e.points, e.description) for e in entries] == [
            (EntryKind.ADJUST, 25, "Debond party")
        ] * 2
        assert set(GroupAwardRecipient.objects.values_list("profile_id", "entry_id")) == {
            (e.profile_id, e.pk) for e in entries
        }
        per_profile = AuditEvent.objects.filter(action="points.group_award")
        assert sorted(per_profile.values_list("profile_id", flat=True)) == sorted(
            [patients["ann"].pk, patients["bob"].pk]
        )
        assert per_profile.first().detail == {  # type: ignore[union-attr]
            "label": "Debond party",
            "points": 25,
            "balance": 25,
        }
        group_event = AuditEvent.objects.get(action="campaigns.group_award")
        assert group_event.detail["patients"] == 2 and group_event.detail["total"] == 50
        page = owner_client.get(response["Location"]).content.decode()
        assert "Gave 25 points (“Debond party”) to 2 patients: 50 points in all." in page
        assert "1 patient left out." in page
        assert "Ann Able" in page and "Cal Cole" not in page

    def test_it_pays_no_one_twice_when_the_confirmation_is_sent_again(
        self, owner_client: Client, patients: dict[str, Profile], debond: Tag
    ) -> None:
        key = _preview(owner_client, **_party(debond)).context["key"]
        first = _confirm(owner_client, key, **_party(debond))
        again = _confirm(owner_client, key, **_party(debond))
        assert again.status_code == 302 and again["Location"] == first["Location"]
        assert GroupAward.objects.count() == 1 and LedgerEntry.objects.count() == 2
        assert _balances(patients) == {"ann": 25, "bob": 25, "cal": 0, "dee": 0}
        page = owner_client.get(again["Location"]).content.decode()
        assert "This group award was already made on" in page
        assert "no one was paid twice." in page

    def test_it_refuses_a_key_sent_with_another_award(
        self, owner_client: Client, patients: dict[str, Profile], debond: Tag
    ) -> None:
        key = _preview(owner_client, **_party(debond)).context["key"]
        _confirm(owner_client, key, **_party(debond))
        other = _confirm(owner_client, key, **{**_party(debond), "points": "99"})
        assert other.status_code == 409
        assert "This Idempotency-Key was used for another request" in other.content.decode()
        assert _balances(patients)["ann"] == 25

    def test_it_gives_a_menu_item_but_not_within_its_repeat_window(
        self,
        owner_client: Client,
        acworth: Practice,
        patients: dict[str, Profile],
        menu: dict[str, RewardItem],
    ) -> None:
        survey = menu["survey"]
        award_items(practice=acworth, profile=patients["dee"], items=[survey], actor=SYSTEM)
        fields = {"reward_item": str(survey.public_id)}
        preview = _preview(owner_client, **fields)
        assert preview.context["plan"].recent == [patients["dee"].pk]
        _confirm(owner_client, preview.context["key"], **fields)
        assert _balances(patients) == {"ann": 150, "bob": 150, "cal": 0, "dee": 150}
        award = GroupAward.objects.get()
        assert (award.recipients_count, award.excluded_count, award.recent_count) == (2, 1, 1)
        assert award.audience == "all patients"
        entries = LedgerEntry.objects.filter(kind=EntryKind.AWARD, reward_item=survey)
        assert entries.count() == 3

    def test_it_refuses_a_group_with_no_one_to_pay(
        self, owner_client: Client, acworth: Practice, patients: Any
    ) -> None:
        adult = Tag.objects.get(practice=acworth, name="*Adult Patient")
        fields = {"tag": str(adult.public_id), "points": "5", "reason": "Thanks"}
        preview = _preview(owner_client, **fields)
        assert "No patient tagged *Adult Patient can be given these points." in (
            preview.content.decode()
        )
        refused = _confirm(owner_client, "k" * 32, **fields)
        assert refused.status_code == 422
        assert (
            "No patient tagged *Adult Patient can be given these points (1 left out). "
            "Nothing was awarded." in refused.content.decode()
        )
        assert not GroupAward.objects.exists() and not LedgerEntry.objects.exists()

    def test_it_asks_for_the_preview_without_a_key(
        self, owner_client: Client, patients: Any, debond: Tag
    ) -> None:
        refused = owner_client.post(CONFIRM, _query(**_party(debond)))
        assert refused.status_code == 422
        assert "Open the preview again and confirm from there." in refused.content.decode()
        assert not LedgerEntry.objects.exists()


class TestAccess:
    def test_it_keeps_group_awards_to_owners_and_admins(
        self, frontdesk_client: Client, patients: Any, debond: Tag
    ) -> None:
        assert _preview(frontdesk_client, **_party(debond)).status_code == 403
        assert _confirm(frontdesk_client, "k" * 32, **_party(debond)).status_code == 403
        assert not LedgerEntry.objects.exists()

    def test_it_answers_404_for_another_practices_award(
        self, owner_client: Client, outsider_client: Client, patients: Any, debond: Tag
    ) -> None:
        key = _preview(owner_client, **_party(debond)).context["key"]
        _confirm(owner_client, key, **_party(debond))
        award = GroupAward.objects.get()
        detail = f"/settings/campaigns/group/{award.public_id}/"
        assert outsider_client.get(detail).status_code == 404
        # Their confirmation with Acworth's key and tag pays no one.
        theirs = _confirm(outsider_client, key, **_party(debond))
        assert theirs.status_code == 422
        assert LedgerEntry.objects.count() == 2

    def test_it_links_the_filtered_patient_list_to_a_group_award(
        self, owner_client: Client, frontdesk_client: Client, patients: Any, debond: Tag
    ) -> None:
        path = f"/patients/?tag={debond.public_id}"
        link = f'<a href="{NEW}?tag={debond.public_id}">Give all of them a group award</a>'
        assert link in owner_client.get(path).content.decode()
        assert "group award" not in frontdesk_client.get(path).content.decode()


def test_it_holds_each_recipients_award_when_the_practice_holds_group_awards(
    owner_client: Client, acworth: Practice, patients: dict[str, Profile], debond: Tag
) -> None:
    from rewardshub.points.models import PendingAward
    from rewardshub.points.rewards import save_reward_settings

    save_reward_settings(
        practice=acworth, held={"group"}, gift_max_points=500, gift_daily_max_points=1000,
        actor=SYSTEM,
    )
    key = _preview(owner_client, **_party(debond)).context["key"]
    response = _confirm(owner_client, key, **_party(debond))
    assert response.status_code == 302
    assert _balances(patients) == {"ann": 0, "bob": 0, "cal": 0, "dee": 0}
    assert not LedgerEntry.objects.exists()
    held = PendingAward.objects.order_by("profile_id")
    assert [(h.kind, h.points, h.profile_id) for h in held] == [
        ("group", 25, patients["ann"].pk),
        ("group", 25, patients["bob"].pk),
    ]
    assert set(GroupAwardRecipient.objects.values_list("profile_id", "held_id", "entry_id")) == {
        (h.profile_id, h.pk, None) for h in held
    }
    page = owner_client.get(response["Location"]).content.decode()
    assert "Held for approval 25 points (“Debond party”) to 2 patients" in page
    # Sent again: no second hold.
    _confirm(owner_client, key, **_party(debond))
    assert PendingAward.objects.count() == 2
