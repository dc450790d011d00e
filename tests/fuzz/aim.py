"""Aiming generated API calls at real rows (charts, cards, menu items), shared by the
fuzz test (tests/test_api_fuzz.py) and the schemathesis CLI's hooks
(tests/contract_hooks.py). No Django here: the CLI loads it in its own process."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation


@dataclass
class World:
    """What the fuzzer may aim at: charts, cards and menu items that exist."""

    token: str
    charts: list[str]
    card_inputs: list[str]
    items: list[str]


def _generated_valid(case: Any, location: ParameterLocation) -> bool:
    component = case.meta.components.get(location) if case.meta is not None else None
    return component is None or component.mode == GenerationMode.POSITIVE


def aim(case: Any, world: World, rnd: random.Random) -> None:
    """Point a case at real rows some of the time (the rest stay random). Only the
    parts that were generated valid are changed, so a negative case stays invalid."""
    params = case.path_parameters or {}
    if _generated_valid(case, ParameterLocation.PATH):
        if "system" in params and rnd.random() < 0.8:
            params["system"] = "orthotrac"
        dice = rnd.random()
        if "chart_id" in params and dice < 0.7:
            params["chart_id"] = rnd.choice(world.charts)
            if dice < 0.35 and case.operation.path.endswith("/card"):
                params["chart_id"] = f"OT-{rnd.randint(2000, 9999)}"  # a new patient
    body = case.body
    if isinstance(body, dict) and _generated_valid(case, ParameterLocation.BODY):
        if "card" in body and rnd.random() < 0.6:
            body["card"] = rnd.choice(world.card_inputs)
            # Generated emails and birth dates are mostly refused (not an email,
            # in the future): half the time leave them out, and give the names a
            # new patient needs, so more calls get as far as linking.
            if rnd.random() < 0.5:
                body.pop("email", None)
                body.pop("birth_date", None)
                body["first_name"] = body.get("first_name") or "Emma"
                body["last_name"] = body.get("last_name") or "Johnson"
        if case.operation.path.endswith("/points") and rnd.random() < 0.6:
            # Either menu rewards or misc points, as the call wants one of the two.
            if rnd.random() < 0.5:
                body.pop("amount", None)
                body["items"] = rnd.sample(world.items, min(len(world.items), rnd.randint(1, 2)))
            else:
                body.pop("items", None)
                body["amount"] = rnd.randint(1, 50)
                body["description"] = body.get("description") or "Science fair"
    # Generated Idempotency-Keys repeat ("0") with other bodies: mostly a refusal.
    if _generated_valid(case, ParameterLocation.HEADER) and rnd.random() < 0.7:
        case.headers.pop("Idempotency-Key", None)
