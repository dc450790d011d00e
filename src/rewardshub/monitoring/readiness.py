"""`GET /readyz`: may this server take requests? For the proxy and orchestrators.

`/healthz` says the process is alive. `/readyz` says it can do its work: the
database answers, Redis answers when the hub uses it, and no migration of
this version is waiting. The answer names each check and what failed, never
a host name, a user or a password; the log line beside a failure says more,
for the operator.

The database check runs on every call. "Migrations applied" is remembered
once true (a running server never loses a migration), since reading the
migration graph costs far more than the rest.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

OK = "ok"
NOT_CONFIGURED = "not configured"
UNREACHABLE = "unreachable"
PENDING = "pending"
UNKNOWN = "unknown"
REDIS_TIMEOUT_SECONDS = 2.0

_migrations_applied = False


def _reason(exc: BaseException) -> str:
    """The exception's kind and first line, for the log only."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def check_database(alias: str = DEFAULT_DB_ALIAS) -> str:
    connection = connections[alias]
    try:
        if connection.vendor == "sqlite":
            # An open SQLite connection keeps working on a file that was deleted,
            # moved or whose disk went away; every new connection would not find it.
            name = str(connection.settings_dict["NAME"])
            if not Path(name).is_file():
                logger.warning("Not ready: the SQLite database file is missing.")
                return UNREACHABLE
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", said below
        logger.warning("Not ready: the database did not answer (%s).", _reason(exc))
        # Django closes a connection that failed at the end of the request
        # (CONN_HEALTH_CHECKS checks the next one), so the next call retries.
        return UNREACHABLE
    return OK


@cache
def _redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )


def check_redis() -> str:
    url = settings.REDIS_URL
    if not url:
        return NOT_CONFIGURED
    try:
        _redis_client(url).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("Not ready: Redis did not answer (%s).", _reason(exc))
        return UNREACHABLE
    return OK


def check_migrations(alias: str = DEFAULT_DB_ALIAS) -> str:
    global _migrations_applied
    if _migrations_applied:
        return OK
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # noqa: BLE001 - the database check reports why
        logger.warning("Not ready: could not read the applied migrations (%s).", _reason(exc))
        return UNKNOWN
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:3])
        logger.warning(
            "Not ready: %d migration(s) not applied (%s%s); run `rewardshub migrate`.",
            len(plan),
            names,
            ", ..." if len(plan) > 3 else "",
        )
        return PENDING
    _migrations_applied = True
    return OK


def readiness() -> dict[str, str]:
    """Each check's answer; the server is ready when none is a failure."""
    database = check_database()
    return {
        "database": database,
        "redis": check_redis(),
        "migrations": check_migrations() if database == OK else UNKNOWN,
    }


@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    checks = readiness()
    ready = all(answer in (OK, NOT_CONFIGURED) for answer in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )
