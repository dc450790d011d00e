"""Putting work on the queue: a Job row and, in the same transaction, its task.

`enqueue` is what other apps call, usually from a `transaction.on_commit`
callback (notify.hooks) so the job sees committed rows and a queue that
fails cannot undo the change that asked for the job. The Job row and the
Tasks API's row are written together: a rollback leaves neither.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rewardshub.jobs.models import Job
from rewardshub.jobs.runner import dispatch


def enqueue(
    *,
    practice_id: int,
    kind: str,
    key: str,
    payload: dict[str, Any],
    delay: dt.timedelta | None = None,
) -> tuple[Job, bool]:
    """The job with this key, made and queued unless it exists; whether it was made.

    A key that exists already (the same mail asked for twice) changes nothing.
    """
    with transaction.atomic():
        job, created = Job.objects.get_or_create(
            practice_id=practice_id,
            key=key[:200],
            defaults={
                "kind": kind,
                "payload": payload,
                "run_at": timezone.now() + (delay or dt.timedelta()),
                "max_attempts": settings.JOB_ATTEMPTS,
            },
        )
        if created:
            dispatch(job)
    return job, created
