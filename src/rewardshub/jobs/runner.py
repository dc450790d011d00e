"""Running one try of a job, and what a failure leaves behind.

A try claims the job with one conditional UPDATE (waiting and due ->
running), so two tasks for the same job (a retry staff asked for beside the
scheduled one) never run it twice at once. The handler then runs outside any
transaction (an SMTP conversation must not hold SQLite's write lock) and
records that it is done with `finishing`: its own bookkeeping and the job's
"done" commit together, so a handler that finds its bookkeeping on a later
try knows the work was done and does not do it again.

A failure is recorded and the next try scheduled with doubling delays
(`retry_delay`) until the job's max_attempts, then the job is "failed"
and waits on Settings > Background jobs for staff to retry it. What staff
read is `describe(error)`: the error's class and its message with email
addresses masked, never a traceback (an SMTP refusal quotes the recipient).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from rewardshub.jobs import registry
from rewardshub.jobs.models import WAITING, Job, JobStatus

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SPACE = re.compile(r"\s+")
STOPPED = "The worker stopped while running this job (it was restarted or killed)."


class JobFailed(Exception):
    """One try of a job failed; the message is describe(error), safe to store and log."""


def describe(error: BaseException) -> str:
    """The error as staff read it: its class and message, addresses masked, one line."""
    text = _SPACE.sub(" ", _EMAIL.sub("<address>", str(error))).strip()
    name = type(error).__name__
    return (f"{name}: {text}" if text else name)[:500]


def execute(job_id: int) -> str:
    """One try of the job: claim it, run its handler, record how it went."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status__in=WAITING, run_at__lte=now).update(
        status=JobStatus.RUNNING, attempts=F("attempts") + 1, started_at=now, updated_at=now
    )
    if not claimed:
        # Done already, running elsewhere, or a retry staff asked for came first.
        return "nothing to do"
    job = Job.objects.select_related("practice").get(pk=job_id)
    handler = registry.handler_for(job.kind)
    try:
        if handler is None:
            raise LookupError(f"No handler for jobs of kind {job.kind!r} in this version.")
        outcome = handler.run(job)
    except Exception as exc:
        message = describe(exc)
        record_failure(job, message)
        raise JobFailed(message) from None
    with finishing(job, outcome):
        pass
    return outcome


@contextmanager
def finishing(job: Job, outcome: str) -> Iterator[None]:
    """A transaction for the handler's bookkeeping that also marks the job done.

    Marks it only while this try holds it: a try the stale-job sweep gave up on
    keeps the sweep's verdict, and its next try finds the bookkeeping.
    """
    with transaction.atomic():
        yield
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.DONE,
            outcome=outcome[:200],
            last_error="",
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )


def record_failure(job: Job, message: str, *, started_before: dt.datetime | None = None) -> Job:
    """Keep the error of the running try and schedule the next one, or give up
    after the last. `started_before`: only a try that started before then."""
    now = timezone.now()
    with transaction.atomic():
        running = Job.objects.select_for_update().filter(pk=job.pk, status=JobStatus.RUNNING)
        if started_before is not None:
            running = running.filter(started_at__lt=started_before)
        current = running.first()
        if current is None:
            return job
        current.last_error = message
        if current.attempts >= current.max_attempts:
            current.status = JobStatus.FAILED
            current.finished_at = now
        else:
            current.status = JobStatus.RETRY
            current.run_at = now + retry_delay(current.attempts)
            dispatch(current)
        current.save(update_fields=["last_error", "status", "finished_at", "run_at", "updated_at"])
    log.warning(
        "job %s (%s) try %d of %d failed: %s",
        current.public_id,
        current.kind,
        current.attempts,
        current.max_attempts,
        message,
    )
    return current


def recover_stale(now: dt.datetime | None = None) -> int:
    """Jobs left "running" by a worker that died: count the try as failed. How many."""
    now = now or timezone.now()
    limit = now - dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    stale = list(
        Job.objects.filter(status=JobStatus.RUNNING, started_at__lt=limit).only("pk")[:100]
    )
    for job in stale:
        record_failure(job, STOPPED, started_before=limit)
    return len(stale)


# The one task the Tasks API carries: one try of a Job. Its argument is the
# Job's id only; the job's row says what to do. A try that fails raises
# JobFailed, so the Tasks API's own result row says FAILED too, with our
# redacted message rather than the original error's text. It lives beside
# `execute` and `dispatch` because a failed try schedules the next one.
@task()
def run_job(job_id: int) -> str:
    return execute(job_id)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed try: doubling from
    REWARDSHUB_JOB_RETRY_SECONDS (1, 2, 4, 8 ... minutes by default), at most six hours."""
    base = settings.JOB_RETRY_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), 6 * 60 * 60)
    return dt.timedelta(seconds=seconds)


def dispatch(job: Job) -> None:
    """Hand one try of the job to the Tasks API, due at the job's run_at."""
    due = job.run_at if job.run_at > timezone.now() else None
    run_job.using(run_after=due).enqueue(job.pk)
