"""The one task the Tasks API carries: run one try of a Job (jobs.runner.execute).

Its argument is the Job's id only; the job's row says what to do. A try that
fails raises JobFailed, so the Tasks API's own result row says FAILED too,
with our redacted message rather than the original error's text.
"""

from __future__ import annotations

from django_tasks import task

from rewardshub.jobs import runner


@task()
def run_job(job_id: int) -> str:
    return runner.execute(job_id)
