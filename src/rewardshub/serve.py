"""`rewardshub serve`: gunicorn with the hub's production defaults.

Stopping: on SIGTERM gunicorn stops taking connections and lets the requests
in flight finish, for up to --graceful-timeout seconds (HUB_GRACEFUL_TIMEOUT,
default 30), before it ends the workers. Our worker classes close their
listening sockets at once, so a new connection is refused (a proxy tries the
next server) rather than left waiting in the queue of a server that is going
away.

Workers of one thread (PostgreSQL's default) are gunicorn's sync workers: a
worker takes a connection only when it is free, so a request never waits
behind another in a busy worker while a second worker is idle. The thread
worker keeps connections alive, and a kept connection stays with the worker
that took it, busy or not: at 16 connections on two one-thread workers that
gave scenario 7b a p99 of 190 ms against 120 ms with sync workers, for the
same throughput (BENCHMARKS.md, "One free worker takes the next request").
A sync worker answers each request on its own connection, and one whose
request runs longer than --timeout (HUB_TIMEOUT, default 120 s) is stopped
and replaced.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

from gunicorn.app.wsgiapp import run
from gunicorn.workers.gthread import ThreadWorker as GunicornThreadWorker
from gunicorn.workers.sync import SyncWorker as GunicornSyncWorker

# prometheus_client's folder for the workers' metric files (monitoring/metrics.py). Not
# imported from there: prometheus_client picks its mode when first imported, and
# the workers inherit this process's modules.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# The throttle store that counts in each process's memory (rewardshub.ratelimit).
PER_PROCESS = "memory"


def per_process_refusal(workers: int) -> str:
    """Why the sign-in throttles cannot run on these workers, or "" when they can.

    A per-process store gives each worker its own count, so an attacker whose
    requests land on N workers gets N times the guesses.
    """
    from django.conf import settings  # settings only: the apps are not loaded here

    if workers <= 1 or settings.LOGIN_THROTTLE_STORE != PER_PROCESS:
        return ""
    return (
        f"rewardshub serve: refusing to start {workers} workers with "
        f"REWARDSHUB_THROTTLE_STORE={PER_PROCESS}: each worker would count failed sign-ins "
        "on its own, so lockouts and rate limits would not hold. Unset "
        "REWARDSHUB_THROTTLE_STORE (the database keeps them; or Redis with "
        "REWARDSHUB_REDIS_URL), or run --workers 1."
    )


def default_threads(engine: str = "") -> int:
    """Threads a worker by default: 1 on PostgreSQL, 4 on SQLite.

    The hub's requests are Python and database work, and the threads of one
    process share one interpreter lock: on PostgreSQL, which locks rows, a
    thread rarely waits, so more threads only contend for that lock (on a
    2-core machine four threads a worker gave less throughput and longer
    tails than one in every scenario: BENCHMARKS.md, "Round trips, and one
    thread a worker"). SQLite has one write lock for the whole database, and a writer
    waits for it asleep in its busy handler for up to 20 s; there a worker's
    other threads go on answering meanwhile.
    """
    from django.conf import settings  # settings only: the apps are not loaded here

    engine = engine or settings.DATABASES["default"]["ENGINE"]
    return 1 if engine.endswith("postgresql") else 4


class ThreadWorker(GunicornThreadWorker):
    """gunicorn's thread worker, refusing new connections as soon as it stops."""

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:
            # Stopping: the master has closed its copies; once every worker has
            # closed its own, the port is closed and connections are refused.
            for listener in self.sockets:
                listener.close()


class SyncWorker(GunicornSyncWorker):
    """gunicorn's sync worker, refusing new connections as soon as it stops."""

    def handle_exit(self, sig: int, frame: object) -> None:
        super().handle_exit(sig, frame)
        # The request in flight, if any, has its own socket and runs to its end.
        for listener in self.sockets:
            listener.close()


def worker_class(threads: int) -> str:
    """The sync worker for one thread, the thread worker for more."""
    worker = SyncWorker if threads == 1 else ThreadWorker
    return f"{__name__}.{worker.__name__}"


def metrics_dir() -> str:
    """An empty folder for this run's metric files: the operator's, emptied, or a new one."""
    given = os.environ.get(MULTIPROC_ENV, "")
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.db"):
            old.unlink()
        return str(folder)
    made = tempfile.mkdtemp(prefix="rewardshub-metrics-")
    master = os.getpid()

    def remove() -> None:
        # Workers are forked from this process and run its exit handlers too.
        if os.getpid() == master:
            shutil.rmtree(made, ignore_errors=True)

    atexit.register(remove)
    return made


def serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="rewardshub serve")
    parser.add_argument("--host", default=os.environ.get("HUB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUB_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("HUB_WORKERS", "2")))
    parser.add_argument(
        "--threads", type=int, default=int(os.environ.get("HUB_THREADS", default_threads()))
    )
    parser.add_argument(
        "--graceful-timeout",
        type=int,
        default=int(os.environ.get("HUB_GRACEFUL_TIMEOUT", "30")),
        help="seconds the requests in flight may take to finish after SIGTERM",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=int(os.environ.get("HUB_TIMEOUT", "120")),
        help="seconds a sync worker's request may run before the worker is replaced",
    )
    opts = parser.parse_args(argv)
    refusal = per_process_refusal(opts.workers)
    if refusal:
        sys.exit(refusal)
    os.environ[MULTIPROC_ENV] = metrics_dir()
    sys.argv = [
        "gunicorn",
        "rewardshub.wsgi:application",
        f"--bind={opts.host}:{opts.port}",
        f"--workers={opts.workers}",
        f"--threads={opts.threads}",
        f"--worker-class={worker_class(opts.threads)}",
        f"--graceful-timeout={opts.graceful_timeout}",
        f"--timeout={opts.timeout}",
        "--access-logfile=-",
        "--logger-class=rewardshub.access_log.RedactingLogger",
        # The default access log prints the query string; ours prints the
        # path only, which by design never carries patient data.
        '--access-logformat=%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss request_id=%({x-request-id}o)s',
        "--forwarded-allow-ips=127.0.0.1",
    ]
    run()
