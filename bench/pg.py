"""A scratch PostgreSQL database (rh_bench) made from REWARDSHUB_BENCH_POSTGRES_URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

SCRATCH = "rh_bench"
# Scenario 5's copy at the small profile count (made by bench.run).
SCRATCH_SMALL = "rh_bench_small"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    import psycopg

    conninfo = with_database(url, urlsplit(url).path.lstrip("/") or "postgres")
    conninfo = conninfo.replace("postgresql+psycopg://", "postgresql://")

    def run(sql: str) -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql)

    run(f"DROP DATABASE IF EXISTS {SCRATCH_SMALL} WITH (FORCE)")
    run(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
    run(f"CREATE DATABASE {SCRATCH}")
    try:
        yield with_database(url, SCRATCH)
    finally:
        run(f"DROP DATABASE IF EXISTS {SCRATCH_SMALL} WITH (FORCE)")
        run(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
