"""A FHIR R4 Bundle of Patients and Appointments, applied through the PMS API's own
write paths (docs/integration-api.md, "FHIR R4").

- The Bundle is read and checked first (fhir_read.py): fhir.resources, then the
  PMS API's schemas.
- Patients are one batch sync (batch.py): a linked chart's demographics are
  updated, an unlinked chart gets the chart-only profile patients:batch creates.
- Appointments go to record_appointment / delete_appointment, after the
  Patients, so an appointment of a Patient created in the same Bundle joins it.
- A transaction Bundle is one database transaction: the first refusal rolls
  back every entry and the Bundle is answered with an OperationOutcome naming
  each entry and field at fault. A batch Bundle applies each entry on its own.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from fhir.resources.R4B.appointment import Appointment

from rewardshub.automations.actions import Outcome, Written, delete_appointment, record_appointment
from rewardshub.errors import ActionError
from rewardshub.integrations.api_appointments import chart_where, log_written
from rewardshub.integrations.batch import sync_batch
from rewardshub.integrations.caller import Caller, names_required
from rewardshub.integrations.fhir_answers import BundleError, Issue, done, failed, response_bundle
from rewardshub.integrations.fhir_map import Problem
from rewardshub.integrations.fhir_read import Entry, read_entries
from rewardshub.integrations.models import SyncAction, SyncOutcome
from rewardshub.integrations.sync_log import record_failure

_PATIENT_WORDS: dict[str, str] = {
    SyncOutcome.CREATED: (
        "New hub patient {username} (chart only, no card yet), synced with the chart."
    ),
    SyncOutcome.UPDATED: "Hub patient {username}: demographics updated.",
    SyncOutcome.UNCHANGED: "Hub patient {username}: nothing changed.",
}


def _patients(caller: Caller, entries: list[Entry], all_or_nothing: bool) -> dict[int, Any]:
    todo = [entry for entry in entries if entry.item is not None]
    answers: dict[int, Any] = {}
    results = sync_batch(caller=caller, items=[entry.item for entry in todo if entry.item])
    for entry, result in zip(todo, results, strict=True):
        if result.error is not None:
            error = result.error
            if error.message == names_required().message:
                entry.refuse(
                    Problem(
                        "Patient.name",
                        "needs a given and a family name: the chart is not synced yet, and a "
                        "new hub patient needs both.",
                    )
                )
                error = entry.error or error
            if all_or_nothing:
                raise error if isinstance(error, BundleError) else _at(entry, error)
            answers[entry.index] = failed(error, f"{entry.base}.resource")
            continue
        words = _PATIENT_WORDS[result.outcome].format(username=result.username)
        answers[entry.index] = done(201 if result.outcome == SyncOutcome.CREATED else 200, words)
    return answers


def _at(entry: Entry, error: ActionError) -> BundleError:
    """A write's refusal, named by its entry."""
    path = f"{entry.base}.resource"
    return BundleError([Issue(error.code, f"{path}: {error.message}", path)], error.status)


def _appointment_words(written: Written, linked: bool) -> str:
    moved = sum(change.points for change in written.changes)
    words = written.message or f"Appointment {written.outcome}."
    if not linked:
        return f"{words} Kept until the chart is linked."
    return f"{words} Automatic points {moved:+d}." if moved else words


def _appointment(caller: Caller, entry: Entry) -> dict[str, Any]:
    parsed = entry.appointment
    assert parsed is not None
    with transaction.atomic():
        where = chart_where(caller, parsed.chart_id)
        if entry.deleted:
            try:
                written = delete_appointment(
                    where=where,
                    appointment_id=parsed.appointment_id,
                    pms_updated_at=parsed.pms_updated_at,
                    actor=caller.actor,
                )
            except ActionError as exc:
                if exc.code != "unknown_appointment":
                    raise
                # Deleting what the hub never had is done already (FHIR's delete).
                return done(200, "The hub has no such appointment; nothing to delete.")
        else:
            written = record_appointment(
                where=where,
                appointment_id=parsed.appointment_id,
                values=parsed.values(),
                pms_updated_at=parsed.pms_updated_at,
                confirmed=parsed.confirmed,
                actor=caller.actor,
            )
        log_written(caller, written, where)
    status = 201 if written.outcome == Outcome.CREATED else 200
    return done(status, _appointment_words(written, where.profile is not None))


def _write(caller: Caller, entries: list[Entry], all_or_nothing: bool) -> list[dict[str, Any]]:
    answers = _patients(caller, entries, all_or_nothing)
    for entry in entries:
        if entry.appointment is None:
            continue
        try:
            answers[entry.index] = _appointment(caller, entry)
        except ActionError as exc:
            if all_or_nothing:
                raise _at(entry, exc) from None
            record_failure(caller, entry.chart_id, SyncAction.APPOINTMENT, exc)
            answers[entry.index] = failed(exc, f"{entry.base}.resource")
    for entry in entries:
        if entry.index not in answers and entry.error is not None:
            answers[entry.index] = failed(entry.error)
    return [answers[entry.index] for entry in entries]


def _log_refused(caller: Caller, entries: list[Entry]) -> None:
    """A batch's entries refused as read, in the Sync log (under their chart when known)."""
    for entry in entries:
        if entry.error is not None:
            appointment = isinstance(entry.resource, Appointment)
            action = SyncAction.APPOINTMENT if appointment else SyncAction.BATCH
            record_failure(caller, entry.chart_id, action, entry.error)


def apply_bundle(*, caller: Caller, sent: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Apply a transaction or batch Bundle; the answer's status and Bundle of outcomes."""
    kind, entries = read_entries(sent, caller.key.fhir_identifier_system)
    if kind == "transaction":
        refused = [entry.error for entry in entries if entry.error is not None]
        if refused:
            issues = [issue for error in refused for issue in error.issues]
            raise BundleError(issues, refused[0].status)
        with transaction.atomic():
            answers = _write(caller, entries, all_or_nothing=True)
        return 200, response_bundle(kind, answers)
    _log_refused(caller, entries)
    return 200, response_bundle(kind, _write(caller, entries, all_or_nothing=False))
