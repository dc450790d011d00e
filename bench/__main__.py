"""`python -m bench [--quick] [--db sqlite|postgres|both]`: run, save JSON, write BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import report
from bench.pg import scratch_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PG_ENV = "REWARDSHUB_BENCH_POSTGRES_URL"


def run_one(db: str, url: str, scale: str, workdir: Path, only: str = "") -> dict:
    out = workdir / "result.json"
    cmd = [sys.executable, "-m", "bench.run", "--db", db, "--url", url, "--scale", scale,
           "--workdir", str(workdir), "--out", str(out)]
    if only:
        cmd += ["--only", only]
    subprocess.run(cmd, cwd=ROOT, check=True)
    return json.loads(out.read_text())


def code_state() -> dict[str, object]:
    """The commit measured and whether src/ had uncommitted changes: other work in
    the same checkout changes what the servers run."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False)
        return done.stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "src_tree": git("rev-parse", "HEAD:src"),
            "src_changed": bool(git("status", "--porcelain", "--", "src"))}


def _src(state: dict[str, object]) -> tuple[object, object]:
    return state["src_tree"], state["src_changed"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small data, short runs (< 2 min)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--keep", action="store_true", help="keep the scratch files")
    parser.add_argument(
        "--only", default="",
        help="comma-separated scenarios to run (lookup,set_card,points,profile_page,batch,scale);"
             " the baseline always runs, and BENCHMARKS.md is left as it is",
    )
    opts = parser.parse_args(argv)
    scale = "quick" if opts.quick else "full"
    started = time.time()
    code_before = code_state()
    runs: list[dict] = []
    skipped: list[str] = []
    if opts.db in ("sqlite", "both"):
        workdir = Path(tempfile.mkdtemp(prefix="rh-bench-sqlite-"))
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        try:
            runs.append(run_one("sqlite", url, scale, workdir, opts.only))
        finally:
            if not opts.keep:
                shutil.rmtree(workdir, ignore_errors=True)
    if opts.db in ("postgres", "both"):
        base = os.environ.get(PG_ENV, "")
        if not base:
            message = f"PostgreSQL skipped: set {PG_ENV} (e.g. postgres://postgres@127.0.0.1/postgres)"
            print(message, flush=True)
            skipped.append(message)
        else:
            workdir = Path(tempfile.mkdtemp(prefix="rh-bench-pg-"))
            with scratch_database(base) as url:
                try:
                    runs.append(run_one("postgres", url, scale, workdir, opts.only))
                finally:
                    if not opts.keep:
                        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "mode": scale,
        "elapsed_s": round(time.time() - started, 1),
        "machine": report.machine(),
        "code": code_before,
        # Commits elsewhere (docs, tests) do not matter; a change under src/ does.
        "code_changed_during_run": _src(code_state()) != _src(code_before),
        "runs": runs,
        "skipped": skipped,
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started))
    (RESULTS / f"{stamp}.json").write_text(json.dumps(result, indent=2))
    if not opts.only:
        report.write_markdown(result, ROOT / "BENCHMARKS.md")
    print(report.summary(result), flush=True)
    # Missed targets are results, reported in the tables; a broken ledger
    # invariant is a failure of the hub, and the run says so with its status.
    broken = [run["db"] for run in runs for row in run["rows"] if row.get("invariant_violations")]
    if broken:
        print(f"FAIL: ledger invariant violated on {', '.join(broken)}", flush=True)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
