"""The bridge's INI config: where the hub is and which key to use.

[hub]
url = https://rewards.example-ortho.com
api_key = rhk_...
system = orthotrac
; timeout = 10   (seconds, optional)
"""

from __future__ import annotations

import configparser
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "ENV_VAR",
    "DEFAULT_PATH",
    "BridgeConfig",
    "ConfigError",
    "config_path",
    "load_config",
]

ENV_VAR = "REWARDSHUB_BRIDGE_CONFIG"
DEFAULT_PATH = Path("~/.config/rewardshub/bridge.ini")
DEFAULT_SYSTEM = "orthotrac"
DEFAULT_TIMEOUT = 10.0
REQUIRED_KEYS = ("url", "api_key")

EXAMPLE = """[hub]
url = https://your-hub.example.com
api_key = <the integration key from the hub's Settings > Integration keys>
system = orthotrac"""


class ConfigError(Exception):
    """The config file is missing, unreadable or incomplete; the text says how to fix it."""


@dataclass(frozen=True)
class BridgeConfig:
    url: str
    api_key: str
    system: str = DEFAULT_SYSTEM
    timeout: float = DEFAULT_TIMEOUT


def config_path(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """--config wins over the environment variable, which wins over the default."""
    env = os.environ if environ is None else environ
    chosen = explicit or env.get(ENV_VAR) or str(DEFAULT_PATH)
    return Path(chosen).expanduser()


def load_config(path: Path) -> BridgeConfig:
    # No interpolation: a "%" in an API key must stay a "%".
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8-sig") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"Config file {path} not found. Create it with:\n{EXAMPLE}\n"
            f"or point --config or {ENV_VAR} at it."
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"Config file {path} could not be read: {err}") from None
    except configparser.Error as err:
        raise ConfigError(f"Config file {path} is not a valid INI file: {err}") from None

    if not parser.has_section("hub"):
        raise ConfigError(
            f"Config file {path} has no [hub] section. It should look like:\n{EXAMPLE}"
        )
    hub = parser["hub"]
    missing = [key for key in REQUIRED_KEYS if not hub.get(key, "").strip()]
    if missing:
        raise ConfigError(f"Config file {path} is missing {' and '.join(missing)} in [hub].")

    url = hub["url"].strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"The url in {path} must be the hub's address, starting with http:// or https:// "
            f"(got {url!r})."
        )
    return BridgeConfig(
        url=url,
        api_key=hub["api_key"].strip(),
        system=hub.get("system", "").strip() or DEFAULT_SYSTEM,
        timeout=_timeout(hub.get("timeout", ""), path),
    )


def _timeout(raw: str, path: Path) -> float:
    if not raw.strip():
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(
            f"The timeout in {path} must be a number of seconds above 0 (got {raw!r})."
        )
    return value
