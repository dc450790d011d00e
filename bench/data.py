"""Bench data through bulk paths (bulk_create, executemany): never through the API."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from rewardshub.audit.actors import Actor
from rewardshub.cards.models import BatchSource, Card, CardBatch
from rewardshub.cards.numbers import luhn_check_digit
from rewardshub.integrations.actions import create_key
from rewardshub.integrations.models import PmsLink
from rewardshub.patients.models import Profile
from rewardshub.points.models import EntryKind, LedgerEntry, Prize
from rewardshub.practices.actions import add_staff, create_practice
from rewardshub.practices.models import Practice, Role

ACTOR = Actor.system("bench")
SYSTEM = "orthotrac"
CHART_PREFIX = "CH"
HOT_PREFIX = "HOT-"
STAFF_USER = "bench-owner"
STAFF_PASSWORD = "bench-owner-password-not-secret"  # noqa: S105
CHUNK = 5_000


@dataclass
class Hub:
    practice: Practice
    token: str
    prize: Prize
    profiles: int = 0


def setup_hub() -> Hub:
    practice = create_practice(name="Bench Orthodontics", slug="bench", actor=ACTOR,
                               locations=("Bench",))
    token = create_key(practice=practice, name="bench", system=SYSTEM, actor=ACTOR).token
    add_staff(practice=practice, username=STAFF_USER, password=STAFF_PASSWORD, role=Role.OWNER,
              actor=ACTOR)
    prize = Prize.objects.create(practice=practice, name="Bench prize", cost=10)
    return Hub(practice=practice, token=token, prize=prize)


def _profile(practice: Practice, username: str, n: int, now: dt.datetime) -> Profile:
    return Profile(
        practice=practice, username=username, first_name="Bench", last_name=f"Patient{n}",
        created_at=now, updated_at=now,
    )


def add_linked_profiles(hub: Hub, count: int) -> float:
    """Grow the linked profiles CH0000001.. to `count`; returns the seconds it took.

    Rows are made by the database itself (INSERT ... SELECT over a number
    series), 100,000 a transaction: a million profiles and links in seconds,
    where building a million model objects would take minutes.
    """
    start = time.perf_counter()
    prof = Profile._meta.db_table
    link = PmsLink._meta.db_table
    now = Profile._meta.get_field("created_at").get_db_prep_value(timezone.now(), connection)
    if connection.vendor == "postgresql":
        series = "SELECT generate_series(%s::bigint, %s::bigint) AS n"
        pad15, pad7 = "lpad(n::text, 15, '0')", "lpad(n::text, 7, '0')"
        new_uuid = "gen_random_uuid()"
    else:
        series = (
            "WITH RECURSIVE seq(n) AS (SELECT %s UNION ALL SELECT n + 1 FROM seq WHERE n < %s)"
            " SELECT n FROM seq"
        )
        pad15 = "substr('000000000000000' || n, -15, 15)"
        pad7 = "substr('0000000' || n, -7, 7)"
        new_uuid = "lower(hex(randomblob(16)))"
    insert_profiles = (
        f"INSERT INTO {prof} (public_id, practice_id, username, first_name, last_name,"
        " preferred_name, email, phone_mobile, phone_home, responsible_party, kind, status,"
        " points_balance, language, created_at, updated_at)"
        f" SELECT {new_uuid}, %s, '5' || {pad15}, 'Bench', 'Patient' || {pad7}, '', '', '',"
        f" '', '', 'member', 'active', 0, '', %s, %s FROM ({series}) AS numbers"
    )
    insert_links = (
        f"INSERT INTO {link} (practice_id, system, chart_id, profile_id, created_at,"
        f" last_synced_at, pms_status) SELECT practice_id, %s, %s || substr(username, 10, 7),"
        f" id, %s, %s, ''"
        f" FROM {prof} WHERE username >= %s AND username <= %s"
    )
    pid = hub.practice.pk
    step = 100_000
    with connection.cursor() as cursor:
        for lo in range(hub.profiles + 1, count + 1, step):
            hi = min(lo + step - 1, count)
            with transaction.atomic():
                cursor.execute(insert_profiles, [pid, now, now, lo, hi])
                cursor.execute(insert_links, [SYSTEM, CHART_PREFIX, now, now,
                                              f"5{lo:015d}", f"5{hi:015d}"])
    hub.profiles = max(hub.profiles, count)
    analyze()
    return time.perf_counter() - start


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give a real hub;
    without them PostgreSQL plans the 1M-row tables as if they were empty."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def settle(timeout_s: float = 120.0) -> float:
    """Let PostgreSQL finish the work a bulk load leaves it (a checkpoint of the
    written pages, autovacuum of the new tables) before a figure is taken, so
    that work does not land on the next scenario or baseline. Returns the
    seconds it waited."""
    if connection.vendor != "postgresql":
        return 0.0
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
        while time.perf_counter() - start < timeout_s:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            )
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(1)
    return time.perf_counter() - start


HOT_OPENING = 1_000_000


def add_hot_profiles(hub: Hub, count: int) -> list[int]:
    now = timezone.now()
    made = Profile.objects.bulk_create(
        [_profile(hub.practice, f"4{n:015d}", n, now) for n in range(count)]
    )
    PmsLink.objects.bulk_create([
        PmsLink(practice=hub.practice, system=SYSTEM, chart_id=f"{HOT_PREFIX}{i}",
                profile=profile, last_synced_at=now)
        for i, profile in enumerate(made)
    ])
    # An opening balance no run can spend, so no redeem is refused: a refused
    # redeem writes nothing, and counting it as an operation would make the
    # scenario's figure depend on how many awards came before it.
    LedgerEntry.objects.bulk_create([
        LedgerEntry(practice=hub.practice, profile=profile, points=HOT_OPENING,
                    kind=EntryKind.ADJUST, description="Bench opening balance",
                    actor_kind="system", actor_label="bench", created_at=now)
        for profile in made
    ])
    Profile.objects.filter(pk__in=[p.pk for p in made]).update(points_balance=HOT_OPENING)
    return [p.pk for p in Profile.objects.filter(username__startswith="4").order_by("username")]


def card_number(n: int) -> str:
    partial = f"62779{n:010d}"
    return partial + luhn_check_digit(partial)


def add_available_cards(hub: Hub, count: int, out: Path) -> None:
    """Issued, available cards (the set card scenario's new cards), listed in `out`."""
    batch = CardBatch.objects.create(
        practice=hub.practice, source=BatchSource.ISSUED, label="Bench", size=count
    )
    numbers = [card_number(n) for n in range(count)]
    for lo in range(0, count, CHUNK):
        Card.objects.bulk_create(
            [Card(number=num, practice=hub.practice, batch=batch)
             for num in numbers[lo : lo + CHUNK]]
        )
    out.write_text("\n".join(numbers) + "\n")


def add_ledger_profile(hub: Hub, entries: int) -> Profile:
    """One profile with `entries` ledger entries (the profile page scenario)."""
    now = timezone.now()
    profile = Profile.objects.create(
        practice=hub.practice, username="3000000000000001", first_name="Ledger",
        last_name="Heavy",
    )
    rows = [
        LedgerEntry(
            practice=hub.practice, profile=profile, points=5, kind=EntryKind.ADJUST,
            description=f"Bench entry {i}", actor_kind="system", actor_label="bench",
            created_at=now - dt.timedelta(minutes=i),
        )
        for i in range(entries)
    ]
    for lo in range(0, entries, CHUNK):
        LedgerEntry.objects.bulk_create(rows[lo : lo + CHUNK])
    Profile.objects.filter(pk=profile.pk).update(points_balance=5 * entries)
    profile.refresh_from_db()
    return profile


def raw_insert(hub: Hub, count: int, rows_per_call: int = 1000) -> float:
    """The "raw insert" baseline: executemany of the rows a batch sync writes
    (a profile and its chart link per chart), no ORM. Returns charts/s."""
    prof = Profile._meta
    link = PmsLink._meta
    uuid_field = prof.get_field("public_id")
    time_field = prof.get_field("created_at")
    now = time_field.get_db_prep_value(timezone.now(), connection)
    insert_profile = (
        f"INSERT INTO {prof.db_table} (public_id, practice_id, username, first_name, last_name,"
        " preferred_name, birth_date, email, phone_mobile, phone_home, responsible_party, kind,"
        " status, points_balance, language, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, '', %s, '', %s, '', '', 'chart', 'active', 0, '', %s, %s)"
    )
    insert_link = (
        f"INSERT INTO {link.db_table} (practice_id, system, chart_id, profile_id, created_at,"
        " last_synced_at, pms_status) VALUES (%s, %s, %s, %s, %s, %s, '')"
    )
    birth = prof.get_field("birth_date").get_db_prep_value(dt.date(2012, 3, 4), connection)
    pid = hub.practice.pk
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for lo in range(0, count, rows_per_call):
            names = [f"7{n:015d}" for n in range(lo, min(lo + rows_per_call, count))]
            with transaction.atomic():
                cursor.executemany(insert_profile, [
                    (uuid_field.get_db_prep_value(uuid.uuid4(), connection), pid, name,
                     "Onboard", f"Patient{name[-4:]}", birth, "770-555-0100", now, now)
                    for name in names
                ])
                cursor.execute(
                    f"SELECT id, username FROM {prof.db_table} WHERE username >= %s"
                    " AND username <= %s",
                    [names[0], names[-1]],
                )
                ids = dict((u, i) for i, u in cursor.fetchall())
                cursor.executemany(insert_link, [
                    (pid, SYSTEM, f"RAW{name}", ids[name], now, now) for name in names
                ])
    return count / (time.perf_counter() - start)
