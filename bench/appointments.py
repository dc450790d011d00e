"""Scenario 7: appointment events paying automatic points.

7a sends the nightly catch-up's shape, 1,000 appointment events a call over 4
connections, each a visit completed on time for a linked chart, so every
event pays two rules (kept and on time) with its ledger entries, audit rows
and Sync log rows; its baseline is the raw insert of the rows an event must
write at the least (the appointment and one ledger entry), executemany with
no ORM. 7b sends single events under 16 connections, after fresh planner
statistics for the rows 7a wrote. The ledger invariant is checked after both.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bench import data
from bench.data import ACTOR, SYSTEM, Hub


def switch_on_rules(hub: Hub) -> None:
    """Kept and on time on, since yesterday (visits of today count)."""
    from rewardshub.automations.models import AutoRule
    from rewardshub.automations.settings_actions import save_rule

    save_rule(practice=hub.practice, trigger="kept", enabled=True, points=5, actor=ACTOR)
    save_rule(practice=hub.practice, trigger="on_time", enabled=True, points=3, actor=ACTOR)
    AutoRule.objects.filter(practice=hub.practice).update(
        active_from=timezone.now() - dt.timedelta(days=1)
    )


def raw_insert(hub: Hub, count: int, rows_per_call: int = 1000) -> float:
    """Events/s of executemany INSERTs of one appointment and one ledger entry per
    event, 1,000 events a transaction, for a profile of their own whose balance
    is set to its entries' sum afterwards (the invariant holds)."""
    from rewardshub.automations.models import Appointment
    from rewardshub.patients.models import Profile
    from rewardshub.points.models import LedgerEntry

    owner = Profile.objects.create(practice=hub.practice, username="9900000000000001",
                                   first_name="Raw", last_name="Insert")
    profile_ids = [owner.pk]
    appt, entry = Appointment._meta, LedgerEntry._meta
    prep_uuid = appt.get_field("public_id").get_db_prep_value
    prep_time = appt.get_field("created_at").get_db_prep_value
    now = prep_time(timezone.now(), connection)
    insert_appointment = (
        f"INSERT INTO {appt.db_table} (public_id, practice_id, system, chart_id, appointment_id,"
        " profile_id, starts_at, length_minutes, type_code, type_label, office, provider, status,"
        " confirmed, arrived_at, completed_at, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, 30, 'ADJ', 'Adjustment', '', '', 'completed',"
        " %s, %s, %s, %s, %s)"
    )
    insert_entry = (
        f"INSERT INTO {entry.db_table} (public_id, practice_id, profile_id, points, kind,"
        " description, actor_kind, actor_label, created_at)"
        " VALUES (%s, %s, %s, 5, 'auto', 'Appointment kept: Adjustment', 'system',"
        " 'Automatic points', %s)"
    )
    no = appt.get_field("confirmed").get_db_prep_value(False, connection)
    pid = hub.practice.pk
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for lo in range(0, count, rows_per_call):
            numbers = range(lo, min(lo + rows_per_call, count))
            with transaction.atomic():
                cursor.executemany(insert_appointment, [
                    (prep_uuid(uuid.uuid4(), connection), pid, SYSTEM, f"RAW{n}", f"RAW{n}",
                     profile_ids[n % len(profile_ids)], now, no, now, now, now, now)
                    for n in numbers
                ])
                cursor.executemany(insert_entry, [
                    (prep_uuid(uuid.uuid4(), connection), pid, profile_ids[n % len(profile_ids)],
                     now)
                    for n in numbers
                ])
    elapsed = time.perf_counter() - start
    Profile.objects.filter(pk=owner.pk).update(points_balance=5 * count)
    return count / elapsed


def run(runner: Any) -> None:
    from bench.invariant import check_database
    switch_on_rules(runner.hub)
    charts = runner.scale["main"]
    start = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    rows = runner.scale["batch_rows"]
    prefix = f"E{int(time.time())}"
    with runner._serve("hub") as hub:
        batch = runner._wrk(hub, "/", script="appointments.lua", connections=4,
                            seconds=runner.scale["batch_seconds"],
                            script_args=["batch", str(rows), str(charts), prefix, start],
                            headers=runner._auth(), timeout_s=60)
    if runner.shared is not None:
        runner.shared.stop()  # let the last 1,000-event calls finish before the next run
        runner.shared = None
    events = (batch["requests"] - batch["non_2xx"]) * rows
    batch["events"] = events
    batch["events_per_s"] = round(events / batch["seconds"], 1)
    found = check_database()
    raw = raw_insert(runner.hub, runner.scale["raw"] // 2)
    ratio = batch["events_per_s"] / raw
    ok = batch["non_2xx"] == 0 and not found
    ok = ok and (runner.db != "postgres" or batch["events_per_s"] >= 3000)
    runner._row(f"7a. appointment events, batch ({rows} a call, 4 connections)", batch,
                baseline="raw insert", baseline_events_per_s=round(raw, 1),
                ratio=round(ratio, 3), invariant_violations=len(found),
                target="≥ 3,000 events/s on PostgreSQL; balance == ledger sum",
                passed=ok)
    # 7a wrote tens of thousands of appointments, awards and ledger entries into
    # tables that were empty when the data was analyzed: fresh statistics, as
    # autovacuum's autoanalyze would give a real hub (this machine runs
    # PostgreSQL with autovacuum off), and the checkpoint 7a's writes left.
    data.analyze()
    data.settle()
    with runner._serve("hub") as hub:
        single = runner._wrk(hub, "/", script="appointments.lua",
                             script_args=["single", "1", str(charts), prefix + "S", start],
                             headers=runner._auth())
    found = check_database()
    ok = single["non_2xx"] == 0 and not found
    ok = ok and (runner.db != "postgres" or single["p99_ms"] <= 100)
    runner._row("7b. appointment events, one a call (16 connections)", single,
                baseline="bare", ratio=round(single["rps"] / runner.bare["rps"], 3),
                invariant_violations=len(found),
                target="p99 ≤ 100 ms on PostgreSQL; balance == ledger sum",
                passed=ok)
