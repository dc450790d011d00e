"""FHIR R4 Patient and Appointment resources as the values of the PMS API's calls
(docs/integration-api.md, "FHIR R4"): plain functions over fhir.resources models,
no Django.

The values come out as the PMS API's JSON would send them (text dates and times),
so the same schemas check them (fhir_bundle.py); each value keeps the FHIR path
it came from, so a refusal names the field the PMS sent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.appointment import Appointment, AppointmentParticipant
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.patient import Patient

# Appointment.status -> the PMS API's status; entered-in-error deletes.
STATUS = {
    "proposed": "scheduled",
    "pending": "scheduled",
    "booked": "scheduled",
    "arrived": "arrived",
    "checked-in": "arrived",
    "fulfilled": "completed",
    "noshow": "missed",
    "cancelled": "cancelled",
}
DELETED = "entered-in-error"
# A relative reference to a resource type: Practitioner/12.
RELATIVE = re.compile(r"[A-Z][A-Za-z]+/")
NAME_USES = ("official", "usual")


class Problem(Exception):
    """A resource the hub cannot take: the FHIR path of the field, and why."""

    def __init__(self, path: str, message: str, code: str = "validation_error") -> None:
        super().__init__(f"{path} {message}")
        self.path = path
        self.text = message
        self.code = code


@dataclass
class Values:
    """What one resource says, as PMS API fields, with the FHIR path of each."""

    fields: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    def put(self, name: str, value: Any, path: str) -> None:
        self.fields[name] = value
        self.paths[name] = path


def identified(identifiers: list[Identifier] | None, system: str) -> tuple[int, str] | None:
    """The index and value of the first identifier of this system, if any."""
    for index, identifier in enumerate(identifiers or []):
        if identifier.system == system and identifier.value:
            return index, identifier.value
    return None


def patient_chart(patient: Patient, system: str) -> tuple[str, str]:
    """The path and value of the Patient's chart id (its identifier of the key's system)."""
    found = identified(patient.identifier, system)
    if found is None:
        raise Problem(
            "Patient.identifier",
            f"has no identifier with system {system}, whose value is the chart id. Send the "
            "chart id with that system, or change the key's FHIR identifier system in "
            "Settings > Integration keys.",
        )
    return f"Patient.identifier[{found[0]}].value", found[1]


def _name(names: list[HumanName] | None) -> tuple[int, HumanName] | None:
    """The official name, else the usual one, else the first with no use."""
    listed = list(enumerate(names or []))
    for use in NAME_USES:
        for index, name in listed:
            if name.use == use:
                return index, name
    return next(((index, name) for index, name in listed if name.use is None), None)


def _names(values: Values, patient: Patient) -> None:
    chosen = _name(patient.name)
    if chosen is None:
        return
    index, name = chosen
    path = f"Patient.name[{index}]"
    if name.given:
        values.put("first_name", name.given[0], f"{path}.given[0]")
    if name.family:
        values.put("last_name", name.family, f"{path}.family")
    if name.use == "official":
        # A usual name's given name is what the patient goes by.
        usual = next(
            ((i, n) for i, n in enumerate(patient.name or []) if n.use == "usual" and n.given),
            None,
        )
        if usual is not None and usual[1].given and usual[1].given[0] != (name.given or [None])[0]:
            values.put("preferred_name", usual[1].given[0], f"Patient.name[{usual[0]}].given[0]")


def _telecom(values: Values, patient: Patient) -> None:
    wanted = {
        ("email", None): "email",
        ("phone", "mobile"): "phone_mobile",
        ("sms", "mobile"): "phone_mobile",
        ("phone", "home"): "phone_home",
    }
    ranked = sorted(
        enumerate(patient.telecom or []), key=lambda pair: (pair[1].rank or 2**31, pair[0])
    )
    for index, point in ranked:
        use = None if point.system == "email" else point.use
        name = wanted.get((point.system or "", use))
        if name is not None and point.value and name not in values.fields:
            values.put(name, point.value, f"Patient.telecom[{index}].value")


def patient_values(patient: Patient, identifier_system: str) -> tuple[str, Values]:
    """The chart id and the demographics of a Patient (elements the hub does not keep
    are left out)."""
    path, chart_id = patient_chart(patient, identifier_system)
    values = Values()
    values.put("chart_id", chart_id, path)
    _names(values, patient)
    if patient.birthDate is not None:
        if not isinstance(patient.birthDate, dt.date):
            raise Problem(
                "Patient.birthDate",
                "must be a whole date (YYYY-MM-DD): the hub keeps no partial dates.",
            )
        values.put("birth_date", patient.birthDate.isoformat(), "Patient.birthDate")
    _telecom(values, patient)
    return chart_id, values


def patient_keys(patient: Patient, full_url: str | None) -> list[str]:
    """The references by which the Bundle's other entries may name this Patient."""
    keys = [full_url] if full_url else []
    if patient.id:
        keys.append(f"Patient/{patient.id}")
    return keys


def _concept(concept: CodeableConcept | None, path: str, values: Values) -> bool:
    if concept is None:
        return False
    for index, coding in enumerate(concept.coding or []):
        if coding.code or coding.display:
            values.put("type_code", coding.code or "", f"{path}.coding[{index}].code")
            label = coding.display or concept.text or ""
            values.put("type_label", label, f"{path}.coding[{index}].display")
            return True
    if concept.text:
        values.put("type_label", concept.text, f"{path}.text")
        return True
    return False


def _names_patient(participant: AppointmentParticipant, system: str) -> bool:
    actor = participant.actor
    if actor is None:
        return False
    if actor.identifier is not None and actor.identifier.system == system:
        return True
    return (actor.reference or "").startswith(("Patient/", "Patient?")) or actor.type == "Patient"


def _patient_participant(
    participants: list[AppointmentParticipant], system: str
) -> tuple[int, AppointmentParticipant]:
    for index, participant in enumerate(participants):
        if _names_patient(participant, system):
            return index, participant
    for index, participant in enumerate(participants):
        reference = participant.actor.reference if participant.actor else None
        # A urn:uuid: or absolute reference (not Practitioner/1, Location/2) may be a
        # Patient entry of the Bundle.
        if reference and not RELATIVE.match(reference):
            return index, participant
    raise Problem(
        "Appointment.participant",
        "names no Patient: add a participant whose actor references the Patient "
        "(Patient/<id> or the Patient entry's fullUrl) or carries its chart identifier.",
    )


def appointment_chart(appointment: Appointment, system: str, charts: dict[str, str]) -> str:
    """The chart id of the appointment's Patient: by identifier with the key's system,
    a conditional reference Patient?identifier=<system>|<chart id>, or a reference to
    a Patient entry of the same Bundle (`charts`: reference -> chart id)."""
    index, participant = _patient_participant(list(appointment.participant or []), system)
    actor = participant.actor
    assert actor is not None
    path = f"Appointment.participant[{index}].actor"
    identifier = actor.identifier
    if identifier is not None and identifier.system == system and identifier.value:
        return identifier.value
    reference = actor.reference or ""
    prefix = f"Patient?identifier={system}|"
    if reference.startswith(prefix):
        return reference[len(prefix) :]
    if reference in charts:
        return charts[reference]
    raise Problem(
        f"{path}.reference" if reference else f"{path}.identifier",
        "names a Patient that is neither in this Bundle nor identified by its chart id: "
        f"send the Patient in the same Bundle, or give the actor an identifier with system "
        f"{system}.",
    )


def appointment_id(appointment: Appointment, system: str) -> str:
    """The appointment identifier with the key's system, else the resource's id."""
    found = identified(appointment.identifier, system)
    if found is not None:
        return found[1]
    if appointment.id:
        return appointment.id
    raise Problem(
        "Appointment.identifier",
        f"is missing: send the PMS's appointment id as an identifier with system {system}, "
        "or as the Appointment's id.",
    )


def _when(value: Any) -> str | None:
    """A dateTime with its time and offset as ISO text; a bare date gives no time."""
    return value.isoformat() if isinstance(value, dt.datetime) else None


def appointment_values(appointment: Appointment) -> tuple[bool, Values]:
    """Whether the PMS entered it in error (delete it), and the PUT call's fields."""
    values = Values()
    updated = appointment.meta.lastUpdated if appointment.meta else None
    if _when(updated):
        values.put("pms_updated_at", _when(updated), "Appointment.meta.lastUpdated")
    if appointment.status == DELETED:
        return True, values
    status = STATUS.get(appointment.status or "")
    if status is None:
        raise Problem(
            "Appointment.status",
            f"is {appointment.status!r}, which the hub does not keep: send one of "
            f"{', '.join([*STATUS, DELETED])}.",
        )
    values.put("status", status, "Appointment.status")
    start = _when(appointment.start)
    if start is None:
        raise Problem("Appointment.start", "is required: the hub keeps booked times only.")
    values.put("starts_at", start, "Appointment.start")
    if appointment.minutesDuration is not None:
        values.put("length_minutes", appointment.minutesDuration, "Appointment.minutesDuration")
    elif isinstance(appointment.end, dt.datetime) and isinstance(appointment.start, dt.datetime):
        minutes = (appointment.end - appointment.start).total_seconds() // 60
        values.put("length_minutes", int(minutes), "Appointment.end")
    if not _concept(appointment.appointmentType, "Appointment.appointmentType", values):
        for index, concept in enumerate(appointment.serviceType or []):
            if _concept(concept, f"Appointment.serviceType[{index}]", values):
                break
    for index, participant in enumerate(appointment.participant or []):
        actor = participant.actor
        if actor and actor.display and (actor.reference or "").startswith("Practitioner/"):
            values.put("provider", actor.display, f"Appointment.participant[{index}].actor")
            break
    if _when(appointment.created):
        values.put("booked_at", _when(appointment.created), "Appointment.created")
    return False, values
