"""`make run`: migrate, load the demo, then serve the hub and the Orthotrac simulator,
with a background worker (`rewardshub worker`: mail to patients) beside the hub.

All three run in the foreground until Ctrl-C (or SIGTERM), which stops them all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VAR = ROOT / "var"


def _run(*args: str) -> None:
    subprocess.run([str(BIN / "rewardshub"), *args], check=True, cwd=ROOT)


def main() -> int:
    # The database, its -wal/-shm, mail files and the demo's logins: owner only
    # (the servers started below inherit it).
    os.umask(0o077)
    hub_port = int(os.environ.get("HUB_PORT", "8000"))
    sim_port = int(os.environ.get("PMS_SIM_PORT", "8001"))
    hub_url = f"http://127.0.0.1:{hub_port}"
    sim_url = f"http://127.0.0.1:{sim_port}"
    VAR.mkdir(exist_ok=True)
    demo_file = VAR / "demo.json"

    _run("migrate", "--noinput", "-v", "0")
    _run("demo", "--hub-url", hub_url, "--pms-sim-url", sim_url, "--out", str(demo_file))
    demo = json.loads(demo_file.read_text())
    sim_key = demo["practices"][0].get("api_key", "")

    env = {
        **os.environ,
        "PMS_SIM_HUB_URL": hub_url,
        "PMS_SIM_API_KEY": sim_key,
        "PMS_SIM_PORT": str(sim_port),
        "PMS_SIM_DB": str(VAR / "pms_sim.sqlite3"),
    }
    subprocess.run([sys.executable, "-m", "pms_sim", "seed"], check=True, cwd=ROOT, env=env)
    # Links in patient mail (written to var/mail/) point at this hub.
    hub_env = dict(os.environ)
    hub_env.setdefault("REWARDSHUB_PUBLIC_URL", hub_url)
    # A demo's points mail waits a minute for the visit's other awards (30 in production).
    hub_env.setdefault("REWARDSHUB_MAIL_DIGEST_SECONDS", "60")
    children = [
        subprocess.Popen(
            [str(BIN / "rewardshub"), "serve", "--port", str(hub_port)], cwd=ROOT, env=hub_env
        ),
        subprocess.Popen([str(BIN / "rewardshub"), "worker"], cwd=ROOT, env=hub_env),
        subprocess.Popen(
            [sys.executable, "-m", "pms_sim", "serve", "--port", str(sim_port)], cwd=ROOT, env=env
        ),
    ]

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"\nRewardsHub:            {hub_url}", flush=True)
    print(f"Orthotrac simulator:   {sim_url}", flush=True)
    print("Background worker:     rewardshub worker (patient mail goes to var/mail/)", flush=True)
    print(f"Demo logins and cards: {demo_file}", flush=True)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        stop()
        for child in children:
            child.wait(timeout=15)
    failed = [c.returncode for c in children if c.returncode not in (0, -signal.SIGTERM)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
