"""How the input fuzzing counts its inputs: the `fuzz` fixture (tests/fuzz/conftest.py)
records them on the test report under PREFIX, and tests/conftest.py adds them up."""

from __future__ import annotations

from collections import Counter

PREFIX = "fuzz-inputs:"


class Fuzz:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def tried(self, target: str, n: int = 1) -> None:
        self.counts[target] += n
