"""gunicorn's access log without identifiers: PMS chart ids and launch tokens are masked.

Hub pages never put patient data in a URL, but the integration API's paths
carry the PMS chart id (the contract's resource name) and launch links carry
a one-time token. Neither belongs in a log file.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

_PATTERNS = (
    (re.compile(r"(/api/v1/pms/[^/?]+/patients/)[^/?]+"), r"\1<chart>"),
    (re.compile(r"(/launch/)[^/?]+"), r"\1<token>"),
)


def redact_path(path: str) -> str:
    for pattern, replacement in _PATTERNS:
        path = pattern.sub(replacement, path)
    return path


class RedactingLogger(Logger):
    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("U", "r"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact_path(atoms[name])
        atoms["q"] = ""
        return atoms
