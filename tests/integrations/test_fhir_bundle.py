"""FHIR R4 Bundles of Patients and Appointments at /api/v1/fhir/{system}/Bundle
(docs/integration-api.md, "FHIR R4")."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from tests.automations.conftest import CHART, Book
from tests.automations.conftest import book as automations_book
from tests.automations.conftest import emma as automations_emma
from tests.automations.conftest import rules as automations_rules
from tests.integrations.conftest import Api, make_key

from rewardshub.audit.models import AuditEvent
from rewardshub.automations.models import Appointment, AutoAward, AutoRule
from rewardshub.integrations.models import PmsLink, SyncEvent
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import IntegrationKey, Practice

pytestmark = pytest.mark.django_db

# Automatic points' fixtures: rules on, Emma linked with a card, a time to book.
book = automations_book
emma = automations_emma
rules = automations_rules

CHARTS = "urn:rewardshub:chart"
MIA = "OT-4242"
EMMA_URL = "urn:uuid:7d3c1a1e-0000-4000-8000-000000000001"
MIA_URL = "urn:uuid:7d3c1a1e-0000-4000-8000-000000000002"


def post(
    api: Api,
    bundle: Any,
    *,
    system: str = "orthotrac",
    content_type: str = "application/fhir+json",
    token: str | None = None,
    idempotency_key: str | None = None,
) -> Any:
    headers = api._headers(idempotency_key, token)
    body = bundle if isinstance(bundle, str) else json.dumps(bundle)
    return api.client.post(
        f"/api/v1/fhir/{system}/Bundle", data=body, content_type=content_type, **headers
    )


def patient(chart_id: str, given: str, family: str, **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [
            {"system": "urn:oid:2.16.840.1.113883.4.1", "value": "123-45-6789"},
            {"system": CHARTS, "value": chart_id},
        ],
        "name": [{"use": "official", "family": family, "given": [given]}],
        "gender": "female",  # an element the hub does not keep: ignored
        **more,
    }


def appointment(
    appointment_id: str, status: str, start: dt.datetime, actor: str, **more: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "identifier": [{"system": CHARTS, "value": appointment_id}],
        "status": status,
        "start": start.isoformat(),
        "minutesDuration": 30,
        "appointmentType": {"coding": [{"code": "ADJ", "display": "Adjustment"}]},
        "participant": [
            {"actor": {"reference": actor}, "status": "accepted"},
            {"actor": {"reference": "Practitioner/9", "display": "Dr. Lee"}, "status": "accepted"},
        ],
        **more,
    }


def entry(resource: dict[str, Any], full_url: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"resource": resource, "request": {"method": "PUT", "url": "x"}}
    if full_url:
        found["fullUrl"] = full_url
    return found


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def book_of(start: dt.datetime, kind: str = "transaction") -> dict[str, Any]:
    """Two Patients (Emma, linked with a card; Mia, new) and three Appointments: Emma's
    visit fulfilled, her next one booked during it, and Mia's first one."""
    return bundle(
        kind,
        entry(
            patient(
                CHART,
                "Emma",
                "Johnson",
                birthDate="2012-04-17",
                telecom=[
                    {"system": "email", "value": "emma@example.com"},
                    {"system": "phone", "use": "mobile", "value": "555-0101"},
                ],
            ),
            EMMA_URL,
        ),
        entry(patient(MIA, "Mia", "Rivera", birthDate="2013-05-02"), MIA_URL),
        entry(appointment("A-1", "fulfilled", start, EMMA_URL)),
        entry(
            appointment(
                "A-2",
                "booked",
                start + dt.timedelta(days=28),
                EMMA_URL,
                created=(start + dt.timedelta(minutes=20)).isoformat(),
            )
        ),
        entry(appointment("A-3", "booked", start, f"Patient?identifier={CHARTS}|{MIA}")),
    )


def statuses(answer: Any) -> list[str]:
    return [item["response"]["status"] for item in answer.json()["entry"]]


def issues(answer: Any) -> list[dict[str, Any]]:
    body = answer.json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"]


def state(practice: Practice) -> dict[str, Any]:
    """Everything a Bundle may change, to compare before and after."""
    return {
        "profiles": sorted(
            Profile.objects.filter(practice=practice).values_list(
                "username", "first_name", "last_name", "email", "phone_mobile", "updated_at"
            )
        ),
        "links": sorted(
            PmsLink.objects.filter(practice=practice).values_list("chart_id", "profile")
        ),
        "appointments": sorted(
            Appointment.objects.filter(practice=practice).values_list(
                "appointment_id", "status", "updated_at", "deleted_at"
            )
        ),
        "ledger": LedgerEntry.objects.filter(profile__practice=practice).count(),
        "audit": AuditEvent.objects.filter(practice=practice)
        .exclude(action__startswith="pms.")
        .count(),
    }


@pytest.fixture
def start(book: Book) -> dt.datetime:
    return book.start


class TestApplied:
    def test_it_applies_two_patients_and_three_appointments(
        self, api: Api, acworth: Practice, rules: dict[str, AutoRule], emma: Profile, start: Any
    ) -> None:
        answer = post(api, book_of(start))

        assert answer.status_code == 200, answer.content
        assert answer["Content-Type"] == "application/fhir+json"
        assert answer.json()["type"] == "transaction-response"
        assert statuses(answer) == [
            "200 OK",
            "201 Created",
            "201 Created",
            "201 Created",
            "201 Created",
        ]
        emma.refresh_from_db()
        assert (emma.email, emma.phone_mobile) == ("emma@example.com", "555-0101")
        mia = PmsLink.objects.get(practice=acworth, chart_id=MIA).profile
        assert (mia.first_name, mia.last_name, str(mia.birth_date)) == (
            "Mia",
            "Rivera",
            "2013-05-02",
        )
        booked = {
            a.appointment_id: (a.chart_id, a.status, a.profile_id, a.provider, a.type_label)
            for a in Appointment.objects.filter(practice=acworth)
        }
        assert booked == {
            "A-1": (CHART, "completed", emma.pk, "Dr. Lee", "Adjustment"),
            "A-2": (CHART, "scheduled", emma.pk, "Dr. Lee", "Adjustment"),
            "A-3": (MIA, "scheduled", mia.pk, "Dr. Lee", "Adjustment"),
        }
        # Kept (5) and next visit booked before leaving (6), paid to Emma's card.
        paid = {a.rule.trigger: a.points for a in AutoAward.objects.filter(profile=emma)}
        assert paid == {"kept": 5, "next_booked": 6}
        assert emma.points_balance == 11
        logged = sorted(
            SyncEvent.objects.filter(practice=acworth)
            .exclude(action="set_card")  # emma's
            .values_list("action", "chart_id")
        )
        assert logged == [
            ("appointment", CHART),
            ("appointment", CHART),
            ("appointment", MIA),
            ("batch", CHART),
            ("batch", MIA),
        ]

    def test_it_takes_application_json_and_refuses_other_types(
        self, api: Api, emma: Profile, start: Any
    ) -> None:
        answer = post(api, book_of(start, "batch"), content_type="application/json")
        assert answer.status_code == 200, answer.content

        refused = post(api, book_of(start, "batch"), content_type="text/plain")

        assert refused.status_code == 415
        assert refused["Content-Type"] == "application/fhir+json"
        assert "application/fhir+json" in issues(refused)[0]["details"]["text"]

    def test_an_appointment_entered_in_error_is_deleted_and_its_points_taken_back(
        self, api: Api, rules: dict[str, AutoRule], emma: Profile, start: Any
    ) -> None:
        post(api, book_of(start))
        gone = bundle("batch", entry(appointment("A-1", "entered-in-error", start, EMMA_URL)))
        gone["entry"][0]["resource"]["participant"][0]["actor"] = {
            "identifier": {"system": CHARTS, "value": CHART}
        }

        answer = post(api, gone)

        assert statuses(answer) == ["200 OK"], answer.content
        assert Appointment.objects.get(appointment_id="A-1").deleted_at is not None
        emma.refresh_from_db()
        assert emma.points_balance == 0  # kept and next-booked both hang on A-1


class TestRefused:
    def test_it_names_the_field_of_an_invalid_resource_and_changes_nothing(
        self, api: Api, acworth: Practice, emma: Profile, start: Any
    ) -> None:
        sent = book_of(start)
        sent["entry"][1]["resource"]["birthDate"] = "2013-13-02"
        before = state(acworth)

        answer = post(api, sent)

        assert answer.status_code == 422
        found = issues(answer)
        assert found[0]["expression"] == ["Bundle.entry[1].resource.birthDate"]
        assert found[0]["details"]["coding"][0]["code"] == "validation_error"
        assert found[0]["details"]["text"].startswith(
            "Bundle.entry[1].resource.birthDate is not valid"
        )
        assert state(acworth) == before
        failure = SyncEvent.objects.get(outcome="error")
        assert (failure.action, failure.error) == ("batch", "validation_error")

    @pytest.mark.parametrize(
        ("change", "path", "words"),
        [
            (
                lambda b: b["entry"][0]["resource"].pop("identifier"),
                "entry[0].resource.identifier",
                "has no identifier with system urn:rewardshub:chart",
            ),
            (
                lambda b: b["entry"][1]["resource"].update(wings=2),
                "entry[1].resource.wings",
                "is not an element of this FHIR resource",
            ),
            (
                lambda b: b["entry"][2]["resource"].update(status="waitlist"),
                "entry[2].resource.status",
                "which the hub does not keep",
            ),
            (
                lambda b: b["entry"][2]["resource"]["participant"][0]["actor"].update(
                    reference="Patient/unknown"
                ),
                "entry[2].resource.participant[0].actor.reference",
                "neither in this Bundle",
            ),
            (
                lambda b: b["entry"][3]["resource"].update(minutesDuration=5000),
                "entry[3].resource.minutesDuration",
                "must be at most 1440",
            ),
            (
                lambda b: b["entry"][1]["resource"]["name"][0].update(given=["x" * 101]),
                "entry[1].resource.name[0].given[0]",
                "at most 100 characters",
            ),
            (
                lambda b: b["entry"].append({"resource": {"resourceType": "Observation"}}),
                "entry[5].resource.resourceType",
                "must be a Patient or an Appointment",
            ),
            (lambda b: b.update(type="collection"), "type", "transaction and batch Bundles"),
        ],
    )
    def test_it_names_each_kind_of_fault(
        self,
        api: Api,
        acworth: Practice,
        emma: Profile,
        start: Any,
        change: Any,
        path: str,
        words: str,
    ) -> None:
        sent = book_of(start)
        change(sent)
        before = state(acworth)

        answer = post(api, sent)

        assert answer.status_code == 422, answer.content
        issue = issues(answer)[0]
        assert issue["expression"] == [f"Bundle.{path}"]
        assert words in issue["details"]["text"]
        assert state(acworth) == before

    def test_it_names_an_unknown_element_whose_name_holds_control_characters(
        self, api: Api, acworth: Practice
    ) -> None:
        # PostgreSQL stores no NUL in text or jsonb: names the client sent are
        # written back escaped, in the answer and wherever the answer is kept.
        before = state(acworth)
        body = (
            '{"\\u0000\\u000f": {}, "": [null], "a\\ud9b9\\udd0d.\\u0001": [], '
            '"entry": [], "resourceType": "Bundle", "type": "transaction"}'
        )
        answer = post(api, body, idempotency_key="nul-in-names")
        assert answer.status_code == 422, answer.content
        texts = [issue["details"]["text"] for issue in issues(answer)]
        assert "\x00" not in answer.content.decode()
        assert any("Bundle.\\x00\\x0f is not an element" in text for text in texts), texts
        assert any("Bundle.a\\U0007e50d.\\x01 is not an element" in text for text in texts), texts
        assert post(api, body, idempotency_key="nul-in-names").content == answer.content
        assert state(acworth) == before

    def test_it_answers_a_body_that_is_not_json(self, api: Api) -> None:
        answer = post(api, "{not json")
        assert answer.status_code == 400
        assert issues(answer)[0]["details"]["coding"][0]["code"] == "invalid_json"


class TestOnce:
    def test_the_same_bundle_twice_changes_nothing(
        self, api: Api, acworth: Practice, rules: dict[str, AutoRule], emma: Profile, start: Any
    ) -> None:
        sent = book_of(start)
        assert post(api, sent).status_code == 200
        before = state(acworth)

        again = post(api, sent)

        assert statuses(again) == ["200 OK"] * 5
        texts = [
            e["response"]["outcome"]["issue"][0]["details"]["text"] for e in again.json()["entry"]
        ]
        assert "nothing changed" in texts[0] and "unchanged" in texts[2]
        assert state(acworth) == before

    def test_an_idempotency_key_replays_the_first_answer(
        self, api: Api, acworth: Practice, emma: Profile, start: Any
    ) -> None:
        first = post(api, book_of(start), idempotency_key="bundle-1")
        before = state(acworth)

        again = post(api, book_of(start), idempotency_key="bundle-1")

        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert again["Content-Type"] == "application/fhir+json"
        assert state(acworth) == before


class TestTransactionAndBatch:
    def conflicting(self, start: dt.datetime, kind: str) -> dict[str, Any]:
        """Mia and her appointment, then an appointment whose id is Emma's A-9."""
        return bundle(
            kind,
            entry(patient(MIA, "Mia", "Rivera"), MIA_URL),
            entry(appointment("A-3", "booked", start, MIA_URL)),
            entry(appointment("A-9", "booked", start, MIA_URL)),
        )

    def test_a_transaction_applies_all_or_nothing(
        self, api: Api, acworth: Practice, emma: Profile, book: Book, start: Any
    ) -> None:
        assert book.put("A-9", "scheduled").status_code == 201  # on Emma's chart
        before = state(acworth)

        answer = post(api, self.conflicting(start, "transaction"))

        assert answer.status_code == 409, answer.content
        issue = issues(answer)[0]
        assert issue["expression"] == ["Bundle.entry[2].resource"]
        assert issue["details"]["coding"][0]["code"] == "appointment_on_other_chart"
        assert state(acworth) == before  # Mia and A-3 were rolled back too
        assert not PmsLink.objects.filter(chart_id=MIA).exists()

    def test_a_batch_applies_each_entry_on_its_own(
        self, api: Api, acworth: Practice, emma: Profile, book: Book, start: Any
    ) -> None:
        assert book.put("A-9", "scheduled").status_code == 201

        answer = post(api, self.conflicting(start, "batch"))

        assert answer.status_code == 200
        assert answer.json()["type"] == "batch-response"
        assert statuses(answer) == ["201 Created", "201 Created", "409 Conflict"]
        outcome = answer.json()["entry"][2]["response"]["outcome"]["issue"][0]
        assert outcome["details"]["coding"][0]["code"] == "appointment_on_other_chart"
        assert PmsLink.objects.filter(practice=acworth, chart_id=MIA).exists()
        assert Appointment.objects.get(appointment_id="A-3").chart_id == MIA
        assert Appointment.objects.get(appointment_id="A-9").chart_id == CHART
        assert SyncEvent.objects.filter(outcome="error", action="appointment").count() == 1

    def test_a_batch_answers_an_invalid_entry_and_applies_the_rest(
        self, api: Api, acworth: Practice, emma: Profile, start: Any
    ) -> None:
        sent = book_of(start, "batch")
        sent["entry"][1]["resource"]["birthDate"] = "2013"

        answer = post(api, sent)

        assert statuses(answer) == [
            "200 OK",
            "422 Unprocessable Entity",
            "201 Created",
            "201 Created",
            "201 Created",
        ]
        first = answer.json()["entry"][1]["response"]["outcome"]["issue"][0]
        assert first["expression"] == ["Bundle.entry[1].resource.birthDate"]
        assert "whole date" in first["details"]["text"]
        # Mia's chart was not synced; her appointment is kept until it is.
        assert not PmsLink.objects.filter(chart_id=MIA).exists()
        assert Appointment.objects.get(appointment_id="A-3").profile is None
        failure = SyncEvent.objects.get(outcome="error")
        assert (failure.action, failure.chart_id) == ("batch", MIA)


class TestKeys:
    def test_a_key_of_another_practice_reaches_only_its_own(
        self,
        api: Api,
        riverside_api: Api,
        acworth: Practice,
        riverside: Practice,
        emma: Profile,
        start: Any,
    ) -> None:
        before = state(acworth)

        answer = post(riverside_api, book_of(start))

        assert answer.status_code == 200, answer.content
        assert state(acworth) == before
        assert set(
            PmsLink.objects.filter(practice=riverside).values_list("chart_id", flat=True)
        ) == {CHART, MIA}
        emma_there = PmsLink.objects.get(practice=riverside, chart_id=CHART).profile
        assert emma_there.pk != emma.pk

    def test_a_key_for_another_system_is_refused_in_fhir(self, api: Api, start: Any) -> None:
        answer = post(api, book_of(start), system="dolphin")

        assert answer.status_code == 404
        assert answer["Content-Type"] == "application/fhir+json"
        issue = issues(answer)[0]
        assert issue["details"]["coding"][0]["code"] == "unknown_system"
        assert "/api/v1/fhir/orthotrac/" in issue["details"]["text"]
        assert SyncEvent.objects.get().error == "unknown_system"

    def test_no_key_is_refused_in_fhir(self, api: Api, start: Any) -> None:
        answer = Client().post(
            "/api/v1/fhir/orthotrac/Bundle",
            data=json.dumps(book_of(start)),
            content_type="application/fhir+json",
        )
        assert answer.status_code == 401
        assert issues(answer)[0]["code"] == "login"

    def test_the_chart_id_comes_from_the_keys_identifier_system(
        self, acworth: Practice, start: Any
    ) -> None:
        key, token = make_key(acworth)
        IntegrationKey.objects.filter(pk=key.pk).update(fhir_identifier_system="urn:oid:1.2.3")
        sent = bundle("batch", entry(patient(MIA, "Mia", "Rivera")))
        sent["entry"][0]["resource"]["identifier"].append(
            {"system": "urn:oid:1.2.3", "value": "P-7"}
        )

        answer = post(Api(Client(), token), sent)

        assert statuses(answer) == ["201 Created"], answer.content
        assert PmsLink.objects.get(practice=acworth).chart_id == "P-7"
