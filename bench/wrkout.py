"""Running Debian's wrk and reading its `--latency` report.

Pure parsing lives here so tests can check it on fixed text without a server.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_SCALE = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def duration_ms(text: str) -> float:
    """'812.00us' -> 0.812, '1.50ms' -> 1.5, '2.01s' -> 2010.0."""
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse(output: str) -> WrkResult:
    """Read wrk's report; raises ValueError when the report lacks what we need."""
    done = re.search(r"^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m|h)", output, re.M)
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)([kMG]?)", output, re.M)
    if done is None or rps is None:
        raise ValueError("wrk output has no request count or Requests/sec line")
    percentiles: dict[str, float] = {}
    for pct, value in re.findall(r"^\s+(50|75|90|99)(?:\.000)?%\s+(\S+)", output, re.M):
        percentiles[pct] = duration_ms(value)
    if "50" not in percentiles or "99" not in percentiles:
        raise ValueError("wrk output has no latency distribution (run wrk with --latency)")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests=int(done.group(1)),
        seconds=duration_ms(done.group(2) + done.group(3)) / 1000.0,
        rps=float(rps.group(1)) * _SCALE[rps.group(2)],
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
    )


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does this)")
    return found


def run(
    url: str,
    *,
    seconds: int,
    connections: int = 16,
    threads: int = 2,
    script: str | None = None,
    script_args: list[str] | None = None,
    headers: dict[str, str] | None = None,
    timeout_s: int = 10,
) -> tuple[WrkResult, str]:
    cmd = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout_s}s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", str(LUA_DIR / script)]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=seconds + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr or proc.stdout}")
    return parse(proc.stdout), proc.stdout
