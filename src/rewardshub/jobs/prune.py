"""Deleting the Tasks API's finished result rows (`rewardshub housekeeping`, daily).

Each try of a job leaves a result row in django-tasks-db's table
(`django_tasks_database_dbtaskresult`); once finished, nothing reads it
again: the hub's own Job row holds the tries, the last error and the outcome.
The same rows `prune_db_task_results --min-age-days` deletes, for every queue
of the database backend; a result still waiting or running is never touched.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

# Kept this long for whoever looks into a job that went wrong.
TASK_RESULT_DAYS = 14


def prune_task_results(*, days: int = TASK_RESULT_DAYS) -> int:
    """Delete finished task results older than `days`; return how many."""
    cutoff = timezone.now() - dt.timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lte=cutoff).delete()
    return deleted
