"""One write path: the same charts through the one-chart actions and through the
batch's bulk writes leave the same rows, row for row (ids, practice, times and
hashes aside)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import IntegrityError
from django.test import Client
from tests.integrations.conftest import SYSTEM, Api, make_key

from rewardshub.audit.models import AuditEvent
from rewardshub.integrations import batch
from rewardshub.integrations.actions import add_tag_rule
from rewardshub.integrations.models import PmsLink, SyncEvent
from rewardshub.integrations.schemas import PROFILE_FIELDS
from rewardshub.patients.models import Profile, ProfileTag, Tag
from rewardshub.practices.actions import create_practice
from rewardshub.practices.models import Practice

RULES = [
    ("pms_status", "Active Tx", "*Orthodontic Patient"),
    ("pms_status", "Retention", "*Retainer Patient"),
    ("office", "ACW", "*Acworth"),
    ("office", "MAR", "*Marietta"),
]

ROUND_1 = [
    {"chart_id": "NEW-1", "first_name": "Ava", "last_name": "Lee", "pms_status": "Active Tx"},
    {
        "chart_id": "NEW-2",
        "first_name": "Liam",
        "last_name": "Brown",
        "birth_date": "2011-05-06",
        "email": "liam@example.com",
        "pms_status": "Retention",
        "office": "MAR",
    },
    # Unknown status: a chart-only profile with a note in the Sync log.
    {"chart_id": "NEW-3", "first_name": "Mia", "last_name": "Cruz", "pms_status": "Unknown"},
    {"chart_id": "NEW-4", "first_name": "Noah", "last_name": "Diaz", "office": "ACW"},
    # No names: refused, logged.
    {"chart_id": "NO-NAME", "email": "x@example.com"},
]

ROUND_2 = [
    # Changed demographics, same tags.
    {"chart_id": "NEW-1", "first_name": "Ava", "last_name": "Lee-Smith", "pms_status": "Active Tx"},
    # Status and office both change: two tag events, the location follows the office.
    {
        "chart_id": "NEW-2",
        "first_name": "Liam",
        "last_name": "Brown",
        "birth_date": "2011-05-06",
        "pms_status": "Active Tx",
        "office": "ACW",
    },
    # Unchanged (the date as sent again).
    {"chart_id": "NEW-3", "first_name": "Mia", "last_name": "Cruz", "pms_status": "Unknown"},
    # A tag only.
    {"chart_id": "NEW-4", "first_name": "Noah", "last_name": "Diaz", "pms_status": "Retention"},
    # A new chart-only profile in the second round, beside linked charts.
    {"chart_id": "NEW-5", "first_name": "Zoe", "last_name": "Ng", "office": "MAR"},
]


def _practice(slug: str) -> tuple[Practice, Api]:
    practice = create_practice(
        name=f"{slug} Orthodontics", slug=slug, actor=SYSTEM, locations=("Acworth", "Marietta")
    )
    for field, value, tag in RULES:
        add_tag_rule(
            practice=practice,
            system="orthotrac",
            field=field,
            value=value,
            tag=Tag.objects.get(practice=practice, name=tag),
            actor=SYSTEM,
        )
    return practice, Api(client=Client(), token=make_key(practice)[1])


def _send(api: Api, patients: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = api.call(
        "POST",
        "/api/v1/pms/orthotrac/patients:batch",
        {"patients": patients, "pms_user": "FRONTDESK"},
    )
    assert response.status_code == 200, response.content
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def _rows(practice: Practice) -> dict[str, Any]:
    """Every row the syncs left in the practice, per chart, without ids, practice, times,
    hashes or the generated usernames."""
    out: dict[str, Any] = {}
    for link in PmsLink.objects.filter(practice=practice).select_related("profile__location"):
        profile = link.profile
        out[link.chart_id] = {
            "profile": {
                **{
                    name: getattr(profile, name)
                    for name in (
                        *PROFILE_FIELDS,
                        "kind",
                        "points_balance",
                    )
                },
                "location": profile.location.name if profile.location else None,
                "username": "generated" if profile.username.startswith("0000") else "?",
            },
            "link": link.system,
            # The chart's last PMS status, and whether the hub saw it move.
            "link_status": (link.pms_status, link.pms_status_changed_at is not None),
            "tags": sorted(
                ProfileTag.objects.filter(profile=profile).values_list(
                    "tag__name", "exclusive_group__name"
                )
            ),
            "audit": [
                (
                    e.action,
                    e.outcome,
                    e.actor_kind,
                    e.actor_label,
                    e.actor_user_id,
                    e.source_ip,
                    json.dumps(e.detail, sort_keys=True),
                )
                for e in AuditEvent.objects.filter(profile=profile).order_by("id")
            ],
            "sync_log": [
                (
                    e.system,
                    e.action,
                    e.outcome,
                    e.error,
                    e.message.replace(profile.username, "<username>"),
                    e.pms_user,
                    e.key.name,
                )
                for e in SyncEvent.objects.filter(profile=profile).order_by("id")
            ],
        }
    out["unlinked"] = {
        "sync_log": sorted(
            (e.chart_id, e.action, e.outcome, e.error, e.message, e.pms_user)
            for e in SyncEvent.objects.filter(practice=practice, profile=None)
        ),
        "audit": sorted(
            (e.action, e.outcome, e.actor_label, json.dumps(e.detail, sort_keys=True))
            for e in AuditEvent.objects.filter(
                practice=practice, profile=None, action__startswith="pms."
            )
        ),
    }
    return out


def _one_chart_at_a_time(*args: Any, **kwargs: Any) -> Any:
    # The batch's bulk write gives way: every chart goes through the one-chart
    # actions (chart_link, create_linked_profile / sync_fields, record_sync).
    raise IntegrityError("one chart at a time")


def test_one_chart_and_batch_write_the_same_rows(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    one_practice, one_api = _practice("one")
    bulk_practice, bulk_api = _practice("bulk")

    for patients in (ROUND_1, ROUND_2):
        bulk_results = _send(bulk_api, patients)
        with monkeypatch.context() as patched:
            patched.setattr(batch, "_bulk_chunk", _one_chart_at_a_time)
            one_results = _send(one_api, patients)
        assert [r["outcome"] for r in one_results] == [r["outcome"] for r in bulk_results]
        assert _rows(one_practice) == _rows(bulk_practice)  # after each round

    assert [r["outcome"] for r in bulk_results] == [
        "updated",
        "updated",
        "unchanged",
        "updated",
        "created",
    ]
    one, bulk = _rows(one_practice), _rows(bulk_practice)
    assert one.keys() == bulk.keys()
    for chart in one:
        assert one[chart] == bulk[chart], chart
    # The comparison covers what it should.
    liam = bulk["NEW-2"]
    assert [row[0] for row in liam["audit"]] == [
        "profile.create",
        "pms.batch",
        "profile.update",
        "profile.tag",
        "profile.tag",
        "pms.batch",
    ]
    assert liam["tags"] == [("*Acworth", "Location"), ("*Orthodontic Patient", "Status")]
    assert liam["profile"]["location"] == "Acworth"
    assert liam["link_status"] == ("Active Tx", True)
    assert bulk["NEW-4"]["link_status"] == ("Retention", True)
    assert bulk["NEW-5"]["link_status"] == ("", False)
    assert (
        bulk["NEW-3"]["sync_log"][-1][4]
        == "Nothing changed. No tag mapping for PMS status “Unknown”."
    )
    assert bulk["unlinked"]["sync_log"][0][:3] == ("NO-NAME", "batch", "error")
    assert len(Profile.objects.filter(practice=one_practice)) == 5
