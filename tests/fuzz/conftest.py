"""Input fuzzing: counts the inputs each target was tried with and prints them after the run.

Each fuzz test takes the `fuzz` fixture and calls `fuzz.tried(target)` once per
input. The counts travel on the test reports (user properties), so they add
up the same with or without pytest-xdist, and the terminal summary prints a
line such as "input fuzz: card parser 2,000 inputs, names 300, ...".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

PREFIX = "fuzz-inputs:"
_totals: Counter[str] = Counter()


class Fuzz:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def tried(self, target: str, n: int = 1) -> None:
        self.counts[target] += n


@pytest.fixture
def fuzz(record_property: Any) -> Iterator[Fuzz]:
    counter = Fuzz()
    yield counter
    for target, n in counter.counts.items():
        record_property(PREFIX + target, n)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # The teardown report is made after the fixture above has recorded its counts.
    if report.when != "teardown":
        return
    for name, value in report.user_properties:
        if isinstance(name, str) and name.startswith(PREFIX):
            _totals[name[len(PREFIX) :]] += int(value)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _totals:
        return
    parts = [f"{target} {n:,}" for target, n in sorted(_totals.items())]
    total = sum(_totals.values())
    terminalreporter.write_line(f"input fuzz: {', '.join(parts)} (in all {total:,} inputs)")
