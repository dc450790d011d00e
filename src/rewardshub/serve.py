"""`rewardshub serve`: gunicorn with the hub's production defaults."""

from __future__ import annotations

import argparse
import os
import sys

from gunicorn.app.wsgiapp import run


def serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="rewardshub serve")
    parser.add_argument("--host", default=os.environ.get("HUB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUB_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("HUB_WORKERS", "2")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("HUB_THREADS", "4")))
    opts = parser.parse_args(argv)
    # Requests leave linking the audit chain to a thread of their worker.
    os.environ.setdefault("REWARDSHUB_AUDIT_SEAL_IN_BACKGROUND", "true")
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
