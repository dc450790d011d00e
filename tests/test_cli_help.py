"""`rewardshub --help` offers the hub's own commands first and never Django's destructive ones."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rewardshub.__main__ import COMMANDS, REFUSED

# The README's table of commands, in its order.
README_COMMANDS = [
    "serve",
    "migrate",
    "demo",
    "cards",
    "backup",
    "restore",
    "files",
    "housekeeping",
    "automations",
    "audit",
    "worker",
]


def rewardshub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rewardshub", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("word", ["--help", "-h", "help"])
def test_help_lists_the_hubs_commands_first_with_a_line_each(word: str) -> None:
    result = rewardshub(word)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("RewardsHub commands:") + 1
    listed = lines[start : start + len(README_COMMANDS)]
    assert [line.split()[0] for line in listed] == README_COMMANDS
    assert all(len(line.split()) > 3 for line in listed)  # each has its description
    # Nothing of Django's comes before the hub's own commands.
    assert "createsuperuser" not in "\n".join(lines[:start])
    assert "createsuperuser" in result.stdout  # still there for administrators, after ours
    for refused in ("flush", "sqlflush", "sqlsequencereset", "runserver", "loaddata", "dumpdata"):
        assert refused not in result.stdout.replace(",", " ").split()


def test_readme_table_and_help_name_the_same_commands() -> None:
    assert [name for name, _ in COMMANDS] == README_COMMANDS
    with open("README.md", encoding="utf-8") as readme:
        text = readme.read()
    for name in README_COMMANDS:
        assert f"| `rewardshub {name}" in text


@pytest.mark.parametrize("args", [["flush"], ["sqlflush"], ["help", "flush"], ["runserver"]])
def test_destructive_django_commands_are_refused_with_a_clear_message(args: list[str]) -> None:
    result = rewardshub(*args)
    assert result.returncode == 2
    assert f"`{args[-1] if args[0] == 'help' else args[0]}` is not one of the hub's commands" in (
        result.stderr
    )
    assert "rewardshub --help" in result.stderr
    assert result.stdout == ""


def test_every_refused_command_exists_in_django_so_the_refusal_is_real() -> None:
    from django.core.management import get_commands

    assert set(REFUSED) <= set(get_commands())
