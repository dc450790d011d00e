"""`rewardshub serve`: gunicorn with the hub's production defaults."""

from __future__ import annotations

import argparse
import os
import sys

from gunicorn.app.wsgiapp import run

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


def serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="rewardshub serve")
    parser.add_argument("--host", default=os.environ.get("HUB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUB_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("HUB_WORKERS", "2")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("HUB_THREADS", "4")))
    opts = parser.parse_args(argv)
    refusal = per_process_refusal(opts.workers)
    if refusal:
        sys.exit(refusal)
    sys.argv = [
        "gunicorn",
        "rewardshub.wsgi:application",
        f"--bind={opts.host}:{opts.port}",
        f"--workers={opts.workers}",
        f"--threads={opts.threads}",
        "--access-logfile=-",
        "--logger-class=rewardshub.access_log.RedactingLogger",
        # The default access log prints the query string; ours prints the
        # path only, which by design never carries patient data.
        '--access-logformat=%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
        "--forwarded-allow-ips=127.0.0.1",
    ]
    run()
