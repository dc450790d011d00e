"""The key lookup in one process: the plain ORM against the cached lookup.

    python -m bench.key_lookup [--url DATABASE_URL] [--redis REDIS_URL] [--n 5000]

Migrates a fresh SQLite file (or the database `--url` names), makes a
practice and an integration key, then times, one lookup at a time, the
median and mean of `--n` runs of each way to find the key of a token:

- ORM, key + practice: `select_related("practice").get(prefix=...)` and the
  hash check: what the lookup costs without the cache, compiling the query
  every time;
- fixed SQL (before): the hand-written statement keys.py had (fastsql),
  compiled once;
- cache miss: `keys.find_key` with its cache emptied first (an ORM read of the
  key's row and the store);
- cache hit: `keys.find_key` served by Django's cache (this process's memory,
  or Redis with `--redis`).

The figures in BENCHMARKS.md ("The key lookup") come from this.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.scratch import setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="", help="DATABASE_URL (default: a new SQLite file)")
    parser.add_argument("--redis", default="", help="REWARDSHUB_REDIS_URL for the cache")
    parser.add_argument("--n", type=int, default=5000)
    opts = parser.parse_args()
    if opts.redis:
        os.environ["REWARDSHUB_REDIS_URL"] = opts.redis
    setup_django(url=opts.url, prefix="rh-key-lookup-")
    run(opts.n)


def _time(step: Callable[[], Any], n: int) -> tuple[float, float]:
    for _ in range(min(n, 200)):  # warm up
        step()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6, statistics.mean(times) * 1e6


def run(n: int) -> None:
    import hmac

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from rewardshub.audit.actors import Actor
    from rewardshub.integrations import keys
    from rewardshub.integrations.actions import create_key
    from rewardshub.practices.actions import create_practice
    from rewardshub.practices.models import IntegrationKey, Practice
    from rewardshub.statement import Statement

    call_command("migrate", verbosity=0)
    actor = Actor.system("bench")
    practice = Practice.objects.filter(slug="bench-keys").first() or create_practice(
        name="Bench keys", slug="bench-keys", actor=actor
    )
    token = create_key(practice=practice, name="bench", system="orthotrac", actor=actor).token
    prefix = keys.token_prefix(token)
    assert prefix is not None

    def orm() -> None:
        key = IntegrationKey.objects.select_related("practice").get(prefix=prefix)
        assert hmac.compare_digest(key.secret_hash, keys.hash_token(token))

    compiled = Statement(
        lambda p: IntegrationKey.objects.filter(prefix=p),
        str,
        kind="models",
    )

    def compiled_once() -> None:
        key = compiled.first(prefix)
        assert key is not None
        assert hmac.compare_digest(key.secret_hash, keys.hash_token(token))

    def miss() -> None:
        keys.forget_key(prefix)
        assert keys.find_key(token) is not None

    def hit() -> None:
        assert keys.find_key(token) is not None

    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[1]
    version = (
        connection.Database.sqlite_version
        if connection.vendor == "sqlite"
        else connection.pg_version  # type: ignore[attr-defined]
    )
    print(f"{connection.vendor} {version}, cache {backend}, {n} lookups each")
    for name, step in (
        ("ORM, key + practice", orm),
        ("compiled once, key only", compiled_once),
        ("cache miss", miss),
        ("cache hit", hit),
    ):
        median, mean = _time(step, n)
        print(f"{name:24} median {median:8.1f} µs   mean {mean:8.1f} µs")


if __name__ == "__main__":
    main()
