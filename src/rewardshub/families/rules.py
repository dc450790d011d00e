"""Which emails may suggest a family (no Django here).

PMS records often carry a made-up address when the patient gave none
("noemail@...", "none@..."); such an address joins strangers, so it never
suggests a family and is refused for a guardian's invitation.
"""

from __future__ import annotations

PLACEHOLDER_NAMES = frozenset(
    {
        "donotreply",
        "do-not-reply",
        "email",
        "fake",
        "na",
        "n/a",
        "no",
        "no-email",
        "no.email",
        "no_email",
        "noemail",
        "nomail",
        "none",
        "noreply",
        "no-reply",
        "null",
        "patient",
        "test",
        "unknown",
    }
)
PLACEHOLDER_DOMAINS = frozenset(
    {"noemail.com", "nomail.com", "none.com", "test.com", "email.com", "unknown.com"}
)


def normalize_email(value: str) -> str:
    return value.strip().lower()


def is_placeholder(value: str) -> bool:
    """True for a blank, malformed or made-up address (one that must not join a family)."""
    email = normalize_email(value)
    name, at, domain = email.rpartition("@")
    if not at or not name or "." not in domain:
        return True
    if name in PLACEHOLDER_NAMES or domain in PLACEHOLDER_DOMAINS:
        return True
    # "x@", "xxx@", "000@", "...@": nobody's address.
    return set(name) <= set("x0.-_")
