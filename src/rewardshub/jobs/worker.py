"""`rewardshub worker`'s loop: the backport's database worker, plus our retry layer.

The django-tasks database backend ships a worker (its `db_worker` command's
Worker class): it claims due tasks with SELECT ... FOR UPDATE SKIP LOCKED (an
exclusive transaction on SQLite), runs each and stores its result. We drive
it in batch mode: `run_once` runs every task that is due and returns, after
first giving up on jobs a dead worker left running (runner.recover_stale).
The command repeats that with a pause; tests call `run_once` itself, so they
exercise the same worker the command runs.
"""

from __future__ import annotations

import time

from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from rewardshub.jobs.runner import recover_stale

QUEUE = "default"
BACKEND = "default"


def make_worker(worker_id: str | None = None) -> Worker:
    return Worker(
        queue_names=[QUEUE],
        interval=0,
        batch=True,
        backend_name=BACKEND,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id or get_random_string(32),
        excluded_queue_names=[],
    )


def run_once(worker: Worker | None = None) -> int:
    """Run every task that is due now; how many ran."""
    worker = worker or make_worker()
    recover_stale()
    before = worker._run_tasks
    worker.run()
    return worker._run_tasks - before


def run_forever(worker: Worker, interval: float) -> None:
    """Run due tasks, pause `interval` seconds, again, until a signal stops the worker.

    The backport's signal handlers (Worker.configure_signals) end the process
    at once between tasks and after the current task during one.
    """
    while worker.running:
        ran = run_once(worker)
        if not ran and worker.running:
            time.sleep(interval)
