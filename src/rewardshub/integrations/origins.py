"""Origins allowed to frame the chart view (CSP frame-ancestors), as pure rules.

Staff type them in settings; only `http(s)://host[:port]` is accepted, so a
stray path, quote or semicolon can never change the meaning of the header.
"""

from __future__ import annotations

import re

_ORIGIN = re.compile(
    r"^(?P<scheme>https?)://"
    r"(?P<host>(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?$"
)
MAX_ORIGINS = 20


class OriginError(ValueError):
    pass


def parse_origins(text: str) -> list[str]:
    """Split on spaces, commas or lines; normalise; raise OriginError naming the bad one."""
    found: list[str] = []
    for raw in re.split(r"[\s,]+", text.strip()):
        if not raw:
            continue
        origin = raw.lower().rstrip("/")
        match = _ORIGIN.match(origin)
        port = match.group("port") if match else None
        if match is None or (port is not None and not 0 < int(port) < 65536):
            raise OriginError(
                f"“{raw}” is not an origin. Write each as http(s)://host or "
                "http(s)://host:port, without a path, e.g. https://pms.example.com or "
                "http://127.0.0.1:8001."
            )
        if origin not in found:
            found.append(origin)
    if len(found) > MAX_ORIGINS:
        raise OriginError(f"List at most {MAX_ORIGINS} origins.")
    return found


def frame_ancestors(stored: str) -> list[str]:
    """The CSP frame-ancestors sources for a practice's stored origins ('none' when empty)."""
    origins = stored.split()
    return origins or ["'none'"]
