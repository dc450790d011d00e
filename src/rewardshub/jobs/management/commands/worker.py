"""`rewardshub worker`: run the hub's background jobs (mail to patients, for now).

One or more workers beside `rewardshub serve`, on any host that reaches the
database: each task is claimed by one worker only. `--once` runs what is due
and exits (for cron or a test); otherwise it runs until SIGTERM or Ctrl-C,
finishing the task in hand first. Logs name tasks and jobs by id, never a
patient.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rewardshub.jobs.worker import make_worker, run_forever, run_once


class Command(BaseCommand):
    help = "Run background jobs (patient mail): until stopped, or --once for what is due now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run every job that is due now, then exit."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait when nothing is due (default 1).",
        )
        parser.add_argument(
            "--worker-id",
            default=None,
            help="A name for this worker in the task results (default: a random one).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = float(options["interval"])
        if not 0 < interval <= 3600:
            self.stderr.write("rewardshub worker: --interval must be more than 0 and at most 3600.")
            raise SystemExit(2)
        if options["worker_id"] is not None and not 0 < len(options["worker_id"]) <= 64:
            self.stderr.write("rewardshub worker: --worker-id must be 1 to 64 characters.")
            raise SystemExit(2)
        if options["verbosity"] < 2:
            # The backport says "no more tasks" at INFO after every pass.
            logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        worker = make_worker(options["worker_id"])
        if options["once"]:
            ran = run_once(worker)
            self.stdout.write(f"worker: ran {ran} task(s)")
            return
        worker.configure_signals()
        self.stdout.write(f"worker {worker.worker_id}: running jobs (Ctrl-C stops)")
        self.stdout.flush()
        run_forever(worker, interval)
