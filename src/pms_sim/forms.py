"""Patient Add form: the choices it offers and the checks it makes.

Limits follow the hub's demographics contract, so a chart the sim accepts is
one the hub will accept too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pms_sim.charts import DEMOGRAPHIC_FIELDS

__all__ = ["STATUSES", "OFFICES", "LABELS", "clean_patient"]

STATUSES = ("New Patient", "Observation", "Active Tx", "Retainer", "Inactive")
OFFICES = {"ACW": "Acworth", "MAR": "Marietta"}

LABELS = {
    "first_name": "First Name",
    "last_name": "Last Name",
    "preferred_name": "Preferred",
    "birth_date": "Birth Date",
    "email": "Email",
    "phone_mobile": "Mobile Phone",
    "phone_home": "Home Phone",
    "responsible_party": "Responsible Party",
    "pms_status": "Status",
    "office": "Office",
}

MAX_LENGTHS = {
    "first_name": 100,
    "last_name": 100,
    "preferred_name": 100,
    "email": 254,
    "phone_mobile": 32,
    "phone_home": 32,
    "responsible_party": 200,
}


def clean_patient(form: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Return the tidied values and the errors (one sentence each, empty when valid)."""
    values = {name: " ".join(form.get(name, "").split()) for name in DEMOGRAPHIC_FIELDS}
    errors = []
    for name in ("first_name", "last_name"):
        if not values[name]:
            errors.append(f"{LABELS[name]} is required.")
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            errors.append(f"{LABELS[name]} must be at most {limit} characters.")
    if values["birth_date"]:
        try:
            born = date.fromisoformat(values["birth_date"])
        except ValueError:
            errors.append("Birth Date must be a date (YYYY-MM-DD).")
        else:
            if born > date.today():
                errors.append("Birth Date cannot be in the future.")
            values["birth_date"] = born.isoformat()
    if values["email"] and "@" not in values["email"]:
        errors.append("Email must be an email address.")
    if values["pms_status"] not in STATUSES:
        errors.append("Choose a Status from the list.")
    if values["office"] not in OFFICES:
        errors.append("Choose an Office from the list.")
    return values, errors
