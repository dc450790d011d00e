"""The practice's time zone: a short list of the common zones to pick from, any IANA zone accepted.

The settings page offers the common zones, grouped by region, as suggestions
of a text box (a datalist the browser searches as one types), rather than a
list of the 600 names in the time zone database; any zone of that database is
still accepted, typed in any case and with spaces for underscores.
"""

from __future__ import annotations

import zoneinfo

# Computed once: scanning the time zone database on every request is slow.
TIME_ZONES = frozenset(zoneinfo.available_timezones())
_BY_FOLDED = {zone.casefold(): zone for zone in TIME_ZONES}

COMMON_TIME_ZONES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "United States",
        (
            ("America/New_York", "Eastern"),
            ("America/Chicago", "Central"),
            ("America/Denver", "Mountain"),
            ("America/Phoenix", "Arizona (no daylight saving)"),
            ("America/Los_Angeles", "Pacific"),
            ("America/Anchorage", "Alaska"),
            ("Pacific/Honolulu", "Hawaii"),
            ("America/Puerto_Rico", "Puerto Rico"),
        ),
    ),
    (
        "Canada",
        (
            ("America/St_Johns", "Newfoundland"),
            ("America/Halifax", "Atlantic"),
            ("America/Toronto", "Eastern"),
            ("America/Winnipeg", "Central"),
            ("America/Regina", "Saskatchewan"),
            ("America/Edmonton", "Mountain"),
            ("America/Vancouver", "Pacific"),
        ),
    ),
    (
        "Elsewhere",
        (
            ("America/Mexico_City", "Mexico City"),
            ("Europe/London", "London"),
            ("Europe/Dublin", "Dublin"),
            ("Europe/Berlin", "Central Europe"),
            ("Australia/Sydney", "Sydney"),
            ("Pacific/Auckland", "Auckland"),
            ("UTC", "Coordinated Universal Time"),
        ),
    ),
)


def zone_options() -> list[tuple[str, str]]:
    """(zone, "Region: label") for the datalist, in the order above."""
    return [
        (zone, f"{region}: {label}") for region, zones in COMMON_TIME_ZONES for zone, label in zones
    ]


def canonical_zone(text: str) -> str | None:
    """The database's name for a typed zone ("america/new york" -> "America/New_York"), or None."""
    return _BY_FOLDED.get("_".join(text.split()).casefold())
