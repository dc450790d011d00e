"""Integration settings pages: keys, PMS tag mapping, chart tab origins, Sync log."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from tests.integrations.conftest import CHART, EMMA, Api, make_key

from rewardshub.audit.models import AuditEvent
from rewardshub.integrations.keys import authenticate
from rewardshub.integrations.models import SyncEvent, TagRule
from rewardshub.integrations.origins import OriginError, frame_ancestors, parse_origins
from rewardshub.patients.models import Tag
from rewardshub.practices.models import IntegrationKey, Practice

KEYS = "/settings/integrations/keys/"
RULES = "/settings/integrations/tag-mapping/"
CHART_TAB = "/settings/integrations/chart-tab/"
SYNC_LOG = "/settings/integrations/sync-log/"


class TestKeysPage:
    def test_it_shows_a_new_key_once(self, owner_client: Client, acworth: Practice) -> None:
        response = owner_client.post(KEYS, {"name": "Front desk PC", "system": "orthotrac"})
        assert response.status_code == 302

        page = owner_client.get(KEYS).content.decode()
        key = IntegrationKey.objects.get(practice=acworth)
        token = page.split('id="new-key-token">', 1)[1].split("<", 1)[0]
        assert authenticate(token) == key
        assert "It is shown only this once" in page
        assert token not in owner_client.get(KEYS).content.decode()
        audit = AuditEvent.objects.get(action="integration_key.create")
        assert token not in str(audit.detail)

    def test_it_lists_keys_with_prefix_system_and_use(
        self, owner_client: Client, api: Api, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        api.status(CHART)
        page = owner_client.get(KEYS).content.decode()
        assert f"rh_{acworth_key[0].prefix}_…" in page
        assert "Orthotrac" in page and "never" not in page

    def test_it_revokes_a_key(
        self, owner_client: Client, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        key, token = acworth_key
        response = owner_client.post(f"{KEYS}{key.public_id}/revoke/")
        assert response.status_code == 302
        key.refresh_from_db()
        assert key.revoked_at is not None
        assert authenticate(token) is None
        assert "Revoked" in owner_client.get(KEYS).content.decode()
        assert AuditEvent.objects.filter(action="integration_key.revoke").exists()

    def test_it_names_an_empty_key_name(self, owner_client: Client) -> None:
        response = owner_client.post(KEYS, {"name": "", "system": "orthotrac"})
        assert response.status_code == 422
        assert "This field is required." in response.content.decode()
        assert not IntegrationKey.objects.exists()

    def test_it_is_for_owners_and_admins_only(self, frontdesk_client: Client) -> None:
        assert frontdesk_client.get(KEYS).status_code == 403
        assert frontdesk_client.post(KEYS, {"name": "x", "system": "orthotrac"}).status_code == 403
        assert not IntegrationKey.objects.exists()

    def test_it_hides_another_practices_keys(
        self, outsider_client: Client, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        key = acworth_key[0]
        assert key.prefix not in outsider_client.get(KEYS).content.decode()
        assert outsider_client.post(f"{KEYS}{key.public_id}/revoke/").status_code == 404
        key.refresh_from_db()
        assert key.revoked_at is None


class TestKeyIdentifierSystem:
    """The FHIR identifier system of a key: the Patient.identifier that holds the chart id."""

    def path(self, key: IntegrationKey) -> str:
        return f"{KEYS}{key.public_id}/fhir-identifier-system/"

    def test_it_is_set_when_a_key_is_created(self, owner_client: Client) -> None:
        sent = {"name": "FHIR", "system": "orthotrac", "fhir_identifier_system": "urn:oid:1.2.3"}
        assert owner_client.post(KEYS, sent).status_code == 302
        assert IntegrationKey.objects.get().fhir_identifier_system == "urn:oid:1.2.3"
        audit = AuditEvent.objects.get(action="integration_key.create")
        assert audit.detail["fhir_identifier_system"] == "urn:oid:1.2.3"

    def test_it_defaults_to_the_hubs_chart_system(self, owner_client: Client) -> None:
        assert owner_client.post(KEYS, {"name": "PC", "system": "orthotrac"}).status_code == 302
        assert IntegrationKey.objects.get().fhir_identifier_system == "urn:rewardshub:chart"

    def test_it_changes_a_keys_identifier_system(
        self,
        owner_client: Client,
        acworth_key: tuple[IntegrationKey, str],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        key = acworth_key[0]
        assert authenticate(acworth_key[1]) is not None  # the key's row is in the cache now
        sent = {"fhir_identifier_system": " https://pms.example.com/charts "}

        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(self.path(key), sent)

        assert response.status_code == 302
        key.refresh_from_db()
        assert key.fhir_identifier_system == "https://pms.example.com/charts"
        audit = AuditEvent.objects.get(action="integration_key.fhir_identifier_system")
        assert audit.detail["after"] == "https://pms.example.com/charts"
        page = owner_client.get(KEYS).content.decode()
        assert 'value="https://pms.example.com/charts"' in page
        # The key's next call reads the changed row, not the cached one.
        found = authenticate(acworth_key[1])
        assert found is not None
        assert found.fhir_identifier_system == "https://pms.example.com/charts"

    def test_it_refuses_what_is_not_a_uri_and_changes_nothing(
        self, owner_client: Client, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        key = acworth_key[0]

        response = owner_client.post(self.path(key), {"fhir_identifier_system": "chart ids"})

        assert response.status_code == 422
        assert "Enter a URI: a scheme, a colon and the rest" in response.content.decode()
        assert 'value="chart ids"' in response.content.decode()
        key.refresh_from_db()
        assert key.fhir_identifier_system == "urn:rewardshub:chart"
        assert not AuditEvent.objects.filter(
            action="integration_key.fhir_identifier_system"
        ).exists()

    def test_it_is_for_owners_and_admins_of_the_keys_practice(
        self,
        frontdesk_client: Client,
        outsider_client: Client,
        acworth_key: tuple[IntegrationKey, str],
    ) -> None:
        key = acworth_key[0]
        sent = {"fhir_identifier_system": "urn:oid:9"}
        assert frontdesk_client.post(self.path(key), sent).status_code == 403
        assert outsider_client.post(self.path(key), sent).status_code == 404
        key.refresh_from_db()
        assert key.fhir_identifier_system == "urn:rewardshub:chart"


class TestTagMappingPage:
    def _tag(self, practice: Practice, name: str) -> Tag:
        return Tag.objects.get(practice=practice, name=name)

    def test_it_adds_a_mapping_that_syncs_then_apply(
        self, owner_client: Client, acworth: Practice, api: Api, cards: list[str]
    ) -> None:
        tag = self._tag(acworth, "*Orthodontic Patient")
        response = owner_client.post(
            RULES,
            {"system": "orthotrac", "field": "pms_status", "value": " Active  Tx ", "tag": tag.pk},
        )
        assert response.status_code == 302
        rule = TagRule.objects.get()
        assert (rule.value, rule.tag) == ("Active Tx", tag)

        api.set_card(CHART, cards[0], pms_status="ACTIVE TX", **EMMA)
        assert api.status(CHART).json()["tags"] == ["*Orthodontic Patient"]

    def test_it_refuses_a_second_mapping_of_the_same_value(
        self, owner_client: Client, acworth: Practice, tag_rules: list[TagRule]
    ) -> None:
        tag = self._tag(acworth, "*Adult Patient")
        response = owner_client.post(
            RULES,
            {"system": "orthotrac", "field": "pms_status", "value": "active tx", "tag": tag.pk},
        )
        assert response.status_code == 422
        assert (
            "The PMS status “active tx” already has a tag. Delete that mapping first"
            in response.content.decode()
        )
        assert TagRule.objects.count() == len(tag_rules)

    def test_it_offers_no_tag_of_another_practice(
        self, owner_client: Client, riverside: Practice
    ) -> None:
        theirs = self._tag(riverside, "*Riverside")
        response = owner_client.post(
            RULES, {"system": "orthotrac", "field": "office", "value": "RIV", "tag": theirs.pk}
        )
        assert response.status_code == 422
        assert not TagRule.objects.exists()

    def test_it_deletes_a_mapping(
        self, owner_client: Client, tag_rules: list[TagRule], outsider_client: Client
    ) -> None:
        rule = tag_rules[0]
        assert outsider_client.post(f"{RULES}{rule.public_id}/delete/").status_code == 404
        assert owner_client.post(f"{RULES}{rule.public_id}/delete/").status_code == 302
        assert not TagRule.objects.filter(pk=rule.pk).exists()
        assert AuditEvent.objects.filter(action="tag_rule.delete").exists()


class TestChartTabPage:
    def test_it_saves_the_allowed_origins(self, owner_client: Client, acworth: Practice) -> None:
        response = owner_client.post(
            CHART_TAB, {"origins": "http://127.0.0.1:8001\nHTTPS://PMS.example.com/"}
        )
        assert response.status_code == 302
        acworth.refresh_from_db()
        assert acworth.frame_ancestors == "http://127.0.0.1:8001 https://pms.example.com"
        assert AuditEvent.objects.filter(action="practice.frame_ancestors").exists()

    def test_it_refuses_anything_but_an_origin(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        response = owner_client.post(
            CHART_TAB, {"origins": "https://pms.example.com/path; script-src *"}
        )
        assert response.status_code == 422
        assert "is not an origin" in response.content.decode()
        acworth.refresh_from_db()
        assert acworth.frame_ancestors == ""


class TestSyncLogPage:
    def test_it_lists_failures_needing_attention_first_with_the_reason(
        self, owner_client: Client, api: Api, cards: list[str]
    ) -> None:
        api.launch("OT-404")  # fails: never synced
        api.set_card(CHART, "1234", **EMMA)  # fails, then succeeds below
        api.set_card(CHART, cards[0], **EMMA)

        page = owner_client.get(SYNC_LOG).content.decode()

        attention = page.split('id="needs-attention"', 1)[1].split("</section>", 1)[0]
        assert "OT-404" in attention
        assert "This patient has not synced with the Patient Rewards Hub." in attention
        assert CHART not in attention  # synced since
        assert f"Created hub patient {cards[0]}" in page

    def test_it_pages_the_log(self, owner_client: Client, api: Api) -> None:
        for _ in range(55):
            api.status("OT-1")
        assert SyncEvent.objects.count() == 55
        assert "Page 1 of 2" in owner_client.get(SYNC_LOG).content.decode()
        assert "Page 2 of 2" in owner_client.get(SYNC_LOG + "?page=2").content.decode()

    def test_it_shows_no_other_practices_syncs(
        self, outsider_client: Client, api: Api, riverside: Practice
    ) -> None:
        api.launch("SECRET-CHART")
        assert "SECRET-CHART" not in outsider_client.get(SYNC_LOG).content.decode()

    def test_it_is_for_owners_and_admins_only(self, frontdesk_client: Client) -> None:
        assert frontdesk_client.get(SYNC_LOG).status_code == 403


class TestOrigins:
    def test_it_accepts_hosts_ports_and_ipv6(self) -> None:
        assert parse_origins("https://a.example.com, http://[::1]:8001 http://localhost:8001") == [
            "https://a.example.com",
            "http://[::1]:8001",
            "http://localhost:8001",
        ]

    @pytest.mark.parametrize(
        "bad",
        [
            "ftp://x.example",
            "https://x.example/path",
            "'self'",
            "*",
            "https://x.example:99999",
            "x",
        ],
    )
    def test_it_refuses_what_is_not_an_origin(self, bad: str) -> None:
        with pytest.raises(OriginError, match="is not an origin"):
            parse_origins(bad)

    def test_it_frames_for_no_one_without_origins(self) -> None:
        assert frame_ancestors("") == ["'none'"]

    @given(st.text(max_size=80))
    def test_it_never_lets_a_quote_semicolon_or_space_through(self, text: str) -> None:
        try:
            origins = parse_origins(text)
        except OriginError:
            return
        for origin in origins:
            assert not set(origin) & set("';\" \t\n,")


def test_it_makes_keys_for_other_systems_use_their_own_path(riverside: Practice) -> None:
    _, token = make_key(riverside, system="dolphin")
    dolphin = Api(client=Client(), token=token, system="dolphin")
    assert dolphin.status("D-1").json() == {"linked": False}
