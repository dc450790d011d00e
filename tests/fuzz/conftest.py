"""Input fuzzing: counts the inputs each target was tried with.

Each fuzz test takes the `fuzz` fixture and calls `fuzz.tried(target)` once per
input. The counts travel on the test reports (user properties), so they add
up the same with or without pytest-xdist; tests/conftest.py adds them up and
prints a line such as "input fuzz: card parser 2,000, names 300, ..." (its
hooks run in the pytest-xdist controller, which never loads this file).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.fuzz.counts import PREFIX, Fuzz


@pytest.fixture
def fuzz(record_property: Any) -> Iterator[Fuzz]:
    counter = Fuzz()
    yield counter
    for target, n in counter.counts.items():
        record_property(PREFIX + target, n)
