"""One database's run: `python -m bench.run --db sqlite|postgres --url ... --out file.json`.

A process of its own per database, because Django reads DATABASE_URL once.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

SCALES = {
    # small/large: scenario 5; main: scenario 1's profiles.
    "quick": {"small": 5_000, "main": 20_000, "large": 50_000, "seconds": 3,
              "cards": 5_000, "ledger": 5_000, "batch_rows": 1000, "raw": 10_000,
              "batch_seconds": 6,
              "reuse_server": 1},
    "full": {"small": 10_000, "main": 100_000, "large": 1_000_000, "seconds": 10,
             "cards": 20_000, "ledger": 5_000, "batch_rows": 1000, "raw": 100_000,
             "batch_seconds": 20},
}
HOT = 10
SCENARIOS = ("lookup", "set_card", "points", "profile_page", "batch", "appointments", "scale")
CONNECTIONS = 16


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", default="")
    opts = parser.parse_args()
    workdir = Path(opts.workdir)
    env = {
        "DATABASE_URL": opts.url,
        "DJANGO_SETTINGS_MODULE": "rewardshub.settings",
        "REWARDSHUB_VAR_DIR": str(workdir),
        "REWARDSHUB_DEBUG": "false",
        "REWARDSHUB_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    import django

    django.setup()
    only = {name.strip() for name in opts.only.split(",") if name.strip()}
    result = Runner(opts.db, SCALES[opts.scale], workdir, env, only).run()
    Path(opts.out).write_text(json.dumps(result, indent=2))


class Runner:
    def __init__(self, db: str, scale: dict[str, int], workdir: Path, env: dict[str, str],
                 only: set[str] | None = None):
        unknown = (only or set()) - set(SCENARIOS)
        if unknown:
            raise SystemExit(f"unknown scenario(s) {sorted(unknown)}; choose from {SCENARIOS}")
        self.only = only or set(SCENARIOS)
        self.db = db
        self.scale = scale
        self.workdir = workdir
        self.env = env
        self.seconds = scale["seconds"]
        self.rows: list[dict[str, Any]] = []
        self.info: dict[str, Any] = {"db": db, "scale": scale}
        self.shared: Any = None

    # -- helpers -------------------------------------------------------------

    def _serve(self, app: str) -> Any:
        """A fresh server per scenario, so its peak memory is that scenario's. Quick
        mode keeps one hub server for the whole run (starting one takes seconds on a
        busy machine); its peak memory is then the peak so far."""
        from contextlib import nullcontext

        from bench.server import Server

        if app == "hub" and self.scale.get("reuse_server"):
            if self.shared is None:
                self.shared = Server(app, self.env, self.workdir / f"{app}.log")
            return nullcontext(self.shared)
        return Server(app, self.env, self.workdir / f"{app}.log")

    def _wrk(self, server: Any, path: str = "/", **kwargs: Any) -> dict[str, Any]:
        from bench import wrkout

        kwargs.setdefault("seconds", self.seconds)
        kwargs.setdefault("connections", CONNECTIONS)
        result, text = wrkout.run(server.url + path, **kwargs)
        (self.workdir / "wrk.log").open("a").write(text + "\n")
        out = result.as_dict()
        out["peak_rss_mb"] = server.peak_rss_mb()
        # Other work on the machine skews every figure; the 1-minute load says how much.
        out["load"] = round(os.getloadavg()[0], 1)
        return out

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.hub.token}"}

    def _row(self, scenario: str, measured: dict[str, Any], **extra: Any) -> None:
        row = {"scenario": scenario, **measured, **extra}
        self.rows.append(row)
        log(f"{scenario}: {json.dumps(row)}")

    # -- the run -------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        try:
            return self._run()
        finally:
            if self.shared is not None:
                self.shared.stop()

    def _run(self) -> dict[str, Any]:
        from django.core.management import call_command
        from django.db import connection

        from bench import data

        log(f"{self.db}: migrating")
        call_command("migrate", verbosity=0)
        self.info["db_version"] = self._db_version(connection)
        from rewardshub.serve import default_threads

        self.info["threads"] = default_threads()
        self.hub = data.setup_hub()
        self.hot_ids = data.add_hot_profiles(self.hub, HOT)
        self.cards_file = self.workdir / "cards.txt"
        data.add_available_cards(self.hub, self.scale["cards"], self.cards_file)
        self.ledger_profile = data.add_ledger_profile(self.hub, self.scale["ledger"])
        data.analyze()
        gen = {"small": data.add_linked_profiles(self.hub, self.scale["small"])}
        log(f"{self.db}: {self.scale['small']} linked profiles in {gen['small']:.1f} s")

        waited = data.settle()
        log(f"{self.db}: the database settled in {waited:.1f} s")
        with self._serve("bare") as bare:
            self.bare = self._wrk(bare, "/api/v1/pms/orthotrac/patients/CH0000001")
        if self.bare["non_2xx"]:
            # Every ratio divides by it: a baseline that answered errors makes them all wrong.
            raise RuntimeError(f"the bare baseline answered {self.bare['non_2xx']} errors")
        self._row("baseline: bare Django view", self.bare)

        self.small_url = self._snapshot_small()
        gen["main"] = data.add_linked_profiles(self.hub, self.scale["main"])
        log(f"{self.db}: {self.scale['main']} linked profiles in {gen['main']:.1f} s")
        data.settle()
        for name in SCENARIOS[:-1]:
            if name in self.only:
                getattr(self, f"scenario_{name}")()
        if "scale" in self.only:
            gen["large"] = data.add_linked_profiles(self.hub, self.scale["large"])
            log(f"{self.db}: {self.scale['large']} linked profiles in {gen['large']:.1f} s")
            data.settle()
            self.scenario_scale()
        self.info["generation_seconds"] = {k: round(v, 1) for k, v in gen.items()}
        return {**self.info, "rows": self.rows}

    def _db_version(self, connection: Any) -> str:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("select sqlite_version()")
                return "SQLite " + cursor.fetchone()[0]
            cursor.execute("show server_version")
            return "PostgreSQL " + cursor.fetchone()[0]

    def _lookup(self, count: int) -> dict[str, Any]:
        with self._serve("hub") as hub:
            return self._wrk(hub, "/", script="lookup.lua", script_args=[str(count), "CH"],
                             headers=self._auth())

    def scenario_lookup(self) -> None:
        m = self._lookup(self.scale["main"])
        ratio = m["rps"] / self.bare["rps"]
        ok = ratio >= 0.35 and m["p99_ms"] <= 25 and m["non_2xx"] == 0
        self._row(f"1. lookup ({self.scale['main']:,} linked profiles)", m,
                  baseline="bare", ratio=round(ratio, 3),
                  target="≥ 0.35 × bare, p99 ≤ 25 ms", passed=ok)

    def scenario_set_card(self) -> None:
        with self._serve("hub") as hub:
            m = self._wrk(hub, "/", script="setcard.lua",
                          script_args=[str(self.cards_file), "2", f"NEW{int(time.time())}"],
                          headers=self._auth())
        ratio = m["rps"] / self.bare["rps"]
        ok = ratio >= 0.20 and m["p99_ms"] <= 50 and m["non_2xx"] == 0
        if m["requests"] > self.scale["cards"]:
            ok = False  # ran out of new cards: later answers were conflicts
        self._row("2. set card (new chart, new card)", m, baseline="bare",
                  ratio=round(ratio, 3), target="≥ 0.20 × bare, p99 ≤ 50 ms", passed=ok)

    def scenario_points(self) -> None:
        from django.db import connection

        from bench.invariant import check_database
        from rewardshub.errors import ActionError
        from rewardshub.patients.models import Profile
        from rewardshub.points.orders import order_prize

        redeemed = {"ok": 0, "refused": 0}
        stop = threading.Event()

        def redeemer() -> None:
            # Redeems have no API call (prizes are ordered in the hub or the
            # portal), so they run through the same action, beside the awards.
            rng = random.Random(5)
            try:
                while not stop.is_set():
                    profile = Profile.objects.get(pk=rng.choice(self.hot_ids))
                    try:
                        order_prize(practice=self.hub.practice, profile=profile,
                                    prize=self.hub.prize, actor=self._actor())
                        redeemed["ok"] += 1
                    except ActionError:
                        redeemed["refused"] += 1
            finally:
                connection.close()

        with self._serve("hub") as hub:
            thread = threading.Thread(target=redeemer)
            thread.start()
            try:
                m = self._wrk(hub, "/", script="points.lua", script_args=[str(HOT), "HOT-"],
                              headers=self._auth())
            finally:
                stop.set()
                thread.join()
        found = check_database()
        ops = m["requests"] + redeemed["ok"] + redeemed["refused"]
        m["ops_per_s"] = round(ops / m["seconds"], 1)
        ok = not found and m["non_2xx"] == 0 and (self.db != "postgres" or m["ops_per_s"] >= 800)
        self._row(f"4. points under contention ({HOT} hot profiles)", m,
                  redeems=redeemed, invariant_violations=len(found),
                  violations=[v.__dict__ for v in found[:10]],
                  target="≥ 800 ops/s on PostgreSQL; balance == ledger sum",
                  passed=ok)

    def _actor(self) -> Any:
        from bench.data import ACTOR

        return ACTOR

    def scenario_profile_page(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from bench.data import STAFF_USER

        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(get_user_model().objects.get(username=STAFF_USER))
        path = f"/patients/{self.ledger_profile.public_id}/"
        client.get(path)  # first request: session practice choice, caches
        # Counted as the production server runs it: the request seals the
        # audit chain right after its commit, so those statements count too.
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        queries = len(captured.captured_queries)
        (self.workdir / "profile-queries.sql").write_text(
            "\n".join(q["sql"] for q in captured.captured_queries)
        )
        cookie = client.cookies["sessionid"].value
        with self._serve("hub") as hub:
            m = self._wrk(hub, path, headers={"Cookie": f"sessionid={cookie}"})
        m["queries"] = queries
        m["status"] = response.status_code
        ok = response.status_code == 200 and queries <= 20 and m["p50_ms"] <= 30
        ok = ok and m["non_2xx"] == 0
        self._row(f"6. profile page ({self.scale['ledger']:,} ledger entries)", m,
                  baseline="bare", ratio=round(m["rps"] / self.bare["rps"], 3),
                  target="≤ 20 queries, p50 ≤ 30 ms", passed=ok)

    def scenario_batch(self) -> None:
        from bench import data

        rows = self.scale["batch_rows"]
        with self._serve("hub") as hub:
            m = self._wrk(hub, "/", script="batch.lua", connections=4,
                          seconds=self.scale["batch_seconds"],
                          script_args=[str(rows), f"B{int(time.time())}"],
                          headers=self._auth(), timeout_s=60)
        if self.shared is not None:
            # wrk stops with 1,000-chart calls still running; a graceful stop
            # lets them finish so they do not overlap the raw insert or 5b.
            self.shared.stop()
            self.shared = None
        charts = (m["requests"] - m["non_2xx"]) * rows
        m["charts"] = charts
        m["charts_per_s"] = round(charts / m["seconds"], 1)
        raw = data.raw_insert(self.hub, self.scale["raw"])
        ratio = m["charts_per_s"] / raw
        ok = m["charts_per_s"] >= 5000 and ratio >= 0.25 and m["non_2xx"] == 0
        self._row(f"3. onboarding batch ({rows} charts a call, 4 connections)", m,
                  baseline="raw insert", baseline_charts_per_s=round(raw, 1),
                  ratio=round(ratio, 3),
                  target="≥ 5,000 charts/s, ≥ 0.25 × raw insert", passed=ok)

    def scenario_appointments(self) -> None:
        from bench import appointments

        appointments.run(self)

    def _snapshot_small(self) -> str:
        """A copy of the database at the small profile count, so scenario 5 can
        alternate runs against both sizes and load drift hits both alike."""
        from django.db import connection

        if connection.vendor == "sqlite":
            import sqlite3

            path = self.workdir / "small.sqlite3"
            connection.ensure_connection()
            with sqlite3.connect(path) as target:
                connection.connection.backup(target)
            target.close()
            return f"sqlite:///{path}"
        import psycopg

        from bench.pg import SCRATCH_SMALL, with_database

        source = connection.settings_dict["NAME"]
        connection.close()  # CREATE DATABASE ... TEMPLATE needs the source unused
        url = self.env["DATABASE_URL"]
        with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {SCRATCH_SMALL} TEMPLATE {source}")
        return with_database(url, SCRATCH_SMALL)

    def scenario_scale(self) -> None:
        from bench.server import Server

        if self.shared is not None:
            self.shared.stop()
            self.shared = None
        rounds = 3
        seconds = max(2, self.seconds * 2 // 3)
        runs: dict[str, list[dict[str, Any]]] = {"small": [], "large": []}
        small_env = {**self.env, "DATABASE_URL": self.small_url}
        with Server("hub", small_env, self.workdir / "hub-small.log") as small_hub, \
                self._serve("hub") as large_hub:
            for _ in range(rounds):
                for size, server in (("small", small_hub), ("large", large_hub)):
                    runs[size].append(self._wrk(
                        server, "/", script="lookup.lua", seconds=seconds,
                        script_args=[str(self.scale[size]), "CH"], headers=self._auth()))
        small, large = (self._combine(runs[size]) for size in ("small", "large"))
        ratio = large["p50_ms"] / small["p50_ms"]
        ok = ratio <= 1.3 and large["non_2xx"] == 0 and small["non_2xx"] == 0
        self._row(f"5a. scale: lookup at {self.scale['small']:,} profiles", small,
                  note=f"{rounds} runs of {seconds} s alternating with 5b; median p50")
        self._row(f"5b. scale: lookup at {self.scale['large']:,} profiles", large,
                  baseline="5a p50", ratio=round(ratio, 3),
                  target="p50 ≤ 1.3 × p50 at small", passed=ok)


    @staticmethod
    def _combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
        """Alternated runs as one: summed requests, the median p50 and p99, the
        highest memory and load."""
        import statistics

        return {
            "requests": sum(r["requests"] for r in runs),
            "seconds": round(sum(r["seconds"] for r in runs), 2),
            "rps": round(sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs), 2),
            "p50_ms": statistics.median(r["p50_ms"] for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in runs),
            "p50_runs_ms": [r["p50_ms"] for r in runs],
            "non_2xx": sum(r["non_2xx"] for r in runs),
            "socket_errors": sum(r["socket_errors"] for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "load": max(r["load"] for r in runs),
        }


if __name__ == "__main__":
    main()
