"""What staff do to jobs: try a waiting or failed job again now."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.jobs.models import Job, JobStatus
from rewardshub.jobs.registry import label_for
from rewardshub.jobs.runner import dispatch
from rewardshub.practices.models import Practice

RETRYABLE = (JobStatus.FAILED, JobStatus.RETRY)


def retry_now(*, practice: Practice, job: Job, actor: Actor) -> Job:
    """A failed job, or one waiting for its next try, is tried again at once.

    A failed job gets one more try; a waiting one keeps its count.
    """
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk, practice=practice)
        if job.status not in RETRYABLE:
            raise ActionError(
                "job_not_retryable",
                f"This job is {job.get_status_display().lower()}: only a failed job or one "
                "waiting to try again can be retried. Nothing was changed.",
                status=409,
            )
        if job.status == JobStatus.FAILED:
            job.max_attempts = max(job.max_attempts, job.attempts + 1)
        job.status = JobStatus.RETRY
        job.run_at = timezone.now()
        job.finished_at = None
        job.save(update_fields=["max_attempts", "status", "run_at", "finished_at", "updated_at"])
        dispatch(job)
        record_event(
            practice=practice,
            actor=actor,
            action="job.retry",
            detail={"job": job.public_id.hex, "kind": label_for(job.kind)},
        )
        return job
