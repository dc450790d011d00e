"""`rewardshub housekeeping`: what can never be used again goes; records stay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from typing import Any

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from rewardshub.audit.models import AuditEvent
from rewardshub.integrations.launch import create_token
from rewardshub.integrations.models import (
    IdempotencyRecord,
    LaunchToken,
    LaunchView,
    PendingLink,
)
from rewardshub.practices.models import Practice


def test_it_deletes_expired_links_old_answers_and_sessions_and_keeps_the_rest(
    acworth: Practice, make_profile: Callable[..., Any]
) -> None:
    profile = make_profile(acworth)
    now = timezone.now()
    for _ in range(2):
        create_token(
            practice=acworth, key=None, system="orthotrac", chart_id="C1", profile=profile,
            view=LaunchView.SYNCED, pms_user="",
        )
    old, fresh = LaunchToken.objects.order_by("id")
    LaunchToken.objects.filter(pk=old.pk).update(expires_at=now - dt.timedelta(days=2))
    for key, age in (("old", 8), ("new", 1)):
        record = IdempotencyRecord.objects.create(
            practice=acworth, key=key, fingerprint="f", status_code=200, response_body={}
        )
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            created_at=now - dt.timedelta(days=age)
        )
    for expiry in (-1, 1):
        store = SessionStore()
        store["x"] = 1
        store.create()
        Session.objects.filter(session_key=store.session_key).update(
            expire_date=now + dt.timedelta(hours=expiry)
        )
    audit_before = AuditEvent.objects.count()

    out = StringIO()
    call_command("housekeeping", stdout=out)

    assert list(LaunchToken.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert Session.objects.filter(expire_date__lt=now).count() == 0
    assert Session.objects.count() == 1
    assert AuditEvent.objects.count() == audit_before
    assert out.getvalue().strip() == (
        "Deleted 1 expired launch link(s), 1 old Idempotency-Key answer(s) "
        "and 1 expired session(s).\n"
        "Expired 0 unanswered link confirmation(s), dropping the chart details they kept.\n"
        "Deleted 0 finished background task result(s) older than 14 days."
    )


def test_it_drops_the_chart_details_of_unanswered_link_confirmations(
    acworth: Practice, make_profile: Callable[..., Any]
) -> None:
    profile = make_profile(acworth)
    now = timezone.now()
    for chart_id, expires in (("C1", -1), ("C2", 1)):
        PendingLink.objects.create(
            practice=acworth, system="orthotrac", chart_id=chart_id, profile=profile,
            data={"email": "kept@example.com"}, expires_at=now + dt.timedelta(minutes=expires),
        )  # fmt: skip

    out = StringIO()
    call_command("housekeeping", stdout=out)

    rows = PendingLink.objects.order_by("chart_id").values_list("chart_id", "state", "data")
    assert list(rows) == [
        ("C1", "expired", {}),
        ("C2", "pending", {"email": "kept@example.com"}),
    ]
    assert "Expired 1 unanswered link confirmation(s)" in out.getvalue()


def test_it_deletes_finished_task_results_older_than_two_weeks_and_nothing_else(
    acworth: Practice,
) -> None:
    """The Tasks API's result rows (one per try of a background job): finished ones go
    after 14 days; one waiting or running stays, however old."""
    now = timezone.now()

    def result(status: str, days_ago: float | None) -> DBTaskResult:
        finished = None if days_ago is None else now - dt.timedelta(days=days_ago)
        return DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="rewardshub.jobs.runner.run_job",
            backend_name="default",
            run_after=now - dt.timedelta(days=30),
            finished_at=finished,
            exception_class_path="",
            traceback="",
        )

    kept = [
        result(TaskResultStatus.SUCCESSFUL, 13),
        result(TaskResultStatus.FAILED, 1),
        result(TaskResultStatus.READY, None),
        result(TaskResultStatus.RUNNING, None),
    ]
    result(TaskResultStatus.SUCCESSFUL, 15)
    result(TaskResultStatus.FAILED, 40)

    out = StringIO()
    call_command("housekeeping", stdout=out)

    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {r.pk for r in kept}
    assert "Deleted 2 finished background task result(s) older than 14 days." in out.getvalue()
