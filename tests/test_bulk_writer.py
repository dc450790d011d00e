"""The one bulk writer (fastsql.Rows) writes what the ORM's bulk_create writes.

Each model the writer serves is written three ways with the same values, each
in a savepoint rolled back after its row is read: as plain values (some fixed,
the rest varying, the others left to their defaults), as an unsaved instance,
and by bulk_create. Every column but the id must come back equal.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Field, Model
from django.utils import timezone

from rewardshub import fastsql
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import AuditEvent
from rewardshub.cards.models import BatchSource, Card, CardBatch
from rewardshub.integrations.actions import create_key
from rewardshub.integrations.models import PmsLink, SyncEvent
from rewardshub.patients.models import Profile, ProfileTag, Tag
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=dt.UTC)
SYSTEM = Actor.system("tests")


def _values(practice: Practice, profile: Profile, owner: Any) -> dict[type[Model], dict[str, Any]]:
    key = create_key(practice=practice, name="bulk", system="orthotrac", actor=SYSTEM).key
    tag = Tag.objects.filter(practice=practice).first()
    assert tag is not None
    location = practice.locations.first()
    assert location is not None
    # What auto_now(_add) fields get from the ORM, whatever the instance held;
    # plain values are stored as given (AuditEvent's created_at below: a default).
    when = NOW
    batch = CardBatch.objects.create(practice=practice, source=BatchSource.IMPORTED, size=1)
    return {
        Card: {
            "number": "5000000000000009",
            "practice_id": practice.pk,
            "batch_id": batch.pk,
            "temp_password_hash": "hmac-sha256$s$d",
        },
        Profile: {
            "public_id": uuid.uuid4(),
            "practice_id": practice.pk,
            "username": "4000000000000017",
            "first_name": "Zoë",
            "last_name": "O'Brien\tTab\\Back\nLine",
            "birth_date": dt.date(2012, 4, 17),
            "email": "zoe@example.org",
            "location_id": location.pk,
            "points_balance": 12,
            "created_at": when,
            "updated_at": when,
        },
        PmsLink: {
            "practice_id": practice.pk,
            "system": "dolphin",
            "chart_id": "OT-77",
            "profile_id": profile.pk,
            "created_at": when,
            "last_synced_at": when,
        },
        ProfileTag: {
            "practice_id": practice.pk,
            "profile_id": profile.pk,
            "tag_id": tag.pk,
            "exclusive_group_id": None,
            "created_at": when,
        },
        AuditEvent: {
            "practice_id": practice.pk,
            "actor_kind": "staff",
            "actor_user_id": owner.pk,
            "actor_label": "Owner",
            "profile_id": profile.pk,
            "action": "bulk.test",
            "detail": {"n": 1, "7": ["x", None, 2.5], "nested": {"ü": True}},
            "source_ip": "2001:db8::1",
            "created_at": NOW - dt.timedelta(days=3),
            "mac": "m" * 64,
            "key_id": "k1",
        },
        SyncEvent: {
            "practice_id": practice.pk,
            "key_id": key.pk,
            "system": "orthotrac",
            "chart_id": "OT-1",
            "profile_id": None,
            "action": "batch",
            "outcome": "created",
            "message": "Created.\nSecond line",
            "created_at": when,
        },
        LedgerEntry: {
            "public_id": uuid.uuid4(),
            "practice_id": practice.pk,
            "profile_id": profile.pk,
            "points": -40,
            "kind": "redeem",
            "actor_kind": "staff",
            "actor_user_id": owner.pk,
            "actor_label": "Owner",
            "location_id": location.pk,
            "idempotency_key": "idem-1",
            "request_hash": "h" * 64,
            "created_at": when,
        },
    }


def _as_values(model: type[Model], values: dict[str, Any]) -> None:
    names = list(values)
    fixed = {name: values[name] for name in names[: len(names) // 2]}
    varying = tuple(names[len(names) // 2 :])
    rows = fastsql.Rows(model, fixed, varying)
    rows.add(*(values[name] for name in varying))
    assert rows.write() == 1


def _as_instances(model: type[Model], values: dict[str, Any]) -> None:
    # Two rows where the model allows: COPY on PostgreSQL, executemany on SQLite.
    assert fastsql.insert([model(**values)]) == 1


def _by_bulk_create(model: type[Model], values: dict[str, Any]) -> None:
    # AuditEvent's own manager refuses bulk_create (one writer); the plain QuerySet's is the ORM's.
    models.QuerySet(model).bulk_create([model(**values)])


def _written(model: type[Model], values: dict[str, Any], write: Callable[..., None]) -> Any:
    before = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
    with transaction.atomic():
        write(model, values)
        rows = list(model._default_manager.filter(pk__gt=before).values())
        transaction.set_rollback(True)
    assert len(rows) == 1
    row = rows[0]
    del row["id"]
    return row


@pytest.mark.parametrize(
    "model",
    [Profile, PmsLink, ProfileTag, AuditEvent, SyncEvent, LedgerEntry, Card],
    ids=lambda model: model.__name__,
)
def test_the_writer_writes_what_bulk_create_writes(
    acworth: Practice,
    make_profile: Callable[..., Profile],
    owner: Any,
    model: type[Model],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)  # auto_now_add: the same in each way
    values = _values(acworth, make_profile(acworth), owner)[model]
    expected = _written(model, values, _by_bulk_create)
    assert _written(model, values, _as_values) == expected
    assert _written(model, values, _as_instances) == expected
    # Every column was compared, and the values given were the ones stored.
    columns = {f.attname for f in model._meta.concrete_fields} - {"id"}  # type: ignore[attr-defined]
    assert set(expected) == columns
    assert {name: expected[name] for name in values} == values


def _concrete_fields() -> list[Field]:  # type: ignore[type-arg]
    return [
        f
        for model in apps.get_models()
        for f in model._meta.concrete_fields  # type: ignore[misc]
        if not f.primary_key
    ]


def _unwrapped(value: Any) -> Any:
    return getattr(value, "obj", value)  # psycopg's Jsonb wrapper


def test_each_fields_converter_is_its_get_db_prep_save(
    acworth: Practice, make_profile: Callable[..., Profile], owner: Any
) -> None:
    """Where the writer calls a field's get_prep_value directly (its class keeps Field's
    get_db_prep_save and get_db_prep_value), that gives what get_db_prep_save gives,
    for every concrete field of every model, on the values stored in a small practice."""
    make_profile(acworth)
    fast = 0
    for field in _concrete_fields():
        model = field.model
        samples = [field.get_default()]
        if field.null:
            samples.append(None)
        samples += [getattr(obj, field.attname) for obj in model._default_manager.all()[:5]]
        convert = fastsql.converter(field, connection)
        fast += convert == field.get_prep_value
        for value in samples:
            assert _unwrapped(convert(value)) == _unwrapped(
                field.get_db_prep_save(value, connection)
            ), f"{model.__name__}.{field.attname}: {value!r}"
    assert fast > 50  # the derivation applies to the plain columns


def test_the_fast_path_is_derived_from_the_field_class() -> None:
    fields = {f.attname: f for f in Profile._meta.concrete_fields}  # type: ignore[attr-defined]
    for name in ("username", "first_name", "kind"):
        assert fastsql.converter(fields[name], connection) == fields[name].get_prep_value
    for name in ("public_id", "birth_date", "created_at", "location_id", "points_balance"):
        assert fastsql.converter(fields[name], connection) != fields[name].get_prep_value

    class Shouting(models.CharField):  # type: ignore[type-arg]
        def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
            return str(value).upper()

    field = Shouting(max_length=5)
    assert fastsql.converter(field, connection)("abc") == "ABC"
