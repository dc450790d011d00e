"""Jobs that fail: a mail server that is down, then up (sent exactly once), the award
that still commits, the admin page that shows the error, and a dead worker's job."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from tests.notify.conftest import Inbox, award, opt_in, work

from rewardshub.audit.models import AuditEvent
from rewardshub.jobs.models import Job, JobStatus
from rewardshub.jobs.runner import STOPPED, dispatch
from rewardshub.notify import kinds
from rewardshub.notify.models import SentMail
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, RewardItem

pytestmark = pytest.mark.django_db(transaction=True)


def _due(job: Job) -> None:
    """Wait until the job's retry is due (retries are a second apart in these tests)."""
    job.refresh_from_db()
    wait = (job.run_at - timezone.now()).total_seconds()
    if wait > 0:
        time.sleep(wait + 0.05)


def test_a_mail_server_down_then_up_gets_the_mail_exactly_once(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox
) -> None:
    opt_in(emma, kinds.POINTS_EARNED)
    inbox.down()
    award(emma, menu["On time"])

    work()

    job = Job.objects.get()
    assert (job.status, job.attempts) == (JobStatus.RETRY, 1)
    assert job.last_error.startswith("ConnectionRefusedError")
    assert "example.com" not in job.last_error
    assert (job.run_at - timezone.now()).total_seconds() <= 1
    assert SentMail.objects.count() == 0
    emma.refresh_from_db()
    assert emma.points_balance == 5  # the award stands

    inbox.up()
    _due(job)
    work()
    work()
    dispatch(job)  # a second try of a job that is done: it does nothing
    work()

    assert len(inbox.messages) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.outcome, job.last_error) == (
        JobStatus.DONE, 2, "sent", ""
    )
    assert SentMail.objects.count() == 1


def test_an_award_commits_when_the_queue_itself_fails(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox, owner_client: Client,
    settings: Any,
) -> None:
    opt_in(emma, kinds.POINTS_EARNED)
    inbox.down()
    settings.TASKS = {"default": {"BACKEND": "rewardshub.no_such_backend.Backend"}}

    response = owner_client.post(
        f"/patients/{emma.public_id}/points/award/", {"items": [str(menu["On time"].public_id)]}
    )

    assert response.status_code == 302
    assert LedgerEntry.objects.filter(profile=emma, points=5).count() == 1
    emma.refresh_from_db()
    assert emma.points_balance == 5
    assert Job.objects.count() == 0  # the mail's job rolled back alone


def test_a_failed_job_shows_on_the_admin_page_and_can_be_retried(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox, owner_client: Client,
    frontdesk_client: Client, outsider_client: Client, settings: Any,
) -> None:
    settings.JOB_ATTEMPTS = 2
    opt_in(emma, kinds.POINTS_EARNED)
    inbox.down()
    award(emma, menu["On time"])
    work()
    job = Job.objects.get()
    _due(job)
    work()
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 2)

    page = owner_client.get("/settings/jobs/").content.decode()
    assert "Mail: Points earned" in page and "ConnectionRefusedError" in page
    assert "Failed or retrying (1)" in page
    assert frontdesk_client.get("/settings/jobs/").status_code == 403
    assert "ConnectionRefusedError" not in outsider_client.get("/settings/jobs/").content.decode()
    assert outsider_client.post(f"/settings/jobs/{job.public_id}/retry/").status_code == 404

    inbox.up()
    response = owner_client.post(f"/settings/jobs/{job.public_id}/retry/")
    assert response.status_code == 302
    work()

    assert len(inbox.messages) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.max_attempts) == (JobStatus.DONE, 3, 3)
    assert AuditEvent.objects.filter(action="job.retry", actor_label="owner").count() == 1
    refused = owner_client.post(f"/settings/jobs/{job.public_id}/retry/", follow=True)
    assert "only a failed job or one waiting to try again can be retried" in (
        refused.content.decode()
    )


def test_a_job_a_dead_worker_left_running_is_tried_again(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox
) -> None:
    opt_in(emma, kinds.POINTS_EARNED)
    award(emma, menu["On time"])
    job = Job.objects.get()
    # A worker claimed it 20 minutes ago and was killed before sending.
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, started_at=timezone.now() - dt.timedelta(minutes=20)
    )

    work()  # gives the try up as failed and schedules the next
    job.refresh_from_db()
    assert (job.status, job.last_error) == (JobStatus.RETRY, STOPPED)
    _due(job)
    work()

    assert len(inbox.messages) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)


def test_the_worker_command_runs_what_is_due(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox, capsys: Any
) -> None:
    opt_in(emma, kinds.POINTS_EARNED)
    award(emma, menu["On time"])

    call_command("worker", "--once")

    assert "ran 1 task(s)" in capsys.readouterr().out
    assert len(inbox.messages) == 1
