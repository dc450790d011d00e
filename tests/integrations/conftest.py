"""Fixtures for the integration API: a key per practice and a client that speaks JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from rewardshub.audit.actors import Actor
from rewardshub.integrations.actions import add_tag_rule, create_key
from rewardshub.integrations.models import TagRule
from rewardshub.patients.models import Tag
from rewardshub.practices.models import IntegrationKey, Practice

SYSTEM = Actor.system("tests")
CHART = "OT-1001"
EMMA = {"first_name": "Emma", "last_name": "Johnson", "birth_date": "2012-04-17"}


@dataclass
class Api:
    """Calls /api/v1/pms/<system>/... with a bearer key, like the bridge does."""

    client: Client
    token: str
    system: str = "orthotrac"

    def _headers(self, idempotency_key: str | None, token: str | None) -> dict[str, str]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token if token is not None else self.token}"}
        if idempotency_key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        return headers

    def path(self, chart_id: str, suffix: str = "", system: str | None = None) -> str:
        return f"/api/v1/pms/{system or self.system}/patients/{chart_id}{suffix}"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        idempotency_key: str | None = None,
        token: str | None = None,
    ) -> Any:
        headers = self._headers(idempotency_key, token)
        data = json.dumps(body) if body is not None else None
        if method == "GET":
            return self.client.get(path, **headers)
        return getattr(self.client, method.lower())(
            path, data=data, content_type="application/json", **headers
        )

    def set_card(self, chart_id: str, card: str, **fields: Any) -> Any:
        idem = fields.pop("idempotency_key", None)
        return self.call(
            "POST", self.path(chart_id, "/card"), {"card": card, **fields}, idempotency_key=idem
        )

    def update(self, chart_id: str, **fields: Any) -> Any:
        idem = fields.pop("idempotency_key", None)
        return self.call("PUT", self.path(chart_id), fields, idempotency_key=idem)

    def launch(self, chart_id: str, view: str = "profile", **fields: Any) -> Any:
        return self.call("POST", self.path(chart_id, "/launch"), {"view": view, **fields})

    def status(self, chart_id: str) -> Any:
        return self.call("GET", self.path(chart_id))

    def batch(self, patients: list[dict[str, Any]], **kwargs: Any) -> Any:
        return self.call(
            "POST", f"/api/v1/pms/{self.system}/patients:batch", {"patients": patients}, **kwargs
        )


def make_key(practice: Practice, system: str = "orthotrac") -> tuple[IntegrationKey, str]:
    created = create_key(practice=practice, name="Front desk PC", system=system, actor=SYSTEM)
    return created.key, created.token


@pytest.fixture
def acworth_key(acworth: Practice) -> tuple[IntegrationKey, str]:
    return make_key(acworth)


@pytest.fixture
def api(acworth_key: tuple[IntegrationKey, str]) -> Api:
    return Api(client=Client(), token=acworth_key[1])


@pytest.fixture
def riverside_api(riverside: Practice) -> Api:
    return Api(client=Client(), token=make_key(riverside)[1])


@pytest.fixture
def cards(acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]) -> list[str]:
    return issue_cards(acworth, 6)


@pytest.fixture
def tag_rules(acworth: Practice) -> list[TagRule]:
    def rule(field: str, value: str, tag: str) -> TagRule:
        return add_tag_rule(
            practice=acworth,
            system="orthotrac",
            field=field,
            value=value,
            tag=Tag.objects.get(practice=acworth, name=tag),
            actor=SYSTEM,
        )

    return [
        rule("pms_status", "Active Tx", "*Orthodontic Patient"),
        rule("pms_status", "Retention", "*Retainer Patient"),
        rule("office", "ACW", "*Acworth"),
        rule("office", "MAR", "*Marietta"),
    ]
