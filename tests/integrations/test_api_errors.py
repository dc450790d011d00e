"""Authentication, and the API's answers outside 2xx: always JSON with a sentence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from tests.integrations.conftest import CHART, EMMA, SYSTEM, Api, make_key

from rewardshub.integrations.actions import revoke_key
from rewardshub.integrations.keys import (
    LAST_USED_RESOLUTION,
    authenticate,
    forget_key,
    hash_token,
)
from rewardshub.integrations.models import LaunchToken, SyncEvent
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import IntegrationKey, Practice


class TestKeys:
    def test_it_stores_only_the_prefix_and_a_hash(
        self, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        key, token = acworth_key
        assert token.startswith(f"rh_{key.prefix}_")
        assert len(token) > 50
        assert key.secret_hash == hash_token(token)
        assert token not in key.secret_hash

    def test_it_authenticates_a_live_key_only(
        self, acworth: Practice, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        key, token = acworth_key
        assert authenticate(token) == key
        assert authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert authenticate("rh_" + key.prefix + "_") is None
        revoke_key(practice=acworth, key=key, actor=SYSTEM)
        assert authenticate(token) is None

    def test_it_writes_last_used_at_most_once_a_minute(
        self, api: Api, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        key = acworth_key[0]
        api.status(CHART)
        key.refresh_from_db()
        first = key.last_used_at
        assert first is not None
        api.status(CHART)
        key.refresh_from_db()
        assert key.last_used_at == first
        IntegrationKey.objects.filter(pk=key.pk).update(
            last_used_at=first - LAST_USED_RESOLUTION - dt.timedelta(seconds=1)
        )
        forget_key(key.prefix)  # a minute later, the key cache has long expired
        api.status(CHART)
        key.refresh_from_db()
        assert key.last_used_at > first


class TestUnauthorized:
    def test_it_asks_for_a_key_when_none_is_sent(self, db: object) -> None:
        response = Client().get("/api/v1/pms/orthotrac/patients/OT-1")
        assert response.status_code == 401
        assert response.json() == {
            "error": "unauthorized",
            "message": "This call needs an integration key, sent as 'Authorization: Bearer "
            "<key>'. Owners and admins create keys in Settings > Integration keys.",
        }

    def test_it_refuses_an_unknown_key(self, api: Api) -> None:
        response = api.call("GET", api.path(CHART), token="rh_00000000_nope")
        assert response.status_code == 401
        assert response.json()["message"] == (
            "This integration key is not valid. Check the key in the bridge config, "
            "or create a new one in Settings > Integration keys."
        )

    def test_it_says_when_a_key_was_revoked(
        self, api: Api, acworth: Practice, acworth_key: tuple[IntegrationKey, str], cards: list[str]
    ) -> None:
        key = revoke_key(practice=acworth, key=acworth_key[0], actor=SYSTEM)
        when = timezone.localtime(key.revoked_at).strftime("%b")

        response = api.set_card(CHART, cards[0], **EMMA)

        assert response.status_code == 401
        message = response.json()["message"]
        assert message.startswith("This integration key was revoked on ")
        assert when[:3] in message
        assert message.endswith(
            "Create a new key in Settings > Integration keys and update the PMS bridge."
        )
        assert not SyncEvent.objects.exists()

    def test_it_refuses_a_header_that_is_not_bearer(self, api: Api) -> None:
        response = api.client.get(api.path(CHART), HTTP_AUTHORIZATION="Basic abc")
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"


class TestOtherErrors:
    def test_it_refuses_a_path_for_another_system_than_the_keys(self, api: Api) -> None:
        response = api.call("GET", api.path(CHART, system="dolphin"))
        assert response.status_code == 404
        assert response.json() == {
            "error": "unknown_system",
            "message": "This integration key is for Orthotrac, so its calls go to "
            "/api/v1/pms/orthotrac/... Check the PMS system in the bridge config.",
        }

    def test_it_answers_json_for_an_unknown_address(self, api: Api) -> None:
        response = api.call("GET", "/api/v1/nothing/here")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert Client().get("/api/v2/").json()["error"] == "not_found"

    def test_it_answers_json_for_a_wrong_method(self, api: Api) -> None:
        response = api.call("DELETE", api.path(CHART))
        assert response.status_code == 405
        assert response.json() == {
            "error": "method_not_allowed",
            "message": "This address does not take DELETE; it takes GET, PUT.",
        }

    def test_it_names_the_chart_id_rule(self, api: Api) -> None:
        response = api.call("GET", api.path("a" * 65))
        assert response.status_code == 422
        assert response.json() == {
            "error": "validation_error",
            "message": "chart_id must be 1 to 64 letters, digits, '-', '_' or '.'.",
        }

    def test_it_names_a_missing_field(self, api: Api) -> None:
        response = api.call("POST", api.path(CHART, "/card"), {"first_name": "Emma"})
        assert response.status_code == 422
        assert response.json()["message"] == "card is required."
        assert SyncEvent.objects.get().error == "validation_error"

    def test_it_says_when_the_body_is_not_json(self, api: Api) -> None:
        response = api.client.post(
            api.path(CHART, "/card"),
            data="{not json",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api.token}",
        )
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_json",
            "message": "The request body is not valid JSON. Send a JSON object with "
            "Content-Type: application/json.",
        }

    def test_it_answers_json_when_the_hub_fails(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from rewardshub.integrations import status

        def boom(**kwargs: object) -> None:
            raise RuntimeError("database on fire")

        monkeypatch.setattr(status, "status", boom)
        response = api.status(CHART)
        assert response.status_code == 500
        body = response.json()
        assert body["error"] == "server_error"
        assert "database on fire" not in body["message"]
        assert response["X-Request-Id"] in body["message"]


class TestBodiesTheFuzzerSent:
    """Found by tests/test_api_fuzz.py: each is refused with a sentence, changing nothing."""

    @pytest.fixture
    def synced(self, api: Api, cards: list[str]) -> Profile:
        assert api.set_card(CHART, cards[0], **EMMA).status_code == 200
        return Profile.objects.get(pms_links__chart_id=CHART)

    @pytest.mark.parametrize(
        ("method", "suffix", "body"),
        [
            ("POST", "/launch", "[]"),
            ("PUT", "", "5"),
            ("POST", "/card", '"6277"'),
            ("POST", "/points", "[]"),
            ("POST", ":batch", "null"),
        ],
    )
    def test_it_refuses_a_body_that_is_not_a_json_object(
        self, api: Api, synced: Profile, method: str, suffix: str, body: str
    ) -> None:
        path = (
            "/api/v1/pms/orthotrac/patients:batch"
            if suffix == ":batch"
            else api.path(CHART, suffix)
        )
        tokens, events = LaunchToken.objects.count(), SyncEvent.objects.count()

        response = getattr(api.client, method.lower())(
            path,
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api.token}",
        )

        assert response.status_code == 422
        assert response.json() == {
            "error": "validation_error",
            "message": "The request body must be a JSON object.",
        }
        assert LaunchToken.objects.count() == tokens
        assert SyncEvent.objects.count() == events + 1  # the refusal, in the Sync log
        assert SyncEvent.objects.latest("id").error == "validation_error"

    @pytest.mark.parametrize(
        ("method", "suffix", "body", "field"),
        [
            ("POST", "/card", {"card": "", **EMMA, "last_name": "John\x00son"}, "last_name"),
            ("PUT", "", {"responsible_party": "Ann\x00"}, "responsible_party"),
            ("POST", "/launch", {"view": "chart", "pms_user": "\x00"}, "pms_user"),
            ("POST", "/points", {"amount": 5, "description": "Fair\x00"}, "description"),
            ("POST", "/points", {"items": ["On time\x00"]}, "items[0]"),
            ("POST", ":batch", {"patients": [{"chart_id": "X1"}], "pms_user": "\x00"}, "pms_user"),
        ],
    )
    def test_it_refuses_a_nul_character(
        self,
        api: Api,
        synced: Profile,
        cards: list[str],
        method: str,
        suffix: str,
        body: dict[str, object],
        field: str,
    ) -> None:
        # PostgreSQL cannot store a NUL: this was a 500 there (and stored as sent on SQLite).
        if suffix == "/card":
            body = {**body, "card": cards[1]}
        path = (
            "/api/v1/pms/orthotrac/patients:batch"
            if suffix == ":batch"
            else api.path(CHART, suffix)
        )
        before = Profile.objects.values().get(pk=synced.pk)

        response = api.call(method, path, body)

        assert response.status_code == 422
        # A field that must not be blank says both rules of its one pattern.
        required = field in ("last_name", "items[0]")
        rule = "must not be blank, nor contain" if required else "must not contain"
        assert response.json() == {
            "error": "validation_error",
            "message": f"{field} {rule} NUL characters (\\u0000).",
        }
        assert Profile.objects.count() == 1
        assert Profile.objects.values().get(pk=synced.pk) == before
        assert not LedgerEntry.objects.exists()
        assert not LaunchToken.objects.filter(view="chart").exists()

    def test_it_refuses_a_nul_character_in_one_batch_row_only(
        self, api: Api, synced: Profile
    ) -> None:
        response = api.batch(
            [
                {"chart_id": "X1", "first_name": "Ann\x00", "last_name": "Lee"},
                {"chart_id": "X2", "first_name": "Bo", "last_name": "Lee"},
            ]
        )
        assert response.status_code == 200
        first, second = response.json()["results"]
        assert first == {
            "chart_id": "X1",
            "outcome": "error",
            "error": "validation_error",
            "message": "first_name must not be blank, nor contain NUL characters (\\u0000).",
        }
        assert second["outcome"] == "created"
        assert not Profile.objects.filter(pms_links__chart_id="X1").exists()

    @pytest.mark.parametrize("birth_date", [0, 1.5e-166, "0", "1234567890", "2012-4-17"])
    def test_it_takes_a_birth_date_only_as_yyyy_mm_dd(
        self, api: Api, synced: Profile, birth_date: object
    ) -> None:
        # pydantic alone read a number (or digits) as seconds since 1970: 0 was 1970-01-01.
        response = api.update(CHART, birth_date=birth_date)
        assert response.status_code == 422
        assert response.json() == {
            "error": "validation_error",
            "message": "birth_date must be a date written YYYY-MM-DD.",
        }
        synced.refresh_from_db()
        assert synced.birth_date == dt.date(2012, 4, 17)

    def test_it_does_not_take_true_for_a_number_of_points(self, api: Api, synced: Profile) -> None:
        response = api.call(
            "POST", api.path(CHART, "/points"), {"amount": True, "description": "Science fair"}
        )
        assert response.status_code == 422
        assert response.json()["message"] == "amount must be a whole number."
        synced.refresh_from_db()
        assert synced.points_balance == 0
        assert not LedgerEntry.objects.exists()

    def test_it_says_what_range_an_amount_must_be_in(self, api: Api, synced: Profile) -> None:
        response = api.call("POST", api.path(CHART, "/points"), {"amount": 0, "description": "x"})
        assert response.status_code == 422
        assert response.json()["message"] == "amount must be at least 1."

    def test_it_documents_the_400_of_a_body_that_is_not_json(self, db: object) -> None:
        document = Client().get("/api/v1/openapi.json").json()
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if "requestBody" in operation:
                    assert "400" in operation["responses"], f"{method} {path}"


class TestDocs:
    def test_it_publishes_the_openapi_document(self, db: object) -> None:
        document = Client().get("/api/v1/openapi.json").json()
        assert document["info"]["title"] == "RewardsHub integration API"
        assert "/api/v1/pms/{system}/patients/{chart_id}/card" in document["paths"]
        assert "/api/v1/pms/{system}/patients:batch" in document["paths"]

    def test_it_publishes_the_limits_of_an_idempotency_key(self, api: Api) -> None:
        # Found by the API fuzzing: a generated "" or "  " key, allowed by the
        # document, was refused with a 422 the document did not explain.
        document = Client().get("/api/v1/openapi.json").json()
        headers = [
            parameter["schema"]
            for operations in document["paths"].values()
            for operation in operations.values()
            for parameter in operation.get("parameters", [])
            if parameter["name"] == "Idempotency-Key"
        ]
        assert len(headers) == 8
        for schema in headers:
            assert (schema["type"], schema["minLength"], schema["maxLength"]) == ("string", 1, 255)
        response = api.call("POST", api.path(CHART, "/launch"), {}, idempotency_key="  ")
        assert response.status_code == 422
        assert response.json()["message"] == (
            "Idempotency-Key is empty: send a non-empty key or leave it out."
        )

    def test_it_serves_the_docs_page_from_its_own_files(self, db: object) -> None:
        response = Client().get("/api/v1/docs")
        page = response.content.decode()
        assert response.status_code == 200
        assert "/static/ninja/swagger-ui-bundle.js" in page
        assert "cdn" not in page.lower()
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert Client().get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_it_keeps_csrf_for_browser_forms(owner: object) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)  # type: ignore[arg-type]
    response = strict.post("/settings/integrations/keys/", {"name": "x", "system": "orthotrac"})
    assert response.status_code == 403


def test_it_needs_no_csrf_token_for_the_api(riverside: Practice) -> None:
    _, token = make_key(riverside)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        "/api/v1/pms/orthotrac/patients/OT-1/launch",
        data='{"view": "chart"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 404  # not_synced: it ran, no CSRF refusal
    assert response.json()["error"] == "not_synced"
