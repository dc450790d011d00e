"""Batch sync: many charts in one call, each with its own outcome, in few queries."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.integrations.conftest import CHART, EMMA, Api

from rewardshub.audit.models import AuditEvent
from rewardshub.integrations.models import PmsLink, SyncEvent, TagRule
from rewardshub.integrations.schemas import PROFILE_FIELDS
from rewardshub.patients.models import Profile, ProfileKind, ProfileTag
from rewardshub.practices.models import Practice


def _charts(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"chart_id": f"B-{i:04d}", "first_name": f"First{i}", "last_name": f"Last{i}", **extra}
        for i in range(n)
    ]


@pytest.mark.slow
def test_it_creates_a_thousand_chart_only_profiles_then_finds_them_unchanged_in_bounded_queries(
    api: Api, tag_rules: list[TagRule]
) -> None:
    patients = _charts(1000, pms_status="Active Tx", office="ACW")

    with CaptureQueriesContext(connection) as created_queries:
        response = api.batch(patients)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["created"] * 1000
    assert [r["chart_id"] for r in results] == [p["chart_id"] for p in patients]
    assert Profile.objects.filter(kind=ProfileKind.CHART_ONLY).count() == 1000
    assert PmsLink.objects.count() == 1000
    assert SyncEvent.objects.filter(action="batch", outcome="created").count() == 1000
    assert AuditEvent.objects.filter(action="profile.create").count() == 1000
    sample = Profile.objects.get(username=results[10]["username"])
    assert set(sample.tags.values_list("name", flat=True)) == {"*Orthodontic Patient", "*Acworth"}
    # A constant number of statements per chunk of charts, none per chart:
    # SQLite's 999-parameter limit splits the bulk inserts into ~90 statements,
    # PostgreSQL needs fewer.
    assert len(created_queries) <= 100, len(created_queries)

    with CaptureQueriesContext(connection) as again_queries:
        response = api.batch(patients)

    assert [r["outcome"] for r in response.json()["results"]] == ["unchanged"] * 1000
    assert Profile.objects.count() == 1000
    assert len(again_queries) <= 50, len(again_queries)


def test_it_updates_linked_charts_and_creates_chart_only_profiles_for_the_rest(
    api: Api, cards: list[str], tag_rules: list[TagRule]
) -> None:
    api.set_card(CHART, cards[0], **EMMA)
    emma = Profile.objects.get(username=cards[0])

    response = api.batch(
        [
            {"chart_id": CHART, **EMMA, "last_name": "Johnson-Lee", "pms_status": "Retention"},
            {"chart_id": "OT-2", "first_name": "Liam", "last_name": "Brown", "office": "MAR"},
        ]
    )

    first, second = response.json()["results"]
    assert first == {
        "chart_id": CHART,
        "outcome": "updated",
        "username": cards[0],
        "profile_id": str(emma.public_id),
    }
    emma.refresh_from_db()
    assert emma.last_name == "Johnson-Lee"
    assert list(emma.tags.values_list("name", flat=True)) == ["*Retainer Patient"]
    assert AuditEvent.objects.filter(action="profile.update", profile=emma).latest("id").detail == {
        "fields": ["last_name"]
    }
    assert second["outcome"] == "created"
    liam = Profile.objects.get(username=second["username"])
    assert (liam.kind, liam.first_name, liam.location.name) == ("chart", "Liam", "Marietta")
    assert liam.username.startswith("0000")


def test_it_answers_each_bad_row_on_its_own_and_syncs_the_others(api: Api) -> None:
    response = api.batch(
        [
            {"chart_id": "OK-1", "first_name": "Ava", "last_name": "Lee"},
            {"chart_id": "NO-NAME"},
            {"chart_id": "bad id!", "first_name": "X", "last_name": "Y"},
            {"chart_id": "OK-1", "first_name": "Ava", "last_name": "Lee"},
            {"chart_id": "DATE", "first_name": "A", "last_name": "B", "birth_date": "2012-13-40"},
        ]
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["created", "error", "error", "error", "error"]
    assert [r.get("error") for r in results[1:]] == [
        "validation_error",
        "validation_error",
        "duplicate_chart_id",
        "validation_error",
    ]
    assert results[2]["message"] == "chart_id must be 1 to 64 letters, digits, '-', '_' or '.'."
    assert results[4]["message"] == "birth_date must be a date written YYYY-MM-DD."
    assert Profile.objects.count() == 1
    assert SyncEvent.objects.filter(action="batch", outcome="error").count() == 4


def test_it_refuses_an_empty_or_oversized_batch(api: Api) -> None:
    empty = api.batch([])
    assert empty.status_code == 422
    assert empty.json() == {
        "error": "validation_error",
        "message": "patients must hold at least 1 item(s).",
    }
    too_many = api.batch(_charts(1001))
    assert too_many.status_code == 422
    assert too_many.json()["message"] == "patients must hold at most 1000 items."
    assert not Profile.objects.exists()


def test_it_matches_the_one_chart_path_when_a_chunk_must_be_redone(
    api: Api, monkeypatch: pytest.MonkeyPatch, tag_rules: list[TagRule]
) -> None:
    # A concurrent sync of the same chart makes a bulk write fail; the chunk
    # is then redone chart by chart with the same outcomes.
    from django.db import IntegrityError

    from rewardshub.integrations import batch

    def collide(*args: Any, **kwargs: Any) -> Any:
        raise IntegrityError("simulated concurrent insert")

    monkeypatch.setattr(batch, "_bulk_chunk", collide)
    response = api.batch(_charts(3, pms_status="Active Tx") + [{"chart_id": "X"}])

    assert [r["outcome"] for r in response.json()["results"]] == [
        "created",
        "created",
        "created",
        "error",
    ]
    profile = Profile.objects.get(first_name="First0")
    assert profile.kind == "chart"
    assert list(profile.tags.values_list("name", flat=True)) == ["*Orthodontic Patient"]


def test_it_keeps_each_practice_to_its_own_charts(
    api: Api, riverside_api: Api, riverside: Practice, make_profile: Callable[..., Profile]
) -> None:
    api.batch(_charts(2))
    response = riverside_api.batch(_charts(2))
    assert [r["outcome"] for r in response.json()["results"]] == ["created", "created"]
    assert Profile.objects.filter(practice=riverside).count() == 2


def _written_rows(chart_id: str) -> dict[str, Any]:
    """What a sync of one chart left in every table, without ids, numbers and times."""
    link = PmsLink.objects.select_related("profile").get(chart_id=chart_id)
    profile = link.profile
    username = profile.username

    def words(text: str) -> str:
        return text.replace(username, "<username>")

    return {
        "profile": {
            name: getattr(profile, name)
            for name in (
                "practice_id",
                *PROFILE_FIELDS,
                "kind",
                "location_id",
                "points_balance",
            )
        },
        "link": (link.practice_id, link.system),
        "tags": sorted(
            ProfileTag.objects.filter(profile=profile).values_list(
                "practice_id", "tag__name", "exclusive_group__name"
            )
        ),
        "audit": sorted(
            (
                e.action,
                e.outcome,
                e.actor_kind,
                e.actor_label,
                e.actor_user_id,
                e.source_ip,
                json.dumps(e.detail, sort_keys=True).replace(chart_id, "<chart>"),
            )
            for e in AuditEvent.objects.filter(profile=profile)
        ),
        "sync_log": list(
            (e.key_id, e.system, e.action, e.outcome, e.error, words(e.message), e.pms_user)
            for e in SyncEvent.objects.filter(profile=profile)
        ),
    }


def test_it_writes_the_same_rows_as_the_one_chart_path(
    api: Api, monkeypatch: pytest.MonkeyPatch, tag_rules: list[TagRule]
) -> None:
    from django.db import IntegrityError

    from rewardshub.integrations import batch

    row = {
        "first_name": "Ava",
        "last_name": "Lee",
        "preferred_name": "Avie",
        "birth_date": "2011-05-06",
        "email": "ava@example.com",
        "phone_mobile": "770-555-0101",
        "responsible_party": "Kim Lee",
        "pms_status": "Active Tx",
        "office": "MAR",
    }
    path = "/api/v1/pms/orthotrac/patients:batch"
    # The second chart's status has no tag mapping: a note in the Sync log.
    bulk_1, bulk_2 = {"chart_id": "BULK-1", **row}, {"chart_id": "BULK-2", **row, "pms_status": "X"}
    one_1, one_2 = {**bulk_1, "chart_id": "ONE-1"}, {**bulk_2, "chart_id": "ONE-2"}
    api.call("POST", path, {"patients": [bulk_1, bulk_2], "pms_user": "FRONTDESK"})

    def collide(*args: Any, **kwargs: Any) -> Any:
        raise IntegrityError("simulated concurrent insert")

    monkeypatch.setattr(batch, "_bulk_chunk", collide)
    api.call("POST", path, {"patients": [one_1, one_2], "pms_user": "FRONTDESK"})

    for bulk, one in (("BULK-1", "ONE-1"), ("BULK-2", "ONE-2")):
        assert _written_rows(bulk)["audit"] == _written_rows(one)["audit"]
        assert _written_rows(bulk) == _written_rows(one)
    written = _written_rows("BULK-1")
    assert [a[0] for a in written["audit"]] == ["pms.batch", "profile.create"]
    assert [t[1] for t in written["tags"]] == ["*Marietta", "*Orthodontic Patient"]


def test_it_plans_again_when_a_chart_is_linked_between_planning_and_writing(
    api: Api, monkeypatch: pytest.MonkeyPatch, cards: list[str]
) -> None:
    # New chart-only profiles are planned before the chunk's transaction; a set-card that
    # links one of the charts in between must win, without a second profile and
    # without a unique-constraint failure sending the chunk down the slow path.
    from rewardshub.integrations import batch
    from rewardshub.integrations.set_card import set_card

    plan = batch._plan

    def plan_then_link(caller: Any, chunk: Any, mapping: Any, links: Any = None) -> Any:
        planned = plan(caller, chunk, mapping, links)
        if links is None:  # the plan made outside the transaction
            set_card(
                caller=caller,
                chart_id="LATE-1",
                card_raw=cards[0],
                data={"first_name": "Late", "last_name": "Comer"},
            )
        return planned

    def no_fallback(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the chunk was redone chart by chart")

    monkeypatch.setattr(batch, "_plan", plan_then_link)
    monkeypatch.setattr(batch, "_one", no_fallback)
    response = api.batch(
        [
            {"chart_id": "LATE-1", "first_name": "Late", "last_name": "Comer"},
            {"chart_id": "NEW-1", "first_name": "New", "last_name": "Lead"},
        ]
    )

    late, new = response.json()["results"]
    assert (late["outcome"], late["username"]) == ("unchanged", cards[0])
    assert new["outcome"] == "created"
    assert Profile.objects.count() == 2
    assert dict(PmsLink.objects.values_list("chart_id", "profile__username")) == {
        "LATE-1": cards[0],
        "NEW-1": new["username"],
    }


def test_it_redoes_a_chunk_chart_by_chart_when_a_write_meets_a_unique_constraint(
    api: Api, monkeypatch: pytest.MonkeyPatch, acworth: Practice
) -> None:
    # A real conflict, not a simulated one: another writer takes a username
    # the chunk planned for a new chart-only profile, so the chunk's profile insert fails
    # on the database's unique index, rolls back, and each chart is redone.
    from rewardshub.integrations import batch

    plan = batch._plan
    taken: list[str] = []

    def plan_then_take(caller: Any, chunk: Any, mapping: Any, links: Any = None) -> Any:
        planned = plan(caller, chunk, mapping, links)
        if not taken:
            username = next(iter(planned.new_profiles.values())).username
            Profile.objects.create(
                practice=acworth, username=username, first_name="Other", last_name="Writer"
            )
            taken.append(username)
        return planned

    monkeypatch.setattr(batch, "_plan", plan_then_take)
    response = api.batch(_charts(5))

    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["created"] * 5
    assert taken[0] not in {r["username"] for r in results}
    assert Profile.objects.count() == 6
    assert PmsLink.objects.count() == 5
    # The rolled-back chunk left nothing behind: one Sync log row per chart.
    assert sorted(SyncEvent.objects.filter(action="batch").values_list("chart_id", "outcome")) == [
        (f"B-{i:04d}", "created") for i in range(5)
    ]
    assert AuditEvent.objects.filter(action="profile.create").count() == 5


def test_it_stores_names_with_tabs_backslashes_and_line_breaks_as_sent(api: Api) -> None:
    # The bulk writer streams rows (COPY on PostgreSQL), where tab, newline
    # and backslash are the format's own characters.
    odd = {
        "first_name": "Ava\tMarie",
        "last_name": "O'Neil \\ Smith",
        "responsible_party": "Kim\nLee \\N",
        "email": "",
    }
    response = api.batch([{"chart_id": "ODD-1", **odd}])

    assert response.json()["results"][0]["outcome"] == "created"
    profile = Profile.objects.get(pms_links__chart_id="ODD-1")
    assert (profile.first_name, profile.last_name, profile.responsible_party, profile.email) == (
        "Ava\tMarie",
        "O'Neil \\ Smith",
        "Kim\nLee \\N",
        "",
    )
    assert SyncEvent.objects.get(chart_id="ODD-1").message.startswith("Created chart-only profile ")
