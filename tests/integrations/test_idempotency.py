"""Idempotency-Key: a retry replays the first answer; misuse is refused in words."""

from __future__ import annotations

import json

from tests.integrations.conftest import CHART, EMMA, Api

from rewardshub.audit.models import AuditEvent
from rewardshub.integrations.models import IdempotencyRecord, LaunchToken, PmsLink, SyncEvent
from rewardshub.patients.models import Profile


def test_it_replays_the_first_answer_for_the_same_key_and_body(api: Api, cards: list[str]) -> None:
    first = api.set_card(CHART, cards[0], idempotency_key="sync-1", **EMMA)
    audits = AuditEvent.objects.exclude(action="pms.set_card").count()

    again = api.set_card(CHART, cards[0], idempotency_key="sync-1", **EMMA)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Profile.objects.count() == 1 and LaunchToken.objects.count() == 1
    assert AuditEvent.objects.exclude(action="pms.set_card").count() == audits
    assert SyncEvent.objects.latest("id").outcome == "replayed"


def test_it_treats_the_same_json_in_another_key_order_as_the_same_body(
    api: Api, cards: list[str]
) -> None:
    body = {"card": cards[0], **EMMA}
    api.call("POST", api.path(CHART, "/card"), body, idempotency_key="k")
    reordered = dict(reversed(list(body.items())))
    again = api.call("POST", api.path(CHART, "/card"), reordered, idempotency_key="k")
    assert again["Idempotent-Replayed"] == "true"


def test_it_refuses_the_same_key_with_a_different_body(api: Api, cards: list[str]) -> None:
    api.set_card(CHART, cards[0], idempotency_key="sync-1", **EMMA)

    response = api.set_card("OT-2", cards[1], idempotency_key="sync-1", **EMMA)

    assert response.status_code == 409
    assert response.json() == {
        "error": "idempotency_key_reused",
        "message": "This Idempotency-Key was used for another request; send a new key. "
        "(To repeat a request, send the same body to the same address with its key.)",
    }
    assert not PmsLink.objects.filter(chart_id="OT-2").exists()


def test_it_refuses_a_key_longer_than_255_characters(api: Api, cards: list[str]) -> None:
    response = api.set_card(CHART, cards[0], idempotency_key="k" * 256, **EMMA)

    assert response.status_code == 422
    assert response.json() == {
        "error": "validation_error",
        "message": "Idempotency-Key is 256 characters long; at most 255 are allowed.",
    }
    assert not Profile.objects.exists()
    assert api.set_card(CHART, cards[0], idempotency_key="k" * 255, **EMMA).status_code == 200


def test_it_stores_no_refusal_so_a_corrected_retry_runs(api: Api, cards: list[str]) -> None:
    refused = api.set_card(CHART, cards[0], idempotency_key="sync-1", first_name="Emma")
    assert refused.status_code == 422
    assert not IdempotencyRecord.objects.exists()

    fixed = api.set_card(CHART, cards[0], idempotency_key="sync-1", **EMMA)

    assert fixed.status_code == 200
    assert fixed.json()["outcome"] == "created"
    assert "Idempotent-Replayed" not in fixed


def test_it_keeps_keys_apart_per_practice(api: Api, riverside_api: Api, cards: list[str]) -> None:
    api.set_card(CHART, cards[0], idempotency_key="shared", **EMMA)
    response = riverside_api.update(CHART, idempotency_key="shared", first_name="X")
    # Runs (and answers for its own practice) instead of replaying Acworth's answer.
    assert response.status_code == 404
    assert response.json()["error"] == "not_synced"


def test_it_replays_updates_and_batches_too(api: Api, cards: list[str]) -> None:
    api.set_card(CHART, cards[0], **EMMA)
    first = api.update(CHART, last_name="Lee", idempotency_key="u-1")
    api.update(CHART, last_name="Johnson")
    again = api.update(CHART, last_name="Lee", idempotency_key="u-1")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Profile.objects.get().last_name == "Johnson"

    rows = [{"chart_id": "B-1", "first_name": "Ava", "last_name": "Lee"}]
    batch = api.batch(rows, idempotency_key="b-1")
    assert api.batch(rows, idempotency_key="b-1").json() == batch.json()
    assert Profile.objects.count() == 2


def test_it_stores_the_answer_with_its_fingerprint(api: Api, cards: list[str]) -> None:
    response = api.set_card(CHART, cards[0], idempotency_key="sync-1", **EMMA)
    record = IdempotencyRecord.objects.get()
    assert (record.key, record.status_code) == ("sync-1", 200)
    assert record.response_body == json.loads(response.content)
    assert len(record.fingerprint) == 64
