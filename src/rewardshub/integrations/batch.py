"""Batch sync: upsert up to 1,000 charts' demographics in one call (onboarding, nightly).

A linked chart updates its profile; an unlinked chart gets a new lead profile
(generated username, no card) linked to it. Charts are handled in chunks, each
one transaction with a constant number of queries (bulk reads and writes), so
a batch costs tens of queries, not thousands. The rows written are the same
as the one-chart actions write (profile, tags, link, audit, Sync log).

The rows a chunk adds (profiles, links, tags, audit events, Sync log) are
written as plain values, one statement per table (rows.py). Everything that
needs no lock (tag mapping, usernames, the new leads' rows) is prepared
before the chunk's transaction, so SQLite's single write lock is held only
for the reads that must be current and the writes.

Correctness first: if a chunk meets a concurrent change (a unique constraint
fails), it is rolled back and redone chart by chart through the one-chart
path, each chart in its own savepoint with its own outcome.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Field, Model
from django.utils import timezone

from rewardshub.audit.actions import EventRows
from rewardshub.audit.models import Outcome
from rewardshub.cards.numbers import USERNAME_PREFIX, luhn_check_digit
from rewardshub.errors import ActionError
from rewardshub.integrations.models import PmsLink, SyncAction, SyncEvent, SyncOutcome
from rewardshub.integrations.sync import (
    Caller,
    chart_link,
    create_linked_profile,
    names_required,
    record_failure,
    record_sync,
    sync_fields,
)
from rewardshub.integrations.tagging import Mapped, TagMapping, load_mapping
from rewardshub.patients.actions import DEMOGRAPHIC_FIELDS
from rewardshub.patients.models import Profile, ProfileKind, ProfileTag, Tag
from rewardshub.rows import RowInsert

CHUNK = 500


@dataclass
class BatchItem:
    chart_id: str
    data: dict[str, Any] = field(default_factory=dict)
    pms_status: str | None = None
    office: str | None = None
    # Set when the row was refused before any work (invalid, duplicate).
    error: ActionError | None = None


@dataclass
class ItemResult:
    chart_id: str
    outcome: str
    username: str | None = None
    public_id: uuid.UUID | None = None
    error: ActionError | None = None

    @classmethod
    def synced(cls, chart_id: str, outcome: str, profile: Profile) -> ItemResult:
        return cls(chart_id, outcome, profile.username, profile.public_id)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"chart_id": self.chart_id, "outcome": self.outcome}
        if self.username is not None:
            body["username"] = self.username
            body["profile_id"] = str(self.public_id)
        if self.error is not None:
            body["error"] = self.error.code
            body["message"] = self.error.message
        return body


def sync_batch(*, caller: Caller, items: list[BatchItem]) -> list[ItemResult]:
    mapping = load_mapping(caller.practice, caller.system)
    results: dict[int, ItemResult] = {}
    refused = [(i, item) for i, item in enumerate(items) if item.error is not None]
    if refused:
        _record_refused(caller, refused, results)
    todo = [(i, item) for i, item in enumerate(items) if item.error is None]
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        try:
            plan = _plan(caller, chunk, mapping)
            with transaction.atomic():
                results.update(_bulk_chunk(caller, chunk, mapping, plan))
        except IntegrityError:
            for index, item in chunk:
                results[index] = _one(caller, item, mapping)
    return [results[i] for i in range(len(items))]


def _record_refused(
    caller: Caller, refused: list[tuple[int, BatchItem]], results: dict[int, ItemResult]
) -> None:
    writes = _Writes(caller)
    for index, item in refused:
        assert item.error is not None
        results[index] = ItemResult(item.chart_id, SyncOutcome.ERROR, error=item.error)
        writes.log(item.chart_id, SyncOutcome.ERROR, None, item.error.message, item.error.code)
    with transaction.atomic():
        writes.insert_logs()


def _one(caller: Caller, item: BatchItem, mapping: TagMapping) -> ItemResult:
    """The one-chart path: same outcome as the bulk path, one chart at a time."""
    mapped = mapping.apply_to(item.pms_status, item.office)
    try:
        with transaction.atomic():
            link = chart_link(caller, item.chart_id, for_update=True)
            if link is None:
                profile = create_linked_profile(
                    caller, item.chart_id, item.data, mapped, username=None, kind=ProfileKind.LEAD
                )
                outcome, changed = SyncOutcome.CREATED, []
            else:
                profile = link.profile
                changed = sync_fields(caller, profile, item.data, mapped)
                link.last_synced_at = timezone.now()
                link.save(update_fields=["last_synced_at"])
                outcome = SyncOutcome.UPDATED if changed else SyncOutcome.UNCHANGED
            message = _message(outcome, profile.username, changed, mapped)
            record_sync(caller, item.chart_id, SyncAction.BATCH, outcome, profile, message)
            return ItemResult.synced(item.chart_id, outcome, profile)
    except ActionError as exc:
        record_failure(caller, item.chart_id, SyncAction.BATCH, exc)
        return ItemResult(item.chart_id, SyncOutcome.ERROR, error=exc)


def _message(outcome: str, username: str, changed: list[str], mapped: Mapped) -> str:
    if outcome == SyncOutcome.CREATED:
        parts = [f"Created lead {username} and synced the chart with it."]
    elif changed:
        parts = ["Changed: " + ", ".join(changed) + "."]
    else:
        parts = ["Nothing changed."]
    return " ".join(parts + mapped.notes)


def _same(a: Any, b: Any) -> bool:
    norm = [v.isoformat() if isinstance(v, dt.date) else v for v in (a, b)]
    return norm[0] == norm[1]


_PROFILE_FIELDS = tuple(
    "location_id" if name == "location" else name for name in DEMOGRAPHIC_FIELDS
)


class _Writes:
    """Everything one chunk writes, collected first and saved in a few bulk queries."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.now = timezone.now()
        practice_id = caller.practice.pk
        actor = caller.actor
        self.update_profiles: list[Profile] = []
        self.update_fields: set[str] = set()
        self.drop_tags: list[int] = []
        self.synced_links: list[int] = []
        self.profiles = RowInsert(
            Profile,
            {
                "practice_id": practice_id,
                "kind": ProfileKind.LEAD,
                "created_at": self.now,
                "updated_at": self.now,
            },
            ("public_id", "username", *_PROFILE_FIELDS),
        )
        self.links = RowInsert(
            PmsLink,
            {
                "practice_id": practice_id,
                "system": caller.system,
                "created_at": self.now,
                "last_synced_at": self.now,
            },
            ("chart_id", "profile_id"),
        )
        self.tags = RowInsert(
            ProfileTag,
            {"practice_id": practice_id, "created_at": self.now},
            ("profile_id", "tag_id", "exclusive_group_id"),
        )
        # The same values as audit.actions.record_event and sync.sync_rows write.
        self.audits = EventRows(practice_id=practice_id, actor=actor, created_at=self.now)
        self.events = RowInsert(
            SyncEvent,
            {
                "practice_id": practice_id,
                "key_id": caller.key.pk,
                "system": caller.system,
                "action": SyncAction.BATCH,
                "pms_user": caller.pms_user[:100],
                "created_at": self.now,
            },
            ("chart_id", "profile_id", "outcome", "error", "message"),
        )

    def audit(self, profile_id: int, action: str, detail: dict[str, Any]) -> None:
        self.audits.add(profile_id, action, Outcome.OK, detail)

    def log(
        self,
        chart_id: str,
        outcome: str,
        profile_id: int | None,
        message: str,
        error: str = "",
    ) -> None:
        for insert, row in self.log_rows(chart_id, outcome, profile_id, message, error):
            insert.rows.append(row)

    def log_rows(
        self,
        chart_id: str,
        outcome: str,
        profile_id: int | None,
        message: str,
        error: str = "",
    ) -> list[tuple[RowInsert | EventRows, list[Any]]]:
        """The Sync log row and the audit row of one chart (what sync.sync_rows builds)."""
        chart_id = chart_id[:64]
        detail = {
            "system": self.caller.system,
            "chart_id": chart_id,
            "outcome": outcome,
            "error": error,
        }
        return [
            (self.events, self.events.row(chart_id, profile_id, outcome, error, message)),
            (
                self.audits,
                self.audits.row(
                    profile_id,
                    f"pms.{SyncAction.BATCH}",
                    Outcome.FAILED if error else Outcome.OK,
                    detail,
                ),
            ),
        ]

    def insert_logs(self) -> None:
        self.audits.write()
        self.events.write()


def _read_links(caller: Caller, chunk: list[tuple[int, BatchItem]]) -> dict[str, tuple[int, int]]:
    """The chunk's linked charts: chart id -> (link id, profile id)."""
    return {
        chart_id: (link_pk, profile_id)
        for chart_id, link_pk, profile_id in PmsLink.objects.filter(
            practice=caller.practice,
            system=caller.system,
            chart_id__in=[item.chart_id for _, item in chunk],
        ).values_list("chart_id", "pk", "profile_id")
    }


@dataclass
class _NewLead:
    """A new lead's rows, built ahead; `rows` name the profile, whose id comes last."""

    index: int
    chart_id: str
    username: str
    public_id: uuid.UUID
    profile_row: list[Any]
    rows: list[tuple[RowInsert | EventRows, list[Any]]]


@dataclass
class _Plan:
    """What a chunk will write, as far as it can be known before its transaction."""

    writes: _Writes
    links: dict[str, tuple[int, int]]
    mapped: dict[int, Mapped]
    leads: dict[int, _NewLead]


def _plan(
    caller: Caller,
    chunk: list[tuple[int, BatchItem]],
    mapping: TagMapping,
    links: dict[str, tuple[int, int]] | None = None,
) -> _Plan:
    """Everything about the chunk that needs no lock: run before the write transaction,
    so that (SQLite: one writer at a time) the lock is held only for the reads that
    must be current and the writes. The transaction reads the links again and
    plans anew if they changed meanwhile."""
    writes = _Writes(caller)
    if links is None:
        links = _read_links(caller, chunk)
    mapped = {index: mapping.apply_to(item.pms_status, item.office) for index, item in chunk}
    wanted = [
        (index, item)
        for index, item in chunk
        if item.chart_id not in links and item.data.get("first_name") and item.data.get("last_name")
    ]
    leads = {
        index: _new_lead(writes, index, item, mapped[index], username)
        for (index, item), username in zip(wanted, _free_usernames(len(wanted)), strict=True)
    }
    return _Plan(writes, links, mapped, leads)


def _bulk_chunk(
    caller: Caller, chunk: list[tuple[int, BatchItem]], mapping: TagMapping, plan: _Plan
) -> dict[int, ItemResult]:
    links = _read_links(caller, chunk)
    if links != plan.links:
        plan = _plan(caller, chunk, mapping, links)
    writes = plan.writes
    # Locked so a staff edit cannot land between our read and our bulk write.
    profiles = Profile.objects.select_for_update().in_bulk(
        [profile_id for _, profile_id in links.values()]
    )
    current_tags: dict[int, dict[int, ProfileTag]] = {}
    if profiles:
        tag_rows = ProfileTag.objects.filter(profile_id__in=list(profiles)).select_related("tag")
        for row in tag_rows:
            current_tags.setdefault(row.profile_id, {})[row.tag_id] = row

    results: dict[int, ItemResult] = {}
    new_leads: list[_NewLead] = []
    for index, item in chunk:
        mapped = plan.mapped[index]
        link = links.get(item.chart_id)
        if link is None:
            lead = plan.leads.get(index)
            if lead is None:
                error = names_required()
                results[index] = ItemResult(item.chart_id, SyncOutcome.ERROR, error=error)
                writes.log(item.chart_id, SyncOutcome.ERROR, None, error.message, error.code)
            else:
                new_leads.append(lead)
            continue
        link_pk, profile_id = link
        profile = profiles[profile_id]
        changed = _diff_profile(profile, item, mapped, writes)
        if _diff_tags(profile, mapped, current_tags.get(profile.pk, {}), writes):
            changed.append("tags")
        writes.synced_links.append(link_pk)
        outcome = SyncOutcome.UPDATED if changed else SyncOutcome.UNCHANGED
        results[index] = ItemResult.synced(item.chart_id, outcome, profile)
        writes.log(
            item.chart_id,
            outcome,
            profile.pk,
            _message(outcome, profile.username, changed, mapped),
        )

    _save_new(writes, new_leads, results)
    _flush(writes)
    return results


def _diff_profile(profile: Profile, item: BatchItem, mapped: Mapped, writes: _Writes) -> list[str]:
    data = dict(item.data)
    if mapped.location is not None:
        data["location"] = mapped.location
    changed = []
    for name in DEMOGRAPHIC_FIELDS:
        if name == "location" and "location" in data:
            if profile.location_id != data["location"].pk:
                profile.location = data["location"]
                changed.append(name)
        elif name in data and not _same(getattr(profile, name), data[name]):
            setattr(profile, name, data[name])
            changed.append(name)
    if changed:
        profile.updated_at = writes.now
        writes.update_profiles.append(profile)
        writes.update_fields.update(changed)
        writes.audit(profile.pk, "profile.update", {"fields": list(changed)})
    return changed


def _diff_tags(
    profile: Profile, mapped: Mapped, have: dict[int, ProfileTag], writes: _Writes
) -> bool:
    added: list[str] = []
    removed: list[str] = []
    for tag in _one_per_group(mapped.tags):
        if tag.pk in have:
            continue
        if tag.group.exclusive:
            for row in have.values():
                if row.exclusive_group_id == tag.group_id:
                    writes.drop_tags.append(row.pk)
                    removed.append(row.tag.name)
        _add_tag(writes, profile.pk, tag)
        added.append(tag.name)
    if added:
        writes.audit(
            profile.pk, "profile.tag", {"added": sorted(added), "removed": sorted(removed)}
        )
    return bool(added)


def _tag_row(writes: _Writes, profile_id: int | None, tag: Tag) -> list[Any]:
    return writes.tags.row(profile_id, tag.pk, tag.group_id if tag.group.exclusive else None)


def _add_tag(writes: _Writes, profile_id: int, tag: Tag) -> None:
    writes.tags.rows.append(_tag_row(writes, profile_id, tag))


def _one_per_group(tags: list[Tag]) -> list[Tag]:
    # Two rules naming tags of one status/location group: the later one wins,
    # as it would with add_tag one after the other.
    chosen: dict[Any, Tag] = {}
    for tag in tags:
        chosen[tag.group_id if tag.group.exclusive else ("tag", tag.pk)] = tag
    return list(chosen.values())


def _lead_fields(item: BatchItem, mapped: Mapped) -> dict[str, Any]:
    fields = {name: item.data[name] for name in DEMOGRAPHIC_FIELDS if name in item.data}
    if mapped.location is not None:
        fields["location"] = mapped.location
    return fields


def _new_username() -> str:
    # cards.numbers.new_username's number, drawn in one call instead of eleven.
    body = USERNAME_PREFIX + f"{secrets.randbelow(10**11):011d}"
    return body + luhn_check_digit(body)


def _free_usernames(count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        candidates = {_new_username() for _ in range(count - len(names))}
        taken = set(
            Profile.objects.filter(username__in=candidates).values_list("username", flat=True)
        )
        names |= candidates - taken
    return list(names)


def _field_default(name: str) -> Any:
    field = Profile._meta.get_field(name)
    assert isinstance(field, Field)
    return field.get_default()


_PROFILE_DEFAULTS = {name: _field_default(name) for name in DEMOGRAPHIC_FIELDS}


def _column_value(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def _new_lead(
    writes: _Writes, index: int, item: BatchItem, mapped: Mapped, username: str
) -> _NewLead:
    """A lead's profile row and every row naming it (tags, audit, link, Sync log)."""
    fields = _lead_fields(item, mapped)
    public_id = uuid.uuid4()
    values = [fields.get(name, _PROFILE_DEFAULTS[name]) for name in DEMOGRAPHIC_FIELDS]
    profile_row = writes.profiles.row(public_id, username, *map(_column_value, values))
    tags = _one_per_group(mapped.tags)
    rows: list[tuple[RowInsert | EventRows, list[Any]]] = [
        (writes.tags, _tag_row(writes, None, tag)) for tag in tags
    ]
    detail = {
        "fields": sorted(k for k, v in fields.items() if v not in ("", None)),
        "card_last4": None,
        # In the order create_profile lists them (Tag's ordering).
        "tags": [
            tag.name for tag in sorted(tags, key=lambda t: (t.group.position, t.position, t.name))
        ],
    }
    rows.append((writes.audits, writes.audits.row(None, "profile.create", Outcome.OK, detail)))
    rows.append((writes.links, writes.links.row(item.chart_id, None)))
    message = _message(SyncOutcome.CREATED, username, [], mapped)
    rows.extend(writes.log_rows(item.chart_id, SyncOutcome.CREATED, None, message))
    return _NewLead(index, item.chart_id, username, public_id, profile_row, rows)


def _save_new(writes: _Writes, leads: list[_NewLead], results: dict[int, ItemResult]) -> None:
    if not leads:
        return
    writes.profiles.rows.extend(lead.profile_row for lead in leads)
    writes.profiles.write()
    # executemany returns no ids: read them back by the (unique) usernames.
    ids = dict(
        Profile.objects.filter(username__in=[lead.username for lead in leads]).values_list(
            "username", "pk"
        )
    )
    for lead in leads:
        profile_id = ids[lead.username]
        for insert, row in lead.rows:
            row[insert.position["profile_id"]] = profile_id
            insert.rows.append(row)
        results[lead.index] = ItemResult(
            lead.chart_id, SyncOutcome.CREATED, lead.username, lead.public_id
        )
    writes.links.write()


def _flush(writes: _Writes) -> None:
    if writes.update_profiles:
        Profile.objects.bulk_update(
            writes.update_profiles, sorted(writes.update_fields | {"updated_at"})
        )
    if writes.drop_tags:
        ProfileTag.objects.filter(pk__in=writes.drop_tags).delete()
    writes.tags.write()
    if writes.synced_links:
        PmsLink.objects.filter(pk__in=writes.synced_links).update(last_synced_at=writes.now)
    writes.insert_logs()
