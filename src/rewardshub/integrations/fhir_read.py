"""Reading a FHIR R4 Bundle (docs/integration-api.md, "FHIR R4"): the JSON, the
Bundle and each entry checked with fhir.resources (R4B's models, which read R4's
JSON for Bundle, Patient and Appointment), then each resource mapped (fhir_map.py)
and its values checked by the PMS API's own schemas, so both doors take the same
values. Every refusal names the entry and the field (a FHIRPath).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.patient import Patient
from pydantic import BaseModel, ValidationError

from rewardshub.integrations.api_support import validation_message
from rewardshub.integrations.appointment_schemas import BatchAppointmentIn
from rewardshub.integrations.batch import BatchItem
from rewardshub.integrations.fhir_answers import BundleError, Issue
from rewardshub.integrations.fhir_map import (
    Problem,
    Values,
    appointment_chart,
    appointment_id,
    appointment_values,
    patient_chart,
    patient_keys,
    patient_values,
)
from rewardshub.integrations.schemas import CHART_ID_RULE, MAX_BATCH, BatchPatientIn
from rewardshub.wording import as_shown

KINDS = ("transaction", "batch")
METHODS = ("POST", "PUT")
RESOURCES = {"Patient": Patient, "Appointment": Appointment}


def _refused(
    path: str, message: str, code: str = "validation_error", status: int = 422
) -> BundleError:
    return BundleError([Issue(code, f"{path} {message}", path)], status)


# -- reading: JSON, the Bundle, its entries ------------------------------------------


def _element(item: Any) -> str:
    return "resourceType" if item == "resource_type" else as_shown(str(item))


def _fhir_path(base: str, loc: tuple[Any, ...] | list[Any]) -> str:
    path = base
    for item in loc:
        path += f"[{item}]" if isinstance(item, int) else f".{_element(item)}"
    return path


def _sentence(error: Any) -> str:
    kind = str(error.get("type", ""))
    if kind == "missing" or kind.endswith(".missing"):
        return "is required."
    if kind == "extra_forbidden":
        return "is not an element of this FHIR resource; remove it."
    if kind == "fhir-validation-wrong-resource-type":
        ctx = error.get("ctx") or {}
        return f"must be {ctx.get('expected_resource_type')}."
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"is not valid: {message}"


def _issues(exc: ValidationError, base: str) -> list[Issue]:
    issues = []
    for error in exc.errors(include_url=False):
        path = _fhir_path(base, error["loc"])
        issues.append(Issue("validation_error", f"{path} {_sentence(error)}", path))
    return issues


def read_body(body: bytes) -> dict[str, Any]:
    """The request body as JSON: a Bundle is a JSON object."""
    try:
        sent = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BundleError(
            [
                Issue(
                    "invalid_json",
                    "The request body is not valid JSON. Send a FHIR Bundle as JSON with "
                    "Content-Type: application/fhir+json.",
                )
            ],
            400,
        ) from None
    if not isinstance(sent, dict):
        raise _refused("Bundle", "must be a JSON object: a FHIR Bundle resource.")
    return sent


def _bundle_kind(sent: dict[str, Any]) -> list[dict[str, Any]]:
    """Check the Bundle around its entries; its entries, each a JSON object."""
    entries = sent.get("entry", [])
    if not isinstance(entries, list):
        raise _refused("Bundle.entry", "must be a JSON list.")
    if len(entries) > MAX_BATCH:
        raise _refused(
            "Bundle.entry", f"holds {len(entries)} entries; send at most {MAX_BATCH} per Bundle."
        )
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _refused(f"Bundle.entry[{index}]", "must be a JSON object.")
    if sent.get("resourceType") != "Bundle":
        raise _refused("Bundle.resourceType", "must be Bundle.")
    bundle = _validated(Bundle, {k: v for k, v in sent.items() if k != "entry"}, "Bundle")
    if bundle.type not in KINDS:
        raise _refused(
            "Bundle.type", f"is {bundle.type!r}: the hub takes transaction and batch Bundles."
        )
    return entries


@dataclass
class Entry:
    """One entry as read: its resource, or why it was refused."""

    index: int
    resource: Any = None
    error: BundleError | None = None
    chart_id: str = ""
    # What to write once the Bundle is read.
    item: BatchItem | None = None
    appointment: BatchAppointmentIn | None = None
    deleted: bool = False
    full_url: str | None = None

    @property
    def base(self) -> str:
        return f"Bundle.entry[{self.index}]"

    def path(self, resource_path: str) -> str:
        """A path in the resource (Patient.birthDate) as a path in the Bundle."""
        _, dot, rest = resource_path.partition(".")
        return f"{self.base}.resource" + (f".{rest}" if dot else "")

    def refuse(self, problem: Problem) -> None:
        self.error = _refused(self.path(problem.path), problem.text, problem.code)


def _validated(model: type[BaseModel], sent: dict[str, Any], base: str) -> Any:
    try:
        return model.model_validate(sent)
    except ValidationError as exc:
        raise BundleError(_issues(exc, base)) from None
    except (KeyError, TypeError, ValueError):
        # fhir.resources fails so on a resourceType it does not know (in contained[]).
        raise _refused(base, "is not a valid FHIR R4 resource: check its resourceType.") from None


def _read_entry(index: int, raw: dict[str, Any]) -> Entry:
    entry = Entry(index)
    resource = raw.get("resource")
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind not in RESOURCES:
        entry.error = _refused(
            f"{entry.base}.resource" + (".resourceType" if isinstance(resource, dict) else ""),
            "must be a Patient or an Appointment: the hub takes no other resources.",
        )
        return entry
    try:
        read = _validated(BundleEntry, raw, entry.base)
    except BundleError as exc:
        entry.error = exc
        return entry
    method = read.request.method if read.request is not None else None
    if method not in METHODS:
        entry.error = _refused(
            f"{entry.base}.request.method",
            f"is {method or 'missing'}: the hub takes POST and PUT entries. To delete an "
            "appointment, send it with status entered-in-error.",
        )
    else:
        entry.resource = read.resource
        entry.full_url = read.fullUrl
    return entry


def _checked(entry: Entry, schema: type[BaseModel], values: Values) -> BaseModel | None:
    """The values through the PMS API's schema; a refusal names the FHIR field."""
    try:
        return schema.model_validate(values.fields)
    except ValidationError as exc:
        issues = []
        for error in exc.errors(include_url=False):
            name = str(error["loc"][0]) if error["loc"] else ""
            where = values.paths.get(name)
            path = entry.path(where) if where else entry.base
            if name in ("chart_id", "appointment_id") and error["type"].startswith("string"):
                sentence = f"{path} must be {CHART_ID_RULE}."
            else:
                sentence = validation_message([{**error, "loc": (path,)}])
            issues.append(Issue("validation_error", sentence, path))
        entry.error = BundleError(issues)
        return None


def _read_patient(entry: Entry, system: str, charts: dict[str, str], seen: set[str]) -> None:
    try:
        entry.chart_id = patient_chart(entry.resource, system)[1]
    except Problem as problem:
        entry.refuse(problem)
        return
    for key in patient_keys(entry.resource, entry.full_url):
        charts.setdefault(key, entry.chart_id)
    try:
        chart_id, values = patient_values(entry.resource, system)
    except Problem as problem:
        entry.refuse(problem)
        return
    parsed = _checked(entry, BatchPatientIn, values)
    if not isinstance(parsed, BatchPatientIn):
        return
    if chart_id in seen:
        entry.refuse(Problem("Patient.identifier", "names a chart already sent in this Bundle."))
        return
    seen.add(chart_id)
    entry.item = BatchItem(chart_id, parsed.profile_data())


def _read_appointment(
    entry: Entry, system: str, charts: dict[str, str], seen: set[tuple[str, str]]
) -> None:
    resource: Appointment = entry.resource
    try:
        chart_id = appointment_chart(resource, system, charts)
        deleted, values = appointment_values(resource)
        values.put("appointment_id", appointment_id(resource, system), "Appointment.identifier")
    except Problem as problem:
        entry.refuse(problem)
        return
    entry.chart_id, entry.deleted = chart_id, deleted
    values.put("chart_id", chart_id, "Appointment.participant")
    if deleted:
        # Only the ids and the time of the change matter to a delete.
        values.fields.update(starts_at="2000-01-01T00:00:00Z", status="cancelled")
    parsed = _checked(entry, BatchAppointmentIn, values)
    if not isinstance(parsed, BatchAppointmentIn):
        return
    pair = (parsed.chart_id, parsed.appointment_id)
    if pair in seen:
        entry.refuse(Problem("Appointment.identifier", "names an appointment already sent."))
        return
    seen.add(pair)
    entry.appointment = parsed


def read_entries(sent: dict[str, Any], system: str) -> tuple[str, list[Entry]]:
    """The Bundle's kind and its entries, each checked and mapped (Patients first:
    the Appointments name them)."""
    raws = _bundle_kind(sent)
    entries = [_read_entry(index, raw) for index, raw in enumerate(raws)]
    charts: dict[str, str] = {}
    seen_charts: set[str] = set()
    for entry in entries:
        if isinstance(entry.resource, Patient):
            _read_patient(entry, system, charts, seen_charts)
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        if isinstance(entry.resource, Appointment):
            _read_appointment(entry, system, charts, seen)
    return str(sent.get("type")), entries
