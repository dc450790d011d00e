"""The points API: POST and GET /api/v1/pms/{system}/patients/{chart_id}/points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from tests.integrations.conftest import CHART, EMMA, Api, make_key

from rewardshub.audit.models import AuditEvent
from rewardshub.integrations.models import IdempotencyRecord, SyncEvent
from rewardshub.patients.models import Profile
from rewardshub.points.models import EntryKind, LedgerEntry, PendingAward, RewardItem
from rewardshub.practices.models import Practice


@pytest.fixture
def api(acworth: Practice) -> Api:
    return Api(client=Client(), token=make_key(acworth)[1])


@pytest.fixture
def emma(api: Api, acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]) -> Profile:
    """Emma, synced from the PMS chart CHART."""
    response = api.set_card(CHART, issue_cards(acworth, 1)[0], **EMMA)
    assert response.status_code == 200, response.json()
    return Profile.objects.get(practice=acworth)


def award(api: Api, body: dict[str, Any], chart_id: str = CHART, **kwargs: Any) -> Any:
    return api.call("POST", api.path(chart_id, "/points"), body, **kwargs)


def balance(profile: Profile) -> int:
    profile.refresh_from_db()
    ledger = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
    assert profile.points_balance == ledger
    return profile.points_balance


def last_sync() -> SyncEvent:
    return SyncEvent.objects.latest("id")


class TestAward:
    def test_the_sync_log_says_1_point(self, api: Api, emma: Profile) -> None:
        assert award(api, {"amount": 1, "description": "Kind words"}).status_code == 200
        message = last_sync().message
        assert message == f"Awarded 1 point to hub patient {emma.username}; balance 1."

    def test_it_awards_menu_items_by_name_or_id(
        self, api: Api, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        body = {
            "items": ["on time", menu["elastics"].public_id.hex.upper()],
            "description": "Adjustment visit",
            "pms_user": "FRONTDESK",
        }
        response = award(api, body)
        assert response.status_code == 200
        data = response.json()
        assert data["balance"] == 8 == balance(emma)
        assert [(e["item"], e["points"], e["kind"]) for e in data["entries"]] == [
            ("On time", 3, "award"),
            ("Wearing elastics", 5, "award"),
        ]
        assert data["entries"][0]["by"] == "Orthotrac (FRONTDESK)"
        assert data["entries"][0]["description"] == "Adjustment visit"
        sync = last_sync()
        assert (sync.action, sync.outcome, sync.profile, sync.pms_user) == (
            "points",
            "awarded",
            emma,
            "FRONTDESK",
        )
        assert sync.message == f"Awarded 8 points to hub patient {emma.username}; balance 8."
        assert AuditEvent.objects.filter(action="points.award", profile=emma).count() == 1
        assert AuditEvent.objects.filter(action="pms.points", profile=emma).count() == 1

    def test_it_gives_misc_points_with_a_description(self, api: Api, emma: Profile) -> None:
        response = award(api, {"amount": 25, "description": "Science fair"})
        assert response.status_code == 200
        assert response.json()["balance"] == 25
        entry = LedgerEntry.objects.get(profile=emma)
        assert (entry.kind, entry.points, entry.description) == (
            EntryKind.ADJUST,
            25,
            "Science fair",
        )

    def test_it_holds_misc_points_for_approval_when_the_practice_asks(
        self, api: Api, acworth: Practice, emma: Profile
    ) -> None:
        Practice.objects.filter(pk=acworth.pk).update(misc_requires_approval=True)
        response = award(api, {"amount": 25, "description": "Science fair"})
        assert response.status_code == 202
        data = response.json()
        pending = PendingAward.objects.get(profile=emma)
        assert data == {
            "entries": [],
            "balance": 0,
            "pending": {"id": str(pending.public_id), "points": 25, "description": "Science fair"},
        }
        assert last_sync().outcome == "pending"
        assert balance(emma) == 0

    def test_it_requires_a_description_with_an_amount(self, api: Api, emma: Profile) -> None:
        response = award(api, {"amount": 25})
        assert response.status_code == 422
        assert response.json() == {
            "error": "description_required",
            "message": "Say why these points are given.",
        }
        assert balance(emma) == 0
        assert (last_sync().outcome, last_sync().error) == ("error", "description_required")

    def test_it_wants_items_or_an_amount_not_both(
        self, api: Api, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        message = "Send either items (menu rewards by name or id) or amount with a description."
        for body in ({"items": ["On time"], "amount": 5, "description": "x"}, {"items": []}):
            response = award(api, body)
            assert response.status_code == 422
            assert response.json() == {"error": "validation_error", "message": message}
        assert balance(emma) == 0

    def test_it_refuses_an_amount_out_of_range(self, api: Api, emma: Profile) -> None:
        response = award(api, {"amount": 0, "description": "x"})
        assert response.status_code == 422
        assert response.json()["error"] == "validation_error"
        assert "amount" in response.json()["message"]
        assert balance(emma) == 0

    def test_it_refuses_an_unknown_item_and_gives_nothing(
        self, api: Api, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        response = award(api, {"items": ["On time", "Free pizza"]})
        assert response.status_code == 422
        assert response.json() == {
            "error": "unknown_item",
            "message": "“Free pizza” is not on the practice's reward menu (or is no longer "
            "active). Send a reward's name as the menu shows it, or its id.",
        }
        assert balance(emma) == 0
        assert last_sync().error == "unknown_item"

    def test_it_refuses_an_inactive_item(
        self, api: Api, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        RewardItem.objects.filter(pk=menu["on_time"].pk).update(active=False)
        response = award(api, {"items": ["On time"]})
        assert response.status_code == 422
        assert response.json()["error"] == "unknown_item"
        assert balance(emma) == 0

    def test_it_refuses_an_item_inside_its_repeat_window(
        self, api: Api, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        assert award(api, {"items": ["Patient survey"]}).status_code == 200
        response = award(api, {"items": ["On time", "Patient survey"]})
        assert response.status_code == 409
        assert response.json()["error"] == "repeat_window"
        assert response.json()["message"].startswith(
            "“Patient survey” was already given to Emma on "
        )
        assert response.json()["message"].endswith("Nothing was awarded.")
        assert balance(emma) == 150
        assert LedgerEntry.objects.filter(profile=emma).count() == 1

    def test_it_says_when_the_chart_is_not_synced(
        self, api: Api, acworth: Practice, menu: dict[str, RewardItem]
    ) -> None:
        response = award(api, {"items": ["On time"]}, chart_id="OT-404")
        assert response.status_code == 404
        assert response.json()["error"] == "not_synced"
        assert not LedgerEntry.objects.exists()
        assert (last_sync().chart_id, last_sync().error) == ("OT-404", "not_synced")

    def test_it_keeps_practices_apart(
        self, api: Api, riverside: Practice, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        theirs = Api(client=Client(), token=make_key(riverside)[1])
        response = award(theirs, {"items": ["On time"]})
        assert response.status_code == 404
        assert response.json()["error"] == "not_synced"
        assert balance(emma) == 0


class TestIdempotency:
    def test_it_replays_the_same_key_and_body(
        self, api: Api, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        body = {"items": ["On time", "Wearing elastics"]}
        first = award(api, body, idempotency_key="visit-77")
        again = award(api, body, idempotency_key="visit-77")
        assert again.status_code == 200
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"
        assert balance(emma) == 8
        assert LedgerEntry.objects.filter(profile=emma).count() == 2
        assert last_sync().outcome == "replayed"

    def test_it_refuses_the_same_key_with_a_different_body(
        self, api: Api, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        award(api, {"items": ["On time"]}, idempotency_key="visit-77")
        response = award(api, {"items": ["Wearing elastics"]}, idempotency_key="visit-77")
        assert response.status_code == 409
        assert response.json() == {
            "error": "idempotency_key_reused",
            "message": "This Idempotency-Key was used for another request; send a new key. "
            "(To repeat a request, send the same body to the same address with its key.)",
        }
        assert balance(emma) == 3
        assert IdempotencyRecord.objects.count() == 1

    def test_it_lets_a_refused_request_be_retried_with_the_same_key(
        self, api: Api, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        refused = award(api, {"items": ["On tim"]}, idempotency_key="visit-78")
        assert refused.status_code == 422
        fixed = award(api, {"items": ["On time"]}, idempotency_key="visit-78")
        assert fixed.status_code == 200
        assert balance(emma) == 3


class TestHistory:
    def test_it_reads_the_balance_and_history_newest_first(
        self, api: Api, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        award(api, {"items": ["On time"]})
        award(api, {"amount": 7, "description": "Art"})
        response = api.call("GET", api.path(CHART, "/points"))
        assert response.status_code == 200
        data = response.json()
        assert (data["balance"], data["page"], data["pages"], data["total"]) == (10, 1, 1, 2)
        assert [(e["kind"], e["points"], e["item"], e["reversed"]) for e in data["entries"]] == [
            ("adjust", 7, None, False),
            ("award", 3, "On time", False),
        ]
        sync = last_sync()
        assert (sync.action, sync.outcome, sync.profile) == ("points", "reported", emma)

    def test_it_pages_fifty_at_a_time(
        self, api: Api, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        for n in range(51):
            award(api, {"amount": 1, "description": f"n{n}"})
        second = api.call("GET", api.path(CHART, "/points") + "?page=2").json()
        assert (second["page"], second["pages"], second["total"]) == (2, 2, 51)
        assert [e["description"] for e in second["entries"]] == ["n0"]

    def test_it_says_when_the_chart_is_not_synced(self, api: Api, acworth: Practice) -> None:
        response = api.call("GET", api.path("OT-404", "/points"))
        assert response.status_code == 404
        assert response.json()["error"] == "not_synced"
