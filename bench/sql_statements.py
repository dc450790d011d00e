"""What each cached statement is worth: the plain ORM call against the statement
compiled once (statement.Statement), in one process.

    python -m bench.sql_statements [--url DATABASE_URL] [--rounds 2000]

Builds a small practice in a fresh SQLite file, or in the database `--url`
names (migrated, then every measured write rolled back), and prints the
median time per call of each variant over `--rounds` calls (5 repeats).
The figures in BENCHMARKS.md ("SQL from the models") come from here.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.scratch import in_rolled_back_migrated_database, setup_django


def per_call(func: Callable[[], Any], rounds: int) -> float:
    """Median of 5 runs, in ms of this process's CPU time per call: what the ORM's
    compile costs is Python's time, and CPU time moves less than wall time when
    other work shares the machine (PostgreSQL's own time is not in it)."""
    func()  # warm: compile caches, connection
    times = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(rounds):
            func()
        times.append((time.process_time() - start) / rounds * 1000)
    return statistics.median(times)


def report(name: str, variants: dict[str, Callable[[], Any]], rounds: int) -> None:
    results = {label: per_call(func, rounds) for label, func in variants.items()}
    base = results[next(iter(results))]
    cells = ", ".join(f"{label} {ms:.3f} ms ({base - ms:+.3f})" for label, ms in results.items())
    print(f"{name}: {cells}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="", help="DATABASE_URL (default: a new SQLite file)")
    parser.add_argument("--rounds", type=int, default=2000)
    opts = parser.parse_args()
    setup_django(url=opts.url, prefix="rh-sql-statements-")
    from django.db import connection

    print(f"{connection.vendor}, {opts.rounds} calls a run", flush=True)
    in_rolled_back_migrated_database(lambda: run(opts.rounds))


def run(rounds: int) -> None:
    from django.db.models import F

    from rewardshub.audit.actions import record_event
    from rewardshub.audit.actors import Actor
    from rewardshub.patients.models import Profile
    from rewardshub.practices.actions import create_practice

    actor = Actor.system("bench")
    practice = create_practice(name="Statements", slug="statements-bench", actor=actor)
    profile = Profile.objects.create(
        practice=practice, username="3000000000000002", first_name="A", last_name="B"
    )
    pk, practice_id = profile.pk, practice.pk

    # The ledger's profile lock and balance move (points/ledger.py).
    from rewardshub.points import ledger

    report(
        "lock profile",
        {
            "ORM": lambda: Profile.objects.select_for_update().get(pk=pk, practice_id=practice_id),
            "Statement": lambda: ledger._LOCK.first(pk, practice_id),
        },
        rounds,
    )

    report(
        "move balance",
        {
            "ORM": lambda: Profile.objects.filter(pk=pk, practice_id=practice_id).update(
                points_balance=F("points_balance") + 1
            ),
            "Statement": lambda: ledger._MOVE_BALANCE.run(pk, practice_id, 1),
        },
        rounds,
    )

    heads(practice_id, rounds)
    history(profile, rounds // 4)
    for n in (0, 1):
        for _ in range(n):
            record_event(practice=practice, actor=actor, action="bench")
        chain(practice_id, rounds, n)
    links(practice, actor, rounds)


def heads(practice_id: int, rounds: int) -> None:
    """The sealer's lock and move of its chain head (ORM QuerySets, compiled each time)."""
    from rewardshub.audit.chain import seal
    from rewardshub.audit.models import AuditChainHead
    from rewardshub.statement import Statement

    seal([practice_id])
    heads = AuditChainHead.objects
    lock = Statement(lambda key: heads.select_for_update().filter(chain=key), int, kind="models")
    move = Statement(
        lambda key, seq, last: heads.filter(chain=key),
        int,
        int,
        str,
        kind="update",
        update=lambda key, seq, last: {"last_seq": seq, "last_hash": last},
    )
    head = heads.get(chain=practice_id)
    report(
        "lock chain head",
        {
            "ORM": lambda: heads.select_for_update().filter(chain=practice_id).first(),
            "Statement": lambda: lock.first(practice_id),
        },
        rounds,
    )
    report(
        "move chain head",
        {
            "ORM": lambda: heads.filter(chain=practice_id).update(
                last_seq=head.last_seq, last_hash=head.last_hash
            ),
            "Statement": lambda: move.run(practice_id, head.last_seq, head.last_hash),
        },
        rounds,
    )


def history(profile: Any, rounds: int) -> None:
    """The history page's count and waiting check: RawSQL against Subquery/Exists."""
    from django.db.models import Count, Exists, IntegerField, Subquery

    from rewardshub.points import queries
    from rewardshub.points.models import EntryKind, LedgerEntry, PendingAward

    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            practice_id=profile.practice_id,
            profile=profile,
            points=1,
            kind=EntryKind.ADJUST,
            actor_kind="system",
            actor_label="bench",
        )
        for _ in range(200)
    )

    def orm_extras(profile: Any) -> dict[str, Any]:
        count = (
            LedgerEntry.objects.filter(profile=profile)
            .order_by()
            .values("profile")
            .annotate(n=Count("*"))
            .values("n")
        )
        waiting = PendingAward.objects.filter(
            profile=profile, decision=PendingAward.Decision.PENDING
        )
        return {
            "total": Subquery(count, output_field=IntegerField()),
            "any_waiting": Exists(waiting),
        }

    hand = queries._page_extras
    first = queries.history_page(profile, 1)

    def with_orm() -> Any:
        queries._page_extras = orm_extras  # type: ignore[assignment]
        try:
            return queries.history_page(profile, 1)
        finally:
            queries._page_extras = hand

    hand_rows = queries._page_rows

    def orm_rows(profile: Any) -> Any:
        # `history`'s correlated Exists, compiled with the page each time.
        return queries.history(profile).select_related(None)

    def with_orm_rows() -> Any:
        queries._page_rows = orm_rows  # type: ignore[assignment]
        try:
            return queries.history_page(profile, 1)
        finally:
            queries._page_rows = hand_rows

    assert with_orm_rows().entries == first.entries
    report(
        "history page, is_reversed",
        {
            "ORM Exists(OuterRef)": with_orm_rows,
            "RawSQL from _meta": lambda: queries.history_page(profile, 1),
        },
        rounds,
    )
    second = with_orm()
    assert first.entries == second.entries and first.any_waiting == second.any_waiting
    assert first.page.paginator.count == second.page.paginator.count
    report(
        "history page query",
        {
            "ORM (Subquery, Exists)": with_orm,
            "Statement": lambda: queries.history_page(profile, 1),
        },
        rounds,
    )


def chain(practice_id: int, rounds: int, pending: int) -> None:
    """The sealer's read of a chain's unlinked events."""
    from rewardshub.audit import chain as chain_module
    from rewardshub.audit.models import AuditEvent

    names = ("id", *chain_module._PENDING_NAMES)

    def orm() -> list[Any]:
        return list(
            AuditEvent.objects.filter(practice_id=practice_id, seq__isnull=True)
            .order_by("id")
            .values_list(*names)[: chain_module.SEAL_BATCH]
        )

    statement = chain_module._pending(chain_module.SEAL_BATCH, False)
    assert orm() == statement.rows(practice_id)
    assert len(orm()) >= pending
    report(
        f"pending events ({len(orm())} waiting)",
        {
            "ORM": orm,
            "Statement": lambda: statement.rows(practice_id),
        },
        rounds,
    )


def links(practice: Any, actor: Any, rounds: int) -> None:
    """Linking a sealing step's events: 1 and 2,000 rows."""
    from django.db import connection, models

    from rewardshub.audit import chain as chain_module
    from rewardshub.audit.actions import build_event, record_events
    from rewardshub.audit.models import AuditEvent

    record_events(build_event(practice=practice, actor=actor, action="b") for _ in range(2000))
    ids = list(
        AuditEvent.objects.filter(practice=practice, seq__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:2000]
    )
    plain = models.QuerySet(model=AuditEvent)
    for n, calls in ((1, rounds), (2000, max(3, rounds // 400))):
        step = ids[:n]
        links = [(10_000 + i, "p" * 64, "h" * 64, pk) for i, pk in enumerate(step)]
        objs = []
        for seq, prev, this, pk in links:
            event = AuditEvent(id=pk, seq=seq, prev_hash=prev, hash=this)
            objs.append(event)

        def per_row(links: list[tuple[int, str, str, int]] = links) -> None:
            for seq, prev, this, pk in links:
                plain.filter(pk=pk).update(seq=seq, prev_hash=prev, hash=this)

        variants = {
            "ORM update a row": per_row,
            "bulk_update": lambda objs=objs: plain.bulk_update(objs, ["seq", "prev_hash", "hash"]),
            "Statement / VALUES": lambda links=links: chain_module._link("default", links),
        }
        report(f"link {n} event(s) ({connection.vendor})", variants, calls)


if __name__ == "__main__":
    main()
