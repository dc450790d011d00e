"""The published contract is the enforced one: `schemathesis run --checks all` with the
examples, coverage, fuzzing and stateful phases, against a live server with a real
key, finds nothing.

The CLI runs as the issue's probe ran it, over real HTTP against live_server, with
a practice's real data (tests/test_api_fuzz.py's world) and two things of ours
(tests/contract_hooks.py): calls are aimed at real charts and cards some of the
time, and a check that no schema-valid request is refused as `validation_error`
(the answer to data that breaks the document), except for the rules the document
states in words. 422 is an expected answer to valid data only for such business
rules (a card's check digit, a reward not on the menu): positive_data_acceptance
is told so in the config below. The stateful phase must follow the document's
links from set card to the calls that use the chart.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.test_api_fuzz import _setup

from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
MAX_EXAMPLES = 20 * int(os.environ.get("REWARDSHUB_FUZZ_SCALE", "1"))
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
"""


def test_schemathesis_with_every_check_and_phase_finds_nothing(
    live_server: Any,
    acworth: Practice,
    riverside: Practice,
    issue_cards: Callable[..., list[str]],
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    world = _setup(acworth, riverside, issue_cards)
    world.card_inputs += issue_cards(acworth, 40)  # unused cards, for new links
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.contract_hooks",
        "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path]),
        "REWARDSHUB_CONTRACT_WORLD": json.dumps(
            {"charts": world.charts, "card_inputs": world.card_inputs, "items": world.items}
        ),
    }
    started = time.monotonic()
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(config),
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--header",
            f"Authorization: Bearer {world.token}",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--workers",
            "1",
            "--no-color",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    output = run.stdout + run.stderr
    generated = re.search(r"(\d+) generated", output)
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", output)
    summary = (
        f"schemathesis run --checks all (examples, coverage, fuzzing, stateful): "
        f"{generated.group(1) if generated else '?'} cases, "
        f"{links.group(1) if links else '?'} of {links.group(2) if links else '?'} links "
        f"followed, exit {run.returncode}, {time.monotonic() - started:.0f} s"
    )
    record_property("summary", summary)
    assert run.returncode == 0, f"{summary}\n{output[-6000:]}"
    assert generated and int(generated.group(1)) >= 300, summary
    # Links from set card (to status, update, launch, points) were followed.
    assert links and int(links.group(1)) >= 1, f"{summary}\n{output[-3000:]}"
