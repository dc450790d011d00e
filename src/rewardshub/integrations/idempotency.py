"""Idempotency-Key: a retried write replays the first answer instead of running twice.

The record and the write it answers commit in one transaction, inserted
first: a concurrent request with the same key waits on the unique index
(PostgreSQL) or the write lock (SQLite), then finds the committed record and
replays it. A refused request (any ActionError) rolls back with its record,
so nothing is stored and a corrected retry with the same key runs normally;
only successful answers are replayed.

An answer is only ever replayed to the same request: the same practice and
the same fingerprint (method, path with its chart id, canonical body). The
same key with another request is refused (409 idempotency_key_reused). Stored
answers are pruned after a week; the points ledger keeps each award's key and
request hash for good, so a key reused after that is still refused unless it
is the same request, which replays the entries it made (points.ledger).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rewardshub.errors import ActionError, idempotency_key_reused
from rewardshub.integrations.models import IdempotencyRecord
from rewardshub.practices.models import Practice

MAX_KEY_LENGTH = 255
# A placeholder status while the write runs; never visible outside the transaction.
_RUNNING = 0


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def check_key(key: str) -> str:
    if not key.strip():
        raise ActionError(
            "validation_error", "Idempotency-Key is empty: send a non-empty key or leave it out."
        )
    if len(key) > MAX_KEY_LENGTH:
        raise ActionError(
            "validation_error",
            f"Idempotency-Key is {len(key)} characters long; at most {MAX_KEY_LENGTH} are allowed.",
        )
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        # Same JSON in another key order or spacing is the same request.
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, print_: str) -> Answer:
    if record.fingerprint != print_:
        raise idempotency_key_reused()
    if record.status_code == _RUNNING:
        raise ActionError(
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still running. Try again in a moment.",
            status=409,
        )
    return Answer(status=record.status_code, body=record.response_body, replayed=True)


def _find(practice: Practice, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(practice=practice, key=key).first()


class _Taken(Exception):
    pass


def run_once(*, practice: Practice, key: str, print_: str, work: Callable[[], Answer]) -> Answer:
    """Run `work` once per (practice, key); replay its answer on a repeat."""
    existing = _find(practice, key)
    if existing is not None:
        return _replay(existing, print_)
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        practice=practice,
                        key=key,
                        fingerprint=print_,
                        status_code=_RUNNING,
                        response_body={},
                    )
            except IntegrityError:
                raise _Taken from None
            answer = work()
            record.status_code = answer.status
            record.response_body = answer.body
            record.save(update_fields=["status_code", "response_body"])
            return answer
    except _Taken:
        pass
    existing = _find(practice, key)
    if existing is None:  # the other request failed and rolled back meanwhile
        raise ActionError(
            "idempotency_in_progress",
            "A request with this Idempotency-Key was running at the same moment. Try again.",
            status=409,
        )
    return _replay(existing, print_)


def prune_records(older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Forget stored answers older than a week: a PMS retries within minutes."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
