"""Upgrades without downtime: every new migration leaves the old servers working.

An upgrade migrates first and then restarts the servers one by one (docs/deploy.md,
Upgrades), so for a while servers of the previous release run against the new
schema. A migration made after the ones listed in
migrations_before_upgrade_check.txt may therefore not drop or rename a table or
a column (the old code still reads it), nor add a NOT NULL column the database
cannot fill (the old code's INSERTs leave it out), nor make a column NOT NULL
that the old code may leave empty. A drop takes two releases: the first stops
using the column, the second drops it with `upgrade_safe_because` on its
Migration class saying which release stopped using it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState
from django.db.models.fields import NOT_PROVIDED

BASELINE = Path(__file__).with_name("migrations_before_upgrade_check.txt")
DESTRUCTIVE = (
    migrations.RemoveField,
    migrations.RenameField,
    migrations.DeleteModel,
    migrations.RenameModel,
    migrations.AlterModelTable,
)
SQL_DESTRUCTIVE = re.compile(r"\b(DROP|RENAME)\b", re.IGNORECASE)


def baseline() -> set[tuple[str, str]]:
    lines = BASELINE.read_text().splitlines()
    pairs = (line.strip().split("/") for line in lines if line.strip() and line[0] != "#")
    return {(app, name) for app, name in pairs}


def _fills_itself(field: models.Field) -> bool:  # type: ignore[type-arg]
    """Whether the database can give the column a value an old INSERT leaves out."""
    return bool(field.null) or field.db_default is not NOT_PROVIDED


def _sql_texts(operation: migrations.RunSQL) -> list[str]:
    statements = operation.sql if isinstance(operation.sql, list | tuple) else [operation.sql]
    return [s if isinstance(s, str) else str(s[0]) for s in statements]


def problems(
    migration: migrations.Migration, before: ProjectState, new_models: set[tuple[str, str]]
) -> list[str]:
    """What in this migration would break a server of the previous release."""
    if getattr(migration, "upgrade_safe_because", ""):
        return []
    app = migration.app_label
    found = []
    for operation in migration.operations:
        what = f"{app}.{migration.name}: {operation.describe()}"
        model = getattr(operation, "model_name_lower", getattr(operation, "name_lower", ""))
        if (app, model) in new_models:
            continue  # a table of this release: no old server uses it
        if isinstance(operation, DESTRUCTIVE):
            found.append(f"{what} (old servers still use it)")
        elif isinstance(operation, migrations.AddField):
            if not _fills_itself(operation.field):
                found.append(f"{what} is NOT NULL without db_default (old INSERTs omit it)")
        elif isinstance(operation, migrations.AlterField):
            old = before.models[app, operation.model_name_lower].fields[operation.name]
            if old.null and not _fills_itself(operation.field):
                found.append(f"{what} becomes NOT NULL (old servers may leave it empty)")
        elif isinstance(operation, migrations.RunSQL):
            for sql in _sql_texts(operation):
                if SQL_DESTRUCTIVE.search(sql):
                    found.append(f"{what} runs DROP or RENAME: {sql.strip()[:80]}")
    return found


def _created_models(loader: MigrationLoader, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    return {
        (app, operation.name_lower)
        for app, name in keys
        for operation in loader.disk_migrations[app, name].operations
        if isinstance(operation, migrations.CreateModel)
    }


def test_every_migration_since_the_baseline_keeps_old_servers_working() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    ours = sorted(
        key
        for key, migration in loader.disk_migrations.items()
        if type(migration).__module__.startswith("rewardshub.")
    )
    # The list also names migrations of main made beside this check's branch, which
    # may not be in this tree yet; a listed migration that is gone is no concern.
    known = baseline()
    new = [key for key in ours if key not in known]
    new_models = _created_models(loader, new)
    found = [
        problem
        for key in new
        for problem in problems(
            loader.disk_migrations[key], loader.project_state(key, at_end=False), new_models
        )
    ]
    assert found == [], "\n".join(found)


# --- The check itself, on migrations made up for it ---------------------------------


def _migration(*operations: Operation, safe_because: str = "") -> migrations.Migration:
    migration = migrations.Migration("0999_check", "jobs")
    migration.operations = list(operations)
    if safe_because:
        migration.upgrade_safe_because = safe_because  # type: ignore[attr-defined]
    return migration


@pytest.fixture(scope="module")
def state() -> ProjectState:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return loader.project_state()


@pytest.mark.parametrize(
    "operation",
    [
        migrations.RemoveField("job", "outcome"),
        migrations.RenameField("job", "outcome", "result"),
        migrations.DeleteModel("job"),
        migrations.RenameModel("job", "task"),
        migrations.AlterModelTable("job", "jobs_task"),
        migrations.AddField("job", "priority", models.IntegerField(default=0)),
        migrations.AlterField("job", "started_at", models.DateTimeField()),
        migrations.RunSQL("ALTER TABLE jobs_job DROP COLUMN outcome"),
        migrations.RunSQL(["ALTER TABLE jobs_job RENAME COLUMN outcome TO result"]),
    ],
    ids=lambda op: op.describe(),
)
def test_it_refuses_what_would_break_an_old_server(
    state: ProjectState, operation: Operation
) -> None:
    assert len(problems(_migration(operation), state, set())) == 1


@pytest.mark.parametrize(
    "operation",
    [
        migrations.AddField("job", "priority", models.IntegerField(null=True)),
        migrations.AddField("job", "priority", models.IntegerField(db_default=0)),
        migrations.AlterField("job", "last_error", models.CharField(max_length=900, default="")),
        migrations.AddIndex("job", models.Index(fields=["kind"], name="job_kind_idx")),
        migrations.RunSQL("CREATE INDEX job_kind ON jobs_job (kind)"),
    ],
    ids=lambda op: op.describe(),
)
def test_it_lets_additive_changes_through(state: ProjectState, operation: Operation) -> None:
    assert problems(_migration(operation), state, set()) == []


def test_it_lets_a_drop_through_when_the_migration_says_why_it_is_safe(
    state: ProjectState,
) -> None:
    drop = migrations.RemoveField("job", "outcome")
    assert problems(_migration(drop, safe_because="unused since 0.3"), state, set()) == []


def test_it_lets_a_new_table_of_this_release_change_freely(state: ProjectState) -> None:
    drop = migrations.RemoveField("job", "outcome")
    assert problems(_migration(drop), state, {("jobs", "job")}) == []
