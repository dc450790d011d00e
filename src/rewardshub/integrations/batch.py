"""Batch sync: upsert up to 1,000 charts' demographics in one call (onboarding, nightly).

A linked chart updates its profile; an unlinked chart gets a new chart-only profile
(generated username, no card) linked to it. Charts are handled in chunks, each
one transaction with a constant number of queries (bulk reads and writes), so
a batch costs tens of queries, not thousands. The rows written are the same
as the one-chart actions write (profile, tags, link, audit, Sync log).

What changes (fields, tags, usernames, audit details, Sync log words) is
decided by the same functions as the one-chart path (patients/changes.py,
decisions.py); the rows a chunk adds are written as plain values, one
statement per table (batch_rows.py). Everything that
needs no lock (tag mapping, usernames, the new chart-only profiles' rows) is prepared
before the chunk's transaction, so SQLite's single write lock is held only
for the reads that must be current and the writes.

Correctness first: if a chunk meets a concurrent change (a unique constraint
fails), it is rolled back and redone chart by chart through the one-chart
path, each chart in its own savepoint with its own outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Field, Model
from django.utils import timezone

from rewardshub.audit.models import Outcome
from rewardshub.cards.numbers import new_username
from rewardshub.errors import ActionError
from rewardshub.integrations.batch_rows import NewChartOnly, Row, Writes
from rewardshub.integrations.caller import Caller, names_required
from rewardshub.integrations.decisions import batch_message, pms_status_seen, sync_outcome
from rewardshub.integrations.lead_hooks import has_open_leads
from rewardshub.integrations.lead_hooks import hooks as lead_hooks
from rewardshub.integrations.link_status import Moved, note_status, pay_moved
from rewardshub.integrations.links import chart_link, create_linked_profile, sync_fields
from rewardshub.integrations.models import PmsLink, SyncAction, SyncOutcome
from rewardshub.integrations.sync_log import record_failure, record_sync
from rewardshub.integrations.tagging import Mapped, TagMapping, load_mapping
from rewardshub.patients.actions import current_fields, held_tags, plain_fields, tag_ref
from rewardshub.patients.changes import (
    DEMOGRAPHIC_FIELDS,
    create_detail,
    profile_changes,
    tag_plan,
    update_detail,
)
from rewardshub.patients.models import Profile, ProfileKind

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
    _propose_leads(caller, results.values())
    return [results[i] for i in range(len(items))]


def _propose_leads(caller: Caller, results: Iterable[ItemResult]) -> None:
    """New and changed charts may be leads of the practice: propose the matches
    (lead_hooks.py), for staff to confirm in the hub. Charts that did not change
    were checked when they last did."""
    synced = [
        result.public_id
        for result in results
        if result.public_id is not None
        and result.outcome in (SyncOutcome.CREATED, SyncOutcome.UPDATED)
    ]
    if synced and has_open_leads(caller.practice):
        with transaction.atomic():
            lead_hooks.propose(caller.practice, synced, caller.actor)


def _record_refused(
    caller: Caller, refused: list[tuple[int, BatchItem]], results: dict[int, ItemResult]
) -> None:
    writes = Writes(caller)
    for index, item in refused:
        assert item.error is not None
        results[index] = ItemResult(item.chart_id, SyncOutcome.ERROR, error=item.error)
        writes.sync_log.keep(
            writes.sync_log.rows(
                item.chart_id, SyncOutcome.ERROR, None, item.error.message, item.error.code
            )
        )
    with transaction.atomic():
        writes.sync_log.write()


def _one(caller: Caller, item: BatchItem, mapping: TagMapping) -> ItemResult:
    """The one-chart path: same outcome as the bulk path, one chart at a time."""
    mapped = mapping.apply_to(item.pms_status, item.office)
    try:
        with transaction.atomic():
            link = chart_link(caller, item.chart_id, for_update=True)
            moved: Moved | None = None
            if link is None:
                # A new chart-only profile has no card: its status is kept, nothing is paid.
                profile = create_linked_profile(
                    caller,
                    item.chart_id,
                    item.data,
                    mapped,
                    username=None,
                    kind=ProfileKind.CHART_ONLY,
                    pms_status=pms_status_seen("", item.pms_status),
                )
                outcome: str = SyncOutcome.CREATED
                changed: list[str] = []
            else:
                profile = link.profile
                changed = sync_fields(caller, profile, item.data, mapped)
                moved = note_status(link, item.pms_status, timezone.now())
                outcome = sync_outcome(changed)
            message = batch_message(outcome, profile.username, changed, mapped.notes)
            record_sync(caller, item.chart_id, SyncAction.BATCH, outcome, profile, message)
            pay_moved(caller.practice, [moved])
            return ItemResult.synced(item.chart_id, outcome, profile)
    except ActionError as exc:
        record_failure(caller, item.chart_id, SyncAction.BATCH, exc)
        return ItemResult(item.chart_id, SyncOutcome.ERROR, error=exc)


# A linked chart as a chunk reads it: (link id, profile id, its last PMS status).
Linked = tuple[int, int, str]


def _read_links(caller: Caller, chunk: list[tuple[int, BatchItem]]) -> dict[str, Linked]:
    """The chunk's linked charts: chart id -> (link id, profile id, PMS status)."""
    return {
        chart_id: (link_pk, profile_id, status)
        for chart_id, link_pk, profile_id, status in PmsLink.objects.filter(
            practice=caller.practice,
            system=caller.system,
            chart_id__in=[item.chart_id for _, item in chunk],
        ).values_list("chart_id", "pk", "profile_id", "pms_status")
    }


@dataclass
class _Plan:
    """What a chunk will write, as far as it can be known before its transaction."""

    writes: Writes
    links: dict[str, Linked]
    mapped: dict[int, Mapped]
    new_profiles: dict[int, NewChartOnly]


def _plan(
    caller: Caller,
    chunk: list[tuple[int, BatchItem]],
    mapping: TagMapping,
    links: dict[str, Linked] | None = None,
) -> _Plan:
    """Everything about the chunk that needs no lock: run before the write transaction,
    so that (SQLite: one writer at a time) the lock is held only for the reads that
    must be current and the writes. The transaction reads the links again and
    plans anew if they changed meanwhile."""
    writes = Writes(caller)
    if links is None:
        links = _read_links(caller, chunk)
    mapped = {index: mapping.apply_to(item.pms_status, item.office) for index, item in chunk}
    wanted = [
        (index, item)
        for index, item in chunk
        if item.chart_id not in links and item.data.get("first_name") and item.data.get("last_name")
    ]
    new_profiles = {
        index: _new_chart_only(writes, index, item, mapped[index], username)
        for (index, item), username in zip(wanted, _free_usernames(len(wanted)), strict=True)
    }
    return _Plan(writes, links, mapped, new_profiles)


def _bulk_chunk(
    caller: Caller, chunk: list[tuple[int, BatchItem]], mapping: TagMapping, plan: _Plan
) -> dict[int, ItemResult]:
    links = _read_links(caller, chunk)
    if links != plan.links:
        plan = _plan(caller, chunk, mapping, links)
    writes = plan.writes
    # Locked so a staff edit cannot land between our read and our bulk write.
    profiles = Profile.objects.select_for_update().in_bulk(
        [profile_id for _, profile_id, _ in links.values()]
    )
    held = held_tags(list(profiles)) if profiles else {}

    results: dict[int, ItemResult] = {}
    new_charts: list[NewChartOnly] = []
    moved: list[Moved] = []
    for index, item in chunk:
        mapped = plan.mapped[index]
        link = links.get(item.chart_id)
        if link is None:
            new = plan.new_profiles.get(index)
            if new is None:
                error = names_required()
                results[index] = ItemResult(item.chart_id, SyncOutcome.ERROR, error=error)
                writes.sync_log.keep(
                    writes.sync_log.rows(
                        item.chart_id, SyncOutcome.ERROR, None, error.message, error.code
                    )
                )
            else:
                new_charts.append(new)
            continue
        link_pk, profile_id, known_status = link
        profile = profiles[profile_id]
        status = pms_status_seen(known_status, item.pms_status)
        if status is not None:
            writes.moved_links[status].append(link_pk)
            moved.append((profile, status, writes.now))
        changed = _diff_profile(profile, item, mapped, writes)
        plan_tags = tag_plan(held.get(profile.pk, []), [tag_ref(tag) for tag in mapped.tags])
        if plan_tags.changed:
            writes.retag(profile.pk, plan_tags)
            changed.append("tags")
        writes.synced_links.append(link_pk)
        outcome = sync_outcome(changed)
        results[index] = ItemResult.synced(item.chart_id, outcome, profile)
        message = batch_message(outcome, profile.username, changed, mapped.notes)
        writes.sync_log.keep(writes.sync_log.rows(item.chart_id, outcome, profile.pk, message))

    chart_ids = {new.index: new.chart_id for new in new_charts}
    for index, (username, public_id) in writes.save_new(new_charts).items():
        results[index] = ItemResult(chart_ids[index], SyncOutcome.CREATED, username, public_id)
    writes.flush()
    # New chart-only profiles have no card: only linked charts' moves can pay a milestone.
    pay_moved(caller.practice, moved)
    return results


def _diff_profile(profile: Profile, item: BatchItem, mapped: Mapped, writes: Writes) -> list[str]:
    data = item.data if mapped.location is None else {**item.data, "location": mapped.location}
    changed = profile_changes(current_fields(profile), plain_fields(data))
    if changed:
        for name in changed:
            setattr(profile, name, data[name])
        profile.updated_at = writes.now
        writes.update_profiles.append(profile)
        writes.update_fields.update(changed)
        writes.audit(profile.pk, "profile.update", update_detail(changed))
    return changed


def _free_usernames(count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        candidates = {new_username() for _ in range(count - len(names))}
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


def _new_chart_only(
    writes: Writes, index: int, item: BatchItem, mapped: Mapped, username: str
) -> NewChartOnly:
    """A chart-only profile's row and every row naming it (tags, audit, link, Sync log)."""
    fields = {name: item.data[name] for name in DEMOGRAPHIC_FIELDS if name in item.data}
    if mapped.location is not None:
        fields["location"] = mapped.location
    public_id = uuid.uuid4()
    values = [fields.get(name, _PROFILE_DEFAULTS[name]) for name in DEMOGRAPHIC_FIELDS]
    profile_row = writes.profiles.row(public_id, username, *map(_column_value, values))
    tags = tag_plan((), [tag_ref(tag) for tag in mapped.tags])
    rows: list[Row] = [(writes.tags, writes.tag_row(None, tag)) for tag in tags.add]
    detail = create_detail(plain_fields(fields), None, tags.final)
    rows.append((writes.audits, writes.audits.row(None, "profile.create", Outcome.OK, detail)))
    status = pms_status_seen("", item.pms_status)
    link_row = writes.links.row(item.chart_id, None, *writes.status_columns(status))
    rows.append((writes.links, link_row))
    message = batch_message(SyncOutcome.CREATED, username, [], mapped.notes)
    rows.extend(writes.sync_log.rows(item.chart_id, SyncOutcome.CREATED, None, message))
    return NewChartOnly(index, item.chart_id, username, public_id, profile_row, rows)
