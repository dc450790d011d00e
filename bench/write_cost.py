"""One write's own cost in one process: an API award, a prize order, an appointment PUT
or a 1,000-event appointment batch.

    python -m bench.write_cost award|order|appointment|batch [--calls N] [--url DATABASE_URL]
                                [--held] [--profile]

Builds a bench hub (bench.data) in a fresh SQLite file, or in the new, empty
database `--url` names, then makes the call `--calls` times through Django's
test client (the order through `order_prize`, as scenario 4's redeemer does)
and prints the median CPU and wall time of one call, and, for a PostgreSQL
on this machine, the mean CPU its backend used a call (from /proc). The
statistics are refreshed after the warm-up calls. `--held` also prints how
long each call held SQLite's write lock (BEGIN IMMEDIATE to COMMIT);
`--profile` prints a pyinstrument profile instead (`pip install
pyinstrument`; not a project dependency).

No server and no wrk: what a change does to one write's own cost, in seconds.
The figures to report come from `python -m bench`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.scratch import setup_django

CHARTS = 5_000  # linked charts the appointment calls pick from


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("call", choices=["award", "order", "appointment", "batch"])
    parser.add_argument("--calls", type=int, default=0, help="default: 300, or 5 batches")
    parser.add_argument("--url", default="", help="DATABASE_URL (default: a new SQLite file)")
    parser.add_argument("--held", action="store_true")
    parser.add_argument("--profile", action="store_true")
    opts = parser.parse_args()
    setup_django(url=opts.url, prefix="rh-write-cost-")
    call = _calls(opts.call)
    calls = opts.calls or (5 if opts.call == "batch" else 300)
    for _ in range(2 if opts.call == "batch" else 30):
        call()  # caches, compiled statements, the first sealing
    # Tables analyzed empty at migrate, filled since: planned on those statistics,
    # a read by a profile's id scanned every appointment, and the backend's CPU
    # grew with every call (a real hub has autovacuum's autoanalyze).
    from bench import data

    data.analyze()
    if opts.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(calls):
            call()
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
        return
    held = _watch_the_lock() if opts.held else None
    backend = _backend_cpu()
    backend_before = backend() if backend else 0.0
    cpu, wall = [], []
    for _ in range(calls):
        started_cpu, started = time.process_time(), time.perf_counter()
        call()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    line = (
        f"{opts.call}: {calls} calls, CPU median {statistics.median(cpu) * 1000:.2f} ms,"
        f" wall median {statistics.median(wall) * 1000:.2f} ms"
    )
    if backend:
        used = (backend() - backend_before) / calls
        line += f", database backend CPU {used * 1000:.2f} ms a call"
    if held:
        line += f", write lock held {statistics.median(held) * 1000:.2f} ms"
    print(line)


def _calls(name: str) -> Callable[[], None]:
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from bench import data
    from bench.appointments import switch_on_rules

    call_command("migrate", verbosity=0)
    hub = data.setup_hub()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {hub.token}", SERVER_NAME="127.0.0.1")
    rng = random.Random(3)
    count = iter(range(10**9))
    if name in ("award", "order"):
        hot = data.add_hot_profiles(hub, 10)
        return _award(client) if name == "award" else _order(hub, hot, rng)
    data.add_linked_profiles(hub, CHARTS)
    switch_on_rules(hub)
    start = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    visit = {"starts_at": start, "length_minutes": 30, "type_code": "ADJ",
             "type_label": "Adjustment", "status": "completed", "arrived_at": start,
             "completed_at": start}

    def chart() -> str:
        return f"CH{rng.randint(1, CHARTS):07d}"

    def appointment() -> None:
        path = f"/api/v1/pms/orthotrac/patients/{chart()}/appointments/S-{next(count)}"
        _ok(client.put(path, json.dumps({**visit, "pms_user": "BENCH"}),
                       content_type="application/json"))

    def batch() -> None:
        n = next(count)
        body = {"pms_user": "BENCH", "appointments": [
            {"chart_id": chart(), "appointment_id": f"B-{n}-{i}", **visit} for i in range(1000)
        ]}
        _ok(client.post("/api/v1/pms/orthotrac/appointments:batch", json.dumps(body),
                        content_type="application/json"))

    return appointment if name == "appointment" else batch


def _award(client: Any) -> Callable[[], None]:
    from bench.data import HOT_PREFIX

    body = json.dumps({"amount": 5, "description": "Bench contention", "pms_user": "BENCH"})
    count = iter(range(10**9))

    def award() -> None:
        chart = f"{HOT_PREFIX}{next(count) % 10}"
        _ok(client.post(f"/api/v1/pms/orthotrac/patients/{chart}/points", body,
                        content_type="application/json"))

    return award


def _order(hub: Any, hot: list[int], rng: random.Random) -> Callable[[], None]:
    from bench.data import ACTOR
    from rewardshub.patients.models import Profile
    from rewardshub.points.orders import order_prize

    def order() -> None:
        profile = Profile.objects.get(pk=rng.choice(hot))
        order_prize(practice=hub.practice, profile=profile, prize=hub.prize, actor=ACTOR)

    return order


def _ok(response: Any) -> None:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{response.status_code}: {response.content[:300]!r}")


def _backend_cpu() -> Callable[[], float] | None:
    """PostgreSQL on this machine: a reader of the CPU seconds this connection's
    backend has used (from /proc; the clock ticks make it a mean over many
    calls, not a per-call figure). None for SQLite or a database elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    return used


def _watch_the_lock() -> list[float]:
    """The time from each BEGIN IMMEDIATE to its COMMIT (SQLite)."""
    from rewardshub.backends.sqlite3 import base

    held: list[float] = []
    began: list[float] = []
    wrapper = base.DatabaseWrapper
    begin, commit = wrapper._start_transaction_under_autocommit, wrapper._commit

    def timed_begin(self: Any) -> None:
        begin(self)
        began.append(time.perf_counter())

    def timed_commit(self: Any) -> None:
        commit(self)
        if began:
            held.append(time.perf_counter() - began.pop())

    wrapper._start_transaction_under_autocommit = timed_begin  # type: ignore[method-assign]
    wrapper._commit = timed_commit  # type: ignore[method-assign]
    return held


if __name__ == "__main__":
    main()
