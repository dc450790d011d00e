"""Scenario 6 in one process: the staff profile page of a patient with many ledger entries.

    python -m bench.profile_page [--entries 5000] [--requests 50] [--sql] [--profile]
                                 [--url DATABASE_URL] [--workdir DIR] [--chart]

Builds the data as bench.run does (bench.data.add_ledger_profile) in a fresh
SQLite file, or in the database `--url` names (reused when it already holds
the bench practice), then counts the page's queries with
CaptureQueriesContext and times `--requests` renders through Django's test
client: the median wall time and the median CPU time of this process (the
CPU time moves less when other work shares the machine). `--sql` lists the
queries; `--profile` prints a pyinstrument profile of 20 renders
(`pip install pyinstrument`; not a project dependency). `--chart` measures
the PMS chart tab of the same patient instead.

No server and no wrk: what a change does to the page's own cost, in seconds.
The figures to report come from `python -m bench`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

from bench.scratch import setup_django

USERNAME = "3000000000000001"  # bench.data.add_ledger_profile's profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--url", default="", help="DATABASE_URL (default: a new SQLite file)")
    parser.add_argument("--workdir", default="")
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--chart", action="store_true")
    opts = parser.parse_args()
    workdir = setup_django(
        url=opts.url,
        prefix="rh-profile-page-",
        workdir=Path(opts.workdir) if opts.workdir else None,
    )
    run(opts, workdir)


def _client(opts: argparse.Namespace, profile: Any) -> tuple[Any, str]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.data import STAFF_USER
    from rewardshub.practices.context import SESSION_LAUNCH

    client = Client(SERVER_NAME="127.0.0.1")
    if opts.chart:
        session = client.session
        session[SESSION_LAUNCH] = {
            "practice_id": profile.practice_id,
            "actor": "BENCH via Orthotrac",
            "system": "orthotrac",
            "key_id": None,
            "view": "chart",
            "frame_ancestors": "",
        }
        session.save()
        return client, f"/chart/{profile.public_id}/"
    client.force_login(get_user_model().objects.get(username=STAFF_USER))
    return client, f"/patients/{profile.public_id}/"


def run(opts: argparse.Namespace, workdir: Path) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import data
    from rewardshub.patients.models import Profile

    call_command("migrate", verbosity=0)
    profile = Profile.objects.filter(username=USERNAME).first()
    if profile is None:
        hub = data.setup_hub()
        profile = data.add_ledger_profile(hub, opts.entries)
        data.analyze()
    client, path = _client(opts, profile)
    first = client.get(path)  # the session's practice choice and idle clock
    assert first.status_code == 200, first.status_code
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    print(
        f"{path}: status {response.status_code}, {len(response.content):,} bytes, "
        f"{len(captured.captured_queries)} queries ({connection.vendor}, data in {workdir})"
    )
    if opts.sql:
        for query in captured.captured_queries:
            print(f"  {query['time']} s  {' '.join(query['sql'].split())[:300]}")
    wall, cpu = [], []
    for _ in range(opts.requests):
        started, cpu_started = time.perf_counter(), time.process_time()
        client.get(path)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    print(
        f"{opts.requests} requests: wall median {statistics.median(wall):.2f} ms "
        f"(min {min(wall):.2f}), CPU median {statistics.median(cpu):.2f} ms; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    if opts.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(20):
                client.get(path)
        print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
