"""An audit event's fields in one canonical text: what its MAC signs and its chain hash covers.

The same text however the row was read back (a model instance, raw columns,
the historical model of a migration): integer keys of `detail` become strings
as JSON stores them, an IP address is written in its short form, times in UTC.
The MAC (keyring.py) signs the event's own fields, set when it is written; the
chain hash covers those, the sequence number and the MAC, set when it is sealed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import json
from collections.abc import Iterator
from typing import Any

NO_PRACTICE = 0
GENESIS = ""

# The model fields of an event that its MAC signs (seq, prev_hash and hash come later).
SIGNED_FIELDS = (
    "practice_id",
    "actor_kind",
    "actor_user_id",
    "actor_label",
    "profile_id",
    "action",
    "outcome",
    "detail",
    "source_ip",
    "created_at",
)
HASHED_FIELDS = ("seq", *SIGNED_FIELDS)


def chain_key(practice_id: int | None) -> int:
    """Events with no practice form a chain of their own, keyed 0."""
    return NO_PRACTICE if practice_id is None else practice_id


def _ip(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return _short_ip(str(value))


@functools.lru_cache(maxsize=4096)
def _short_ip(value: str) -> str:
    # Cached: a batch's events share one address, and parsing one costs more than the rest.
    text = value.split("/")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _as_stored(detail: Any) -> Any:
    """`detail` as JSON gives it back: only non-string keys change on the way."""
    if not isinstance(detail, _CONTAINERS) or _string_keys(detail):
        return detail
    return json.loads(json.dumps(detail))


def _string_keys(value: Any) -> bool:
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str:
                return False
            if isinstance(item, _CONTAINERS) and not _string_keys(item):
                return False
        return True
    return all(_string_keys(item) for item in value if isinstance(item, _CONTAINERS))


_CONTAINERS = (dict, list, tuple)


def _fields(event: Any) -> dict[str, Any]:
    return {
        "practice": event.practice_id,
        "actor_kind": str(event.actor_kind),
        "actor_user": event.actor_user_id,
        "actor_label": event.actor_label,
        "profile": event.profile_id,
        "action": event.action,
        "outcome": str(event.outcome),
        # As the database stores it (integer keys become strings).
        "detail": _as_stored(event.detail or {}),
        "source_ip": _ip(event.source_ip),
        "created_at": _time(event.created_at),
    }


# json.dumps(fields, sort_keys=True, separators=(",", ":")), without a new encoder each time.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def _text(fields: dict[str, Any]) -> str:
    return _ENCODER.encode(fields)


def signed_text(event: Any) -> str:
    """What the event's MAC signs: its own fields, nothing sealing adds."""
    return _text(_fields(event))


def _row_fields(shared: Any, rows: list[list[Any]]) -> Iterator[dict[str, Any]]:
    """The canonical fields of many events that share all but (profile_id, action,
    outcome, detail): one dict, put in canonical form once and refilled for each row."""
    fields = _fields(shared)
    for profile_id, action, outcome, detail, *_ in rows:
        fields["profile"], fields["action"], fields["outcome"] = profile_id, action, str(outcome)
        fields["detail"] = _as_stored(detail or {})
        yield fields


def row_texts(shared: Any, rows: list[list[Any]]) -> list[str]:
    """signed_text of many events given as rows (`_row_fields`)."""
    return [_text(fields) for fields in _row_fields(shared, rows)]


def row_links(
    shared: Any, rows: list[list[Any]], seq: int, prev_hash: str
) -> list[tuple[int, str, str]]:
    """(seq, prev_hash, hash) of many signed events given as rows (profile_id,
    action, outcome, detail, mac, key_id), linked in order after the link `seq`
    whose hash is `prev_hash`: event_hash of each as the database gives it back."""
    links = []
    for fields, row in zip(_row_fields(shared, rows), rows, strict=True):
        seq += 1
        fields["seq"], fields["mac"], fields["key_id"] = seq, row[4], row[5]
        this = _link_hash(prev_hash, _text(fields))
        links.append((seq, prev_hash, this))
        prev_hash = this
    return links


def canonical(event: Any) -> str:
    """What the chain hash covers: the signed fields, the seq and, once signed, the MAC.

    Events written before signing began have no MAC, and their text is as it
    was when they were first hashed.
    """
    fields = _fields(event)
    fields["seq"] = event.seq
    signature = getattr(event, "mac", None)
    if signature is not None:
        fields["mac"] = signature
        fields["key_id"] = event.key_id
    return _text(fields)


def event_hash(prev_hash: str, event: Any) -> str:
    return _link_hash(prev_hash, canonical(event))


def _link_hash(prev_hash: str, text: str) -> str:
    """A link's hash: sha256 over the previous link's hash and the event's canonical text."""
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()
