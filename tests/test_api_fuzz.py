"""Fuzzing the integration API against its own OpenAPI document (schemathesis).

Over real HTTP (the live server) with a practice's real key and data: synced
charts with cards and points, a reward menu, and another practice's chart, so
generated calls reach real rows. Every generated call must answer without a
5xx, with a status and a body the document declares, and every error must be
JSON with a string `error` and `message`. Both kinds of case run: positive
(what the document allows) and negative (what it forbids, which must be
refused with a 4xx). A few calls go with a wrong key on purpose.

`REWARDSHUB_FUZZ_SCALE=5` runs five times as many cases (for a deeper look
before a release); the count is printed at the end of the pytest run, and
with `REWARDSHUB_FUZZ_DETAIL=1 pytest -s` the answers per operation and the
time each took.
"""

from __future__ import annotations

import logging
import os
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from tests.fuzz.aim import World, aim
from tests.fuzz.answers import refusal
from tests.integrations.conftest import Api, make_key

from rewardshub.points.models import RewardCategory, RewardItem
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MIN_CASES = 1000
SCALE = int(os.environ.get("REWARDSHUB_FUZZ_SCALE", "1"))
POSITIVE_PER_OPERATION = 100 * SCALE
NEGATIVE_PER_OPERATION = 80 * SCALE
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
BAD_KEY = "rh_00000000_not-a-key"


def _setup(acworth: Practice, riverside: Practice, issue: Callable[..., list[str]]) -> World:
    token = make_key(acworth)[1]
    api = Api(client=Client(), token=token)
    cards = issue(acworth, 24)
    charts = [f"OT-{1001 + i}" for i in range(4)]
    for chart, card in zip(charts, cards, strict=False):
        response = api.set_card(chart, card, first_name="Emma", last_name=chart)
        assert response.status_code == 200, response.json()
    visit = RewardCategory.objects.create(practice=acworth, name="At the visit")
    items = [
        RewardItem.objects.create(practice=acworth, category=visit, name=name, points=points)
        for name, points in (("On time", 3), ("Wearing elastics", 5))
    ]
    for chart in charts[:2]:
        response = api.call("POST", api.path(chart, "/points"), {"items": ["On time"]})
        assert response.status_code == 200, response.json()
    # Another practice's chart and card: to the fuzzed key they must not exist.
    other = Api(client=Client(), token=make_key(riverside)[1])
    other_card = issue(riverside, 1)[0]
    response = other.set_card("RS-1", other_card, first_name="Ann", last_name="Lee")
    assert response.status_code == 200, response.json()
    return World(
        token=token,
        charts=[*charts, "RS-1"],
        # Used and unused cards, a swipe, a username, junk, another practice's card.
        card_inputs=[*cards, f";{cards[5]}=9912?", charts[0], other_card],
        items=[item.name for item in items] + [str(item.public_id) for item in items],
    )


def _error_code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "(not JSON)"
    found = refusal(body)
    return found[0] if found else ""


def _error_body(response: requests.Response) -> str | None:
    """Why an answer outside 2xx is not the documented error body, or None."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return f"the {response.status_code} answer is not JSON: {response.text[:200]!r}"
    if not isinstance(body, dict):
        return f"the {response.status_code} answer is not a JSON object: {body!r}"
    if refusal(body) is None:
        return (
            f"the {response.status_code} answer lacks a code and a sentence (error and "
            f"message, or an OperationOutcome's): {body!r}"
        )
    return None


def _row_level(case: Any, shell: jsonschema_rs.Validator) -> bool:
    """A patients batch case whose only invalid parts, if any, are rows of `patients`.

    The batch checks rows one by one, so a bad row gets its own error in a 200
    answer while the others still sync (its documented behaviour): such a case
    is checked row by row instead of expecting a 4xx. `shell` is the batch's
    schema with any row allowed: the body passes it when all else is valid
    (read off the body, not off schemathesis's list of mutations, which also
    names changes that leave the body valid, such as null made a string where
    a string is allowed too)."""
    if not case.operation.path.endswith("/patients:batch"):
        return False
    body = case.body
    return isinstance(body, dict) and isinstance(body.get("patients"), list) and shell.is_valid(
        body
    )


def _batch_row_problem(
    case: Any, response: requests.Response, rows: jsonschema_rs.Validator
) -> str | None:
    """Why a batch answer synced a row the document says is invalid, or None."""
    sent = case.body.get("patients") if isinstance(case.body, dict) else None
    if response.status_code != 200 or not isinstance(sent, list):
        return None
    results = response.json()["results"]
    for index, row in enumerate(sent):
        if not rows.is_valid(row) and results[index]["outcome"] != "error":
            return f"batch row {index} is not valid but was synced: {results[index]!r}"
    return None


@dataclass
class Fuzzer:
    base_url: str
    world: World
    rows: jsonschema_rs.Validator
    shell: jsonschema_rs.Validator
    # The aiming's own dice: hypothesis's draws (even st.randoms' seeds) lean to 0.
    rnd: random.Random = field(default_factory=random.Random)
    cases: int = 0
    unsendable: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    answers: Counter[tuple[str, str, int, str]] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def run(self, case: Any) -> None:
        rnd = self.rnd
        aim(case, self.world, rnd)
        wrong_key = rnd.random() < 0.06
        if wrong_key and rnd.random() < 0.5:
            case.headers.pop("Authorization", None)
        elif wrong_key:
            case.headers["Authorization"] = f"Bearer {BAD_KEY}"
        try:
            response = case.call(base_url=self.base_url)
        except (requests.exceptions.InvalidHeader, UnicodeEncodeError, ValueError):
            # requests itself refuses to send it (a header with a newline, say).
            self.unsendable += 1
            return
        except requests.exceptions.RequestException as exc:
            self.cases += 1
            self.failures.append(f"{case.operation.label}: no answer: {exc}")
            return
        self.cases += 1
        self.statuses[response.status_code] += 1
        code = _error_code(response)
        mode = case.meta.generation.mode.value if case.meta is not None else ""
        self.answers[(case.operation.label, mode, response.status_code, code)] += 1
        row_level = _row_level(case, self.shell)
        checks = [c for c in CHECKS if not (row_level and c is negative_data_rejection)]
        problems = []
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            problems.extend(str(failure) for failure in group.exceptions)
        except Failure as failure:
            problems.append(str(failure))
        for problem in (
            _error_body(response),
            _batch_row_problem(case, response, self.rows) if row_level else None,
            f"a missing or wrong key got {response.status_code}, not 401"
            if wrong_key and response.status_code != 401
            else None,
        ):
            if problem:
                problems.append(problem)
        if problems:
            self.failures.append(
                f"{case.operation.label} -> {response.status_code}\n"
                f"{case.as_curl_command()}\n" + "\n".join(problems)
            )

    def fuzz(self, operation: Any, mode: GenerationMode, count: int) -> None:
        # The key is given, so negative cases spend themselves on paths and bodies;
        # run() sends some without a key or with a wrong one.
        key = {"Authorization": f"Bearer {self.world.token}"}

        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            phases=[Phase.generate],  # failures are collected, not raised: nothing to shrink
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode, headers=key))
        def one(case: Any) -> None:
            self.run(case)

        one()


def _server_tracebacks(records: list[logging.LogRecord]) -> list[str]:
    found: dict[str, str] = {}
    for record in records:
        if record.exc_info:
            text = "".join(traceback.format_exception(*record.exc_info))
            found.setdefault(text.strip().splitlines()[-1], text[-3000:])
    return list(found.values())


def test_it_survives_generated_calls(
    live_server: Any,
    acworth: Practice,
    riverside: Practice,
    issue_cards: Callable[..., list[str]],
    caplog: pytest.LogCaptureFixture,
    record_property: Callable[[str, object], None],
) -> None:
    world = _setup(acworth, riverside, issue_cards)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    batch_schema = schema.raw_schema["components"]["schemas"]["BatchIn"]
    row_schema = batch_schema["properties"]["patients"]
    any_rows = {**row_schema, "items": {}}
    shell = {**batch_schema, "properties": {**batch_schema["properties"], "patients": any_rows}}
    fuzzer = Fuzzer(
        base_url=live_server.url,
        world=world,
        rows=jsonschema_rs.Draft202012Validator(row_schema["items"], validate_formats=True),
        shell=jsonschema_rs.Draft202012Validator(shell, validate_formats=True),
    )
    started = time.monotonic()

    for operation in operations:
        for mode, count in (
            (GenerationMode.POSITIVE, POSITIVE_PER_OPERATION),
            (GenerationMode.NEGATIVE, NEGATIVE_PER_OPERATION),
        ):
            began = time.monotonic()
            fuzzer.fuzz(operation, mode, count)
            fuzzer.seconds[f"{operation.label} {mode.value}"] = time.monotonic() - began

    statuses = ", ".join(f"{n} x {status}" for status, n in sorted(fuzzer.statuses.items()))
    summary = (
        f"schemathesis: {fuzzer.cases:,} cases over {len(operations)} operations, "
        f"{len(fuzzer.failures)} failures, {time.monotonic() - started:.0f} s ({statuses})"
    )
    if fuzzer.unsendable:
        summary += f"; {fuzzer.unsendable} generated calls requests could not send"
    record_property("summary", summary)
    if os.environ.get("REWARDSHUB_FUZZ_DETAIL"):
        for answer, count in sorted(fuzzer.answers.items()):
            print(count, *answer)
        for label, seconds in fuzzer.seconds.items():
            print(f"{seconds:5.1f} s {label}")
    report = "\n----\n".join(fuzzer.failures[:20] + _server_tracebacks(caplog.records))
    assert not fuzzer.failures, f"{summary}\n{report}"
    assert len(operations) >= 7
    assert fuzzer.cases >= MIN_CASES, summary
