"""`rewardshub housekeeping`: delete what can never be used again. Run it daily (cron).

- launch links expired more than a day ago (each lives 60 seconds);
- stored Idempotency-Key answers older than a week (a PMS retries within minutes);
- expired sign-in sessions (Django's own session table);
- the chart demographics kept by link confirmations nobody answered within
  their 30 minutes (marked expired; the confirmation row stays);
- the background jobs' finished task results older than two weeks
  (jobs/prune.py; the jobs themselves stay).

Audit events, Sync log rows and ledger entries are records, never pruned here.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.utils import timezone

from rewardshub.integrations.idempotency import prune_records
from rewardshub.integrations.launch import prune_tokens
from rewardshub.integrations.pending import forget_expired
from rewardshub.jobs.prune import TASK_RESULT_DAYS, prune_task_results


class Command(BaseCommand):
    help = (
        "Delete expired launch links, old Idempotency-Key answers, expired sessions and "
        "old finished task results."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        tokens = prune_tokens()
        records = prune_records()
        sessions, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        confirmations = forget_expired()
        results = prune_task_results()
        self.stdout.write(
            f"Deleted {tokens} expired launch link(s), {records} old Idempotency-Key "
            f"answer(s) and {sessions} expired session(s).\n"
            f"Expired {confirmations} unanswered link confirmation(s), dropping the "
            "chart details they kept.\n"
            f"Deleted {results} finished background task result(s) older than "
            f"{TASK_RESULT_DAYS} days."
        )
