"""Starting gunicorn as `rewardshub serve` does, and reading its memory peak."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

WORKERS = 2
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One gunicorn master with WORKERS workers; `app` is "hub" or "bare"."""

    def __init__(self, app: str, env: dict[str, str], log_path: Path) -> None:
        from rewardshub.serve import default_threads, worker_class  # as the hub's

        threads = default_threads()
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log_path.open("ab")
        full_env = {**os.environ, **env}
        if app == "hub":
            # Exactly the production start: `rewardshub serve`.
            cmd = [
                str(Path(sys.executable).parent / "rewardshub"),
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(WORKERS),
                "--threads",
                str(threads),
            ]
        else:
            # The same gunicorn settings as `rewardshub serve`, another application.
            cmd = [
                sys.executable,
                "-m",
                "gunicorn",
                "bench.bare_wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={WORKERS}",
                f"--threads={threads}",
                f"--worker-class={worker_class(threads)}",
                "--access-logfile=-",
                "--logger-class=rewardshub.access_log.RedactingLogger",
                '--access-logformat=%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
                "--forwarded-allow-ips=127.0.0.1",
            ]
        self.proc = subprocess.Popen(
            cmd, env=full_env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.app} server exited ({self.proc.returncode})")
            try:
                with urllib.request.urlopen(self.url + "/api/v1/openapi.json", timeout=2):
                    pass
            except urllib.error.HTTPError:
                pass  # any answer means a worker is up
            except OSError:
                time.sleep(0.2)
                continue
            if len(self.worker_pids()) >= WORKERS:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.app} server did not start within 30 s")

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def peak_rss_mb(self) -> float:
        """The highest VmHWM (peak resident set) among the master and its workers."""
        peaks = []
        for pid in [self.proc.pid, *self.worker_pids()]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024.0)
        return round(max(peaks, default=0.0), 1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
