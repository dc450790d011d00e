"""What the bulk writer costs: batch sync and the writer alone, in one process.

    python -m bench.bulk_write [--url DATABASE_URL] [--runs 3]

Builds a practice and an integration key in a fresh SQLite file, or in the
database `--url` names (migrated; everything written is rolled back), then
prints the median over `--runs` runs (wall clock and this process's CPU) of:
a batch sync of 1,000 new charts (integrations/batch.py, the whole call),
and the bulk writer alone writing
10,000 new Profile rows and 10,000 AuditEvent rows the way a batch does
(batch_rows.Writes: rows built from plain values, then one write). The figures in
BENCHMARKS.md ("One bulk writer") come from here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.scratch import in_rolled_back_migrated_database, setup_django


def median_ms(func: Callable[[int], Any], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU ms of this process (the CPU time moves less when
    other work shares the machine; PostgreSQL's own work is not in it)."""
    wall, cpu = [], []
    for run in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        func(run)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="", help="DATABASE_URL (default: a new SQLite file)")
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    setup_django(url=opts.url, prefix="rh-bulk-write-")
    from django.db import connection

    print(f"{connection.vendor}, median of {opts.runs} runs", flush=True)
    in_rolled_back_migrated_database(lambda: run(opts.runs))


def run(runs: int) -> None:
    from django.db import transaction

    from rewardshub.audit.actors import Actor
    from rewardshub.integrations.actions import create_key
    from rewardshub.integrations.batch import BatchItem, sync_batch
    from rewardshub.integrations.batch_rows import Writes
    from rewardshub.integrations.caller import Caller
    from rewardshub.practices.actions import create_practice

    actor = Actor.system("bench")
    practice = create_practice(name="Bulk", slug="bulk-bench", actor=actor, locations=("Main",))
    key = create_key(practice=practice, name="bench", system="orthotrac", actor=actor).key
    caller = Caller(key=key, pms_user="bench")
    birth = dt.date(2012, 4, 17)

    def batch(run: int) -> None:
        items = [
            BatchItem(
                f"R{run}-{i:05d}",
                {"first_name": f"First{i}", "last_name": f"Last{i}", "birth_date": birth},
            )
            for i in range(1000)
        ]
        with transaction.atomic():
            sync_batch(caller=caller, items=items)

    def profiles(run: int) -> None:
        writes = Writes(caller)
        blank = ["", "", "", None, "", "", "", "", None]  # batch_rows.PROFILE_COLUMNS
        for i in range(10_000):
            values = list(blank)
            values[0], values[1], values[3] = f"First{i}", f"Last{i}", birth
            writes.profiles.add(uuid.uuid4(), f"9{run:02d}{i:013d}", *values)
        with transaction.atomic():
            writes.profiles.write()

    def audits(run: int) -> None:
        writes = Writes(caller)
        for i in range(10_000):
            writes.audit(None, "profile.create", {"chart_id": f"R{run}-{i}", "n": i})
        with transaction.atomic():
            writes.audits.write()

    for name, func in (
        ("batch sync, 1,000 new charts", batch),
        ("writer, 10,000 Profile rows", profiles),
        ("writer, 10,000 AuditEvent rows", audits),
    ):
        func(99)  # warm: caches, statements
        wall, cpu = median_ms(func, runs)
        print(f"{name}: {wall:.0f} ms ({cpu:.0f} ms CPU)", flush=True)


if __name__ == "__main__":
    main()
