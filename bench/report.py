"""The results as tables: BENCHMARKS.md (between markers) and a console summary."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path
from typing import Any

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"

INTRO = f"""# Benchmarks

How fast the hub answers, each figure next to a baseline measured in the same
run (see "How to reproduce"). Absolute numbers drift on a shared machine;
the ratios are what the targets are about.

{START}
{END}
"""


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _throughput(row: dict[str, Any]) -> str:
    if "charts_per_s" in row:
        return f"{_fmt(row['charts_per_s'], 0)} charts/s"
    if "events_per_s" in row:
        return f"{_fmt(row['events_per_s'], 0)} events/s"
    if "ops_per_s" in row:
        return f"{_fmt(row['ops_per_s'], 0)} ops/s"
    return f"{_fmt(row['rps'], 0)} req/s"


def _verdict(row: dict[str, Any]) -> str:
    if "passed" not in row:
        return "–"
    return "**PASS**" if row["passed"] else "**FAIL**"


def _ratio(row: dict[str, Any]) -> str:
    if "ratio" not in row:
        return "–"
    base = row.get("baseline", "")
    extra = ""
    if "baseline_charts_per_s" in row:
        extra = f" ({_fmt(row['baseline_charts_per_s'], 0)} charts/s)"
    if "baseline_events_per_s" in row:
        extra = f" ({_fmt(row['baseline_events_per_s'], 0)} events/s)"
    return f"{row['ratio']:.2f} × {base}{extra}"


def _notes(row: dict[str, Any]) -> str:
    notes = []
    if "note" in row:
        notes.append(row["note"])
    if "queries" in row:
        notes.append(f"{row['queries']} queries")
    if "redeems" in row:
        r = row["redeems"]
        notes.append(f"{r['ok']} redeems ({r['refused']} refused: not enough points)")
        notes.append(f"invariant violations: {row['invariant_violations']}")
    if "charts" in row:
        notes.append(f"{row['charts']:,} charts")
    if "events" in row:
        notes.append(f"{row['events']:,} events")
    if "invariant_violations" in row and "redeems" not in row:
        notes.append(f"invariant violations: {row['invariant_violations']}")
    if "load" in row:
        notes.append(f"load {row['load']}")
    if row.get("non_2xx"):
        notes.append(f"{row['non_2xx']} non-2xx")
    if row.get("socket_errors"):
        notes.append(f"{row['socket_errors']} socket errors")
    return "; ".join(notes) or "–"


def table(run: dict[str, Any]) -> str:
    lines = [
        "| scenario | throughput | p50 | p99 | peak RSS / process | ratio | target | result "
        "| notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in sorted(run["rows"], key=lambda r: _order(r["scenario"])):
        lines.append(
            f"| {row['scenario']} | {_throughput(row)} | {_fmt(row['p50_ms'], 2)} ms "
            f"| {_fmt(row['p99_ms'], 2)} ms | {_fmt(row['peak_rss_mb'])} MB | {_ratio(row)} "
            f"| {row.get('target', 'baseline')} | {_verdict(row)} | {_notes(row)} |"
        )
    return "\n".join(lines)


def _order(name: str) -> tuple[int, str]:
    match = re.match(r"(\d+)", name)
    return (int(match.group(1)) if match else 0, name)


def results_section(result: dict[str, Any]) -> str:
    m = result["machine"]
    out = [
        f"Last run: {result['started']}, {result['mode']} mode "
        f"(`make bench{' QUICK=1' if result['mode'] == 'quick' else ''}`), "
        f"{result['elapsed_s']:.0f} s in all.",
        "",
        f"Machine: {m['cores']} cores, {m['cpu']}; Python {m['python']}; {m['os']}.",
        "",
    ]
    code = result.get("code")
    if code:
        dirty = " with uncommitted changes under src/" if code["src_changed"] else ""
        out += [f"Code: `{code['commit']}`{dirty}.", ""]
    if result.get("code_changed_during_run"):
        out += ["**The checkout changed during the run: rows may mix two versions.**", ""]
    for run in result["runs"]:
        gen = run.get("generation_seconds", {})
        scale = run["scale"]
        out += [
            f"### {run['db_version']}",
            "",
            f"Data: {scale['main']:,} linked profiles for scenario 1, {scale['small']:,} and "
            f"{scale['large']:,} for scenario 5, generated through bulk paths in "
            f"{gen.get('small', 0) + gen.get('main', 0) + gen.get('large', 0):.0f} s; "
            f"wrk runs of {scale['seconds']} s, 16 connections unless said; gunicorn 2 workers "
            f"× {run.get('threads', 4)} thread(s) for the hub and the baseline "
            "(`rewardshub serve`'s default for this database).",
            "",
            table(run),
            "",
        ]
    for message in result.get("skipped", []):
        out += [f"**{message}**", ""]
    return "\n".join(out).rstrip() + "\n"


def write_markdown(result: dict[str, Any], path: Path) -> None:
    text = path.read_text() if path.exists() else INTRO
    if START not in text or END not in text:
        text = text.rstrip() + "\n\n" + START + "\n" + END + "\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + START + "\n" + results_section(result) + END + tail)


def summary(result: dict[str, Any]) -> str:
    lines = []
    for run in result["runs"]:
        lines.append(run["db_version"])
        for row in sorted(run["rows"], key=lambda r: _order(r["scenario"])):
            lines.append(
                f"  {row['scenario']:<48} {_throughput(row):>16}  p50 {row['p50_ms']:.2f} ms  "
                f"p99 {row['p99_ms']:.2f} ms  {_ratio(row):<24} {_verdict(row)}"
            )
    lines += result.get("skipped", [])
    return "\n".join(lines)
