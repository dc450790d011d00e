"""deploy/systemd: the units parse, systemd accepts them, and every cron line in the
docs has a timer that runs the same command at the same time."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
DOCS = (ROOT / "docs" / "operations.md", ROOT / "docs" / "deploy.md")
INSTALLED = "/srv/rewardshub/.venv/bin/rewardshub"
# A cron line inside a code block: five time fields, then the command (a comment may follow).
CRON = re.compile(r"^(?P<time>(?:\S+\s+){4}\S+)\s+(?P<command>rewardshub\s.*?)(?:\s+#.*)?$")
WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]


def parse(path: Path) -> configparser.ConfigParser:
    # systemd keys are case-sensitive and may repeat nothing we use; no interpolation.
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def cron_lines() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        inside = False
        for line in doc.read_text().splitlines():
            if line.startswith("```"):
                inside = not inside
                continue
            match = CRON.match(line.strip()) if inside else None
            if match:
                command = match.group("command").replace("\\%", "%").strip()
                found.append((match.group("time"), command))
    return found


def unit_command(exec_start: str) -> str:
    """ExecStart= as the command a cron line would hold."""
    command = exec_start.replace("%%", "%").replace("$$", "$")
    shell = re.fullmatch(r"/bin/sh -c '(?:exec )?(.*)'", command)
    if shell:
        command = shell.group(1)
    return command.replace(INSTALLED, "rewardshub")


def on_calendar(cron_time: str) -> str:
    """The OnCalendar= of a cron schedule of the forms the docs use."""
    minute, hour, day, month, weekday = cron_time.split()
    assert (day, month) == ("*", "*"), f"no day-of-month schedules expected: {cron_time}"
    hour_part = "*" if hour == "*" else f"{int(hour):02d}"
    when = f"*-*-* {hour_part}:{int(minute):02d}:00"
    return when if weekday == "*" else f"{WEEKDAYS[int(weekday)]} {when}"


def timers() -> dict[str, tuple[str, str]]:
    """Each timer's service command and OnCalendar=."""
    found = {}
    for timer in sorted(UNITS.glob("*.timer")):
        service = parse(timer.with_suffix(".service"))
        found[timer.stem] = (
            unit_command(service["Service"]["ExecStart"]),
            parse(timer)["Timer"]["OnCalendar"],
        )
    return found


def test_it_parses_every_unit_with_the_sections_systemd_needs() -> None:
    units = sorted(UNITS.glob("*.service")) + sorted(UNITS.glob("*.timer"))
    assert {u.name for u in units} >= {"rewardshub.service", "rewardshub-worker.service"}
    for unit in units:
        parsed = parse(unit)
        assert "Unit" in parsed and parsed["Unit"]["Description"], unit.name
        if unit.suffix == ".timer":
            assert unit.with_suffix(".service").exists(), f"{unit.name} starts no service"
            assert parsed["Timer"]["Persistent"] == "true"
        else:
            service = parsed["Service"]
            assert service["User"] == "rewardshub", unit.name
            assert service["EnvironmentFile"] == "/etc/rewardshub/rewardshub.env", unit.name
            assert service["ExecStart"].replace("'exec ", "").split()[0] in (INSTALLED, "/bin/sh")


def test_the_server_unit_stops_gracefully_within_systemds_wait() -> None:
    service = parse(UNITS / "rewardshub.service")["Service"]
    assert service["ExecStart"] == f"{INSTALLED} serve --host 127.0.0.1 --port 8000"
    # SIGTERM to gunicorn's master alone, which finishes the requests in flight
    # (30 s by default); systemd must wait longer than that before SIGKILL.
    assert service["KillMode"] == "mixed" and service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) > 30
    assert service["Type"] == "notify"
    worker = parse(UNITS / "rewardshub-worker.service")["Service"]
    assert worker["ExecStart"] == f"{INSTALLED} worker" and worker["Restart"] == "always"


def test_every_cron_line_in_the_docs_has_a_timer_with_the_same_command_and_time() -> None:
    lines = cron_lines()
    commands = {command for _, command in lines}
    # What the docs schedule today; a new cron line needs a timer too.
    assert {"rewardshub housekeeping", "rewardshub automations run", "rewardshub audit verify"} <= (
        commands
    )
    by_command = {command: when for command, when in timers().values()}
    for cron_time, command in lines:
        assert command in by_command, f"no timer in deploy/systemd runs `{command}`"
        assert by_command[command] == on_calendar(cron_time), command
    assert set(by_command) <= commands, "a timer runs a command no cron line in the docs names"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is missing")
def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at a stand-in.
    stand_in = tmp_path / "rewardshub"
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, str(stand_in)))
    names = [str(tmp_path / unit.name) for unit in sorted(UNITS.iterdir())]
    result = subprocess.run(
        ["systemd-analyze", "verify", *names], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
