"""What the OpenAPI document allows the server takes, and what it forbids the server
refuses: the rules schemathesis found looser in the document than in the server
(emails, whole numbers written 2429.0, blank names) and the links it could not
follow. tests/test_api_contract.py runs the whole contract; these pin each rule."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from tests.integrations.conftest import CHART, EMMA, Api

from rewardshub.integrations.api import api as hub_api
from rewardshub.integrations.schemas import EMAIL_PATTERN
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice


@pytest.fixture
def emma(api: Api, acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]) -> Profile:
    response = api.set_card(CHART, issue_cards(acworth, 1)[0], **EMMA)
    assert response.status_code == 200, response.json()
    return Profile.objects.get(practice=acworth)


def _email_schema() -> dict[str, Any]:
    document = hub_api.get_openapi_schema()
    email = document["components"]["schemas"]["UpdateIn"]["properties"]["email"]
    return next(option for option in email["anyOf"] if option.get("type") == "string")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("emma.j+rewards@mail.example.com", "emma.j+rewards@mail.example.com"),
        (" emma@example.org ", "emma@example.org"),
        ("", ""),
    ],
)
def test_an_email_the_document_allows_is_taken(
    api: Api, emma: Profile, sent: str, stored: str
) -> None:
    assert re.fullmatch(_email_schema()["pattern"], sent)
    response = api.update(CHART, email=sent)
    assert response.status_code == 200, response.json()
    emma.refresh_from_db()
    assert emma.email == stored


@pytest.mark.parametrize("sent", ["emma at home", "emma@localhost", "a@b.c0", "é@example.com"])
def test_an_email_the_document_forbids_is_refused(api: Api, emma: Profile, sent: str) -> None:
    assert _email_schema()["pattern"] == EMAIL_PATTERN
    assert not re.fullmatch(EMAIL_PATTERN, sent)
    response = api.update(CHART, email=sent)
    assert (response.status_code, response.json()["message"]) == (
        422,
        "email is not an email address.",
    )


def test_a_blank_name_is_refused_as_the_document_says(api: Api, emma: Profile) -> None:
    document = hub_api.get_openapi_schema()
    first = document["components"]["schemas"]["UpdateIn"]["properties"]["first_name"]
    pattern = next(o for o in first["anyOf"] if o.get("type") == "string")["pattern"]
    for blank in ("\x0b", " \u3000 "):
        assert not re.fullmatch(pattern, blank)
        response = api.update(CHART, first_name=blank)
        assert response.status_code == 422
        assert response.json()["message"] == (
            "first_name must not be blank, nor contain NUL characters (\\u0000)."
        )
    response = api.update(CHART, first_name="  Emmy ")
    assert response.json()["changed"] == ["first_name"]


@pytest.mark.parametrize(
    ("amount", "status"), [(2429.0, 200), (2429, 200), (True, 422), (2.5, 422)]
)
def test_a_whole_number_is_an_integer_however_it_is_written(
    api: Api, emma: Profile, amount: Any, status: int
) -> None:
    response = api.call(
        "POST", api.path(CHART, "/points"), {"amount": amount, "description": "Science fair"}
    )
    assert response.status_code == status, response.json()
    if status == 200:
        assert response.json()["entries"][0]["points"] == 2429
    else:
        assert response.json()["message"] == "amount must be a whole number."


def test_set_card_links_to_the_calls_that_use_the_chart() -> None:
    document = hub_api.get_openapi_schema()
    operations = {
        op["operationId"]: (method, path)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }
    card = document["paths"]["/api/v1/pms/{system}/patients/{chart_id}/card"]["post"]
    links = card["responses"][200]["links"]
    assert sorted(operations[link["operationId"]] for link in links.values()) == [
        ("get", "/api/v1/pms/{system}/patients/{chart_id}"),
        ("get", "/api/v1/pms/{system}/patients/{chart_id}/points"),
        ("post", "/api/v1/pms/{system}/patients/{chart_id}/launch"),
        ("post", "/api/v1/pms/{system}/patients/{chart_id}/points"),
        ("put", "/api/v1/pms/{system}/patients/{chart_id}"),
    ]
    for link in links.values():
        assert link["parameters"] == {
            "system": "$request.path.system",
            "chart_id": "$request.path.chart_id",
        }
