"""The practice-management systems a key can belong to, and how to name them to people."""

from __future__ import annotations

# Slug in API paths and keys -> the name staff know. The contract is the same
# for all of them; only Orthotrac's menu labels appear in messages.
SYSTEMS: dict[str, str] = {
    "orthotrac": "Orthotrac",
    "topsortho": "topsOrtho",
    "dolphin": "Dolphin",
    "cloud9": "Cloud 9",
    "waveortho": "WaveOrtho",
    "opendental": "Open Dental",
    "edge": "Edge",
    "fhir": "FHIR server",
    "other": "Other PMS",
}

SYSTEM_CHOICES = list(SYSTEMS.items())


def system_name(system: str) -> str:
    return SYSTEMS.get(system, system)


def set_card_path(system: str) -> str:
    """Where, in the PMS, staff set the card number: the retry path our messages give."""
    if system == "orthotrac":
        return "Patient Chart > Patient Rewards Hub > Set Patient Rewards Hub Card #"
    return "the patient's Patient Rewards Hub card number setting"


def not_synced_message(system: str) -> str:
    name = system_name(system)
    return (
        "This patient has not synced with the Patient Rewards Hub. "
        f"In {name}, open {set_card_path(system)}, set the card number "
        "(swipe the card or paste the hub username), then try again."
    )
