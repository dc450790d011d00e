"""Schemathesis hooks for tests/test_api_contract.py (loaded by the CLI through
SCHEMATHESIS_HOOKS): aim generated calls at real rows, and one check of ours.

The world (charts, cards, menu items) comes in REWARDSHUB_CONTRACT_WORLD as JSON.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import jsonschema_rs
import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from tests.fuzz.aim import World, aim
from tests.fuzz.answers import refusal

_world = World(token="", **json.loads(os.environ.get("REWARDSHUB_CONTRACT_WORLD", "{}") or "{}"))
_rnd = random.Random(os.environ.get("REWARDSHUB_CONTRACT_SEED", "0"))

# The rules the document states in words, as no JSON Schema can: a positive
# case may be refused for these (422 validation_error), and for nothing else.
WORDED_RULES = (
    "birth_date is in the future.",
    "first_name and last_name are required to create a new hub patient",
    # A time whose UTC offset moves it out of the years 1 to 9999.
    "is outside the years 1 to 9999 once moved to its UTC offset",
    # The FHIR door: a Bundle is checked against FHIR R4, which its schema states
    # in words (an entry's resource, and no element FHIR does not define).
    "Bundle.entry[",
    "is not an element of this FHIR resource",
)


def _stateful(case: Any) -> bool:
    return case.meta is not None and case.meta.phase.name.value == "stateful"


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    if _world.charts and not _stateful(case):
        aim(case, _world, _rnd)
    elif isinstance(case.body, dict) and "card" in case.body and _rnd.random() < 0.8:
        # Links are followed from set card with its system and chart: give it
        # the key's system and a real card, so that there is a link to follow.
        if case.path_parameters and "system" in case.path_parameters:
            case.path_parameters["system"] = "orthotrac"
        case.body["card"] = _rnd.choice(_world.card_inputs)
        case.body.pop("email", None)
        case.body.pop("birth_date", None)
        case.body["first_name"] = case.body.get("first_name") or "Emma"
        case.body["last_name"] = case.body.get("last_name") or "Johnson"


@schemathesis.check
def valid_data_is_not_refused_as_invalid(ctx: Any, response: Any, case: Any) -> bool | None:
    """What the document allows is never refused as `validation_error` (the answer
    to data that breaks the document), except for the rules it states in words."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code != 422:
        return None
    found = refusal(response.json())
    if found is None or found[0] != "validation_error":
        return None
    if any(rule in found[1] for rule in WORDED_RULES):
        return None
    raise AssertionError(f"Schema-valid data refused as invalid: {found[1]}")


def _batch_rows_refused(case: Any, response: Any) -> bool:
    """A batch valid but for some rows, answered 200 with an error on each invalid
    row: its documented behaviour (the other rows still sync)."""
    if not case.operation.path.endswith(":batch") or response.status_code != 200:
        return False
    schema = case.operation.schema.raw_schema["components"]["schemas"]["BatchIn"]
    rows = jsonschema_rs.Draft202012Validator(
        schema["properties"]["patients"]["items"], validate_formats=True
    )
    any_rows = {
        **schema,
        "properties": {
            **schema["properties"],
            "patients": {**schema["properties"]["patients"], "items": {"type": "object"}},
        },
    }
    if not jsonschema_rs.Draft202012Validator(any_rows).is_valid(case.body):
        return False
    results = response.json()["results"]
    return all(
        rows.is_valid(row) or results[index]["outcome"] == "error"
        for index, row in enumerate(case.body["patients"])
    )


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    accepted_invalid = isinstance(failure, AcceptedNegativeData)
    return not (accepted_invalid and _batch_rows_refused(case, response))
