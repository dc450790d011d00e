""" "Recent activity" on the profile shows changes, not views: PMS launches, opened
launch links and chart-tab views stay in the audit log only, and the query keeps
using the partial index audit_profile_activity_idx."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import NOT_ACTIVITY_ACTIONS, ActorKind, AuditEvent
from rewardshub.audit.queries import recent_activity
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

PMS = Actor(kind=ActorKind.INTEGRATION, label="Orthotrac (FRONTDESK)")
CHART = {"chart_id": "OT-10007"}


def activity_of(client: Client, profile: Profile) -> str:
    response = client.get(reverse("patients:detail", kwargs={"public_id": profile.public_id}))
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    return page.split("<h2>Recent activity</h2>", 1)[1].split("</section>", 1)[0]


def test_launches_opened_links_and_chart_tab_views_add_nothing(
    frontdesk_client: Client, acworth: Practice, make_profile: Callable[..., Profile]
) -> None:
    mia = make_profile(acworth, "Mia", "Lopez")
    record_event(
        practice=acworth,
        actor=PMS,
        action="pms.update",
        profile=mia,
        detail={**CHART, "outcome": "updated"},
    )
    # More launches than the box shows: they must not push the change out.
    views = [
        ("pms.launch", {**CHART, "outcome": "launched"}),
        ("pms.launch_open", {**CHART, "view": "chart"}),
        ("profile.view", {"view": "chart"}),
    ]
    for _ in range(12):
        for action, detail in views:
            record_event(practice=acworth, actor=PMS, action=action, profile=mia, detail=detail)

    box = activity_of(frontdesk_client, mia)

    assert "PMS updated details for chart OT-10007" in box
    assert "PMS asked to launch" not in box
    assert "Opened from the PMS" not in box
    # They stay in the audit log.
    assert AuditEvent.objects.filter(profile=mia, action="pms.launch").count() == 12
    assert AuditEvent.objects.filter(profile=mia, action="pms.launch_open").count() == 12


def test_the_index_leaves_out_the_same_actions_the_query_does(db: object) -> None:
    """The migration recreated the index with the list recent_activity() uses."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE name = 'audit_profile_activity_idx'"
            )
        else:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'audit_profile_activity_idx'"
            )
        (definition,) = cursor.fetchone()
    for action in NOT_ACTIVITY_ACTIONS:
        assert f"'{action}'" in definition, definition


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="PostgreSQL's planner picks among the indexes by its statistics",
)
def test_recent_activity_is_served_by_the_partial_index(
    acworth: Practice, make_profile: Callable[..., Profile]
) -> None:
    mia = make_profile(acworth, "Mia", "Lopez")
    seen: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        recent_activity(practice_id=mia.practice_id, profile_id=mia.pk)
    ((sql, params),) = [(s, p) for s, p in seen if "audit_auditevent" in s]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "audit_profile_activity_idx" in plan, plan
