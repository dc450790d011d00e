"""The simulator's settings, from environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings", "SYSTEM", "PMS_USER"]

SYSTEM = "orthotrac"
# The Orthotrac login the sim pretends to be; the hub records it as the actor.
PMS_USER = "FRONTDESK"


@dataclass(frozen=True)
class Settings:
    port: int = 8001
    db_path: Path = Path("var/pms_sim.sqlite3")
    hub_url: str = "http://127.0.0.1:8000"
    api_key: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        raw_port = env.get("PMS_SIM_PORT", "").strip() or str(cls.port)
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise ValueError(f"PMS_SIM_PORT must be a port number, got {raw_port!r}.")
        return cls(
            port=int(raw_port),
            db_path=Path(env.get("PMS_SIM_DB", "").strip() or cls.db_path),
            hub_url=env.get("PMS_SIM_HUB_URL", "").strip() or cls.hub_url,
            api_key=env.get("PMS_SIM_API_KEY", "").strip(),
        )
