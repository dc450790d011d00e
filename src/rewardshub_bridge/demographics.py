"""Demographics as the contract names them, and the PMS "info file" that carries them.

An info file is what a PMS menu item can write before running the bridge:
one `field=value` per line, field names as in docs/integration-api.md.

    first_name=Emma
    last_name=Johnson
    birth_date=2012-04-17
    pms_status=Active Tx
    office=ACW
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

__all__ = ["FIELDS", "InfoFileError", "normalize_birth_date", "parse_info_text", "read_info_file"]

FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "birth_date",
    "email",
    "phone_mobile",
    "phone_home",
    "responsible_party",
    "pms_status",
    "office",
)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# US practice-management systems (Orthotrac among them) write dates month first.
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


class InfoFileError(ValueError):
    """Bad demographics input; the text names the line or field to fix."""


def normalize_birth_date(raw: str) -> str:
    """Return YYYY-MM-DD for a YYYY-MM-DD or MM/DD/YYYY date, or raise InfoFileError."""
    text = raw.strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text).isoformat()
        us = _US_DATE.fullmatch(text)
        if us:
            month, day, year = (int(part) for part in us.groups())
            return date(year, month, day).isoformat()
    except ValueError:
        pass
    raise InfoFileError(f"Birth date {raw!r} is not a date; use YYYY-MM-DD (or MM/DD/YYYY).")


def parse_info_text(text: str, source: str = "info file") -> dict[str, str]:
    """Parse `field=value` lines; blank values mean "not known" and are left out."""
    fields: dict[str, str] = {}
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip().lower()
        if not sep:
            raise InfoFileError(f"{source}, line {number}: expected field=value, got {stripped!r}.")
        if key not in FIELDS:
            raise InfoFileError(
                f"{source}, line {number}: unknown field {key!r}. "
                f"Known fields: {', '.join(FIELDS)}."
            )
        if key in seen:
            raise InfoFileError(f"{source}, line {number}: field {key!r} is given twice.")
        seen.add(key)
        value = value.strip()
        if value:
            fields[key] = normalize_birth_date(value) if key == "birth_date" else value
    return fields


def read_info_file(path: Path) -> dict[str, str]:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InfoFileError(f"Info file {path} could not be read: {err.strerror or err}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Windows PMSes often write the ANSI code page rather than UTF-8.
        text = raw.decode("cp1252", errors="replace")
    return parse_info_text(text, source=f"Info file {path}")
