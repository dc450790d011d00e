"""Background jobs: what the hub asked the worker to do, and how each try went.

Django's Tasks API (the django-tasks backport, database backend) carries each
try to `rewardshub worker`; a Job row is our own thin layer over it, since the
Tasks API has no retries: the attempts made, when the next one is due, the
last error, and whether the job is done. The row's `key` is the job's
identity: enqueuing the same key again finds the row instead of doing the
work twice. Payloads hold row ids only, never patient data.
"""

from __future__ import annotations

import uuid

from django.db import models

from rewardshub.practices.models import Practice


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting"
    RUNNING = "running", "Running"
    RETRY = "retry", "Waiting to try again"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# A job in one of these waits for the worker.
WAITING = (JobStatus.QUEUED, JobStatus.RETRY)


class Job(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    # What to do: the name a handler registered (jobs.registry), e.g. "mail.prize_ready".
    kind = models.CharField(max_length=60)
    key = models.CharField(max_length=200)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    # When the next try is due (the first one, or the retry after a failure).
    run_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The last failure, as staff read it on Settings > Background jobs (jobs.runner.describe).
    last_error = models.CharField(max_length=500, blank=True, default="")
    # What a finished job did, in a few words ("sent", "not sent: no email address").
    outcome = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["practice", "status", "-created_at"], name="job_practice_status_idx"
            ),
            models.Index(fields=["status", "started_at"], name="job_status_started_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["practice", "key"], name="job_key_unique"),
            models.CheckConstraint(
                condition=models.Q(max_attempts__gte=1), name="job_max_attempts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"job {self.kind} ({self.status})"
