"""`rewardshub demo`: the demo practices, idempotent, and the var/demo.json it writes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from tests.conftest import SYSTEM

from pms_sim.seed import DEMO_CHARTS
from rewardshub.audit.models import AuditEvent
from rewardshub.cards.models import Card, CardBatch, CardState
from rewardshub.cards.temp_passwords import check_temp_password
from rewardshub.integrations.keys import authenticate as authenticate_key
from rewardshub.integrations.models import TagRule
from rewardshub.patients.actions import create_profile
from rewardshub.patients.models import Profile, Tag, TagGroup
from rewardshub.practices.models import Location, Membership, Practice

HUB = "http://127.0.0.1:8123"


def _demo(out: Path, *extra: str) -> str:
    printed = io.StringIO()
    call_command("demo", "--hub-url", HUB, "--out", str(out), *extra, stdout=printed)
    return printed.getvalue()


def _counts() -> dict[str, int]:
    models: list[Any] = [
        Practice,
        Location,
        Membership,
        get_user_model(),
        Profile,
        Tag,
        TagGroup,
        Card,
        CardBatch,
        AuditEvent,
    ]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def demo_file(db: Any, tmp_path: Path) -> Path:
    out = tmp_path / "var" / "demo.json"
    _demo(out)
    return out


def _practice(data: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(p for p in data["practices"] if p["slug"] == slug)


def test_it_changes_nothing_when_run_twice(demo_file: Path) -> None:
    first_counts, first_json = _counts(), demo_file.read_text()
    _demo(demo_file)
    assert _counts() == first_counts
    assert demo_file.read_text() == first_json
    assert first_counts["Practice"] == 2 and first_counts["CardBatch"] == 2


def test_it_writes_the_demo_json_structure(demo_file: Path) -> None:
    data = json.loads(demo_file.read_text())
    assert list(data) == ["hub_url", "practices", "charts"]
    assert data["hub_url"] == HUB
    assert [p["slug"] for p in data["practices"]] == ["acworth", "riverside"]
    acworth = _practice(data, "acworth")
    assert list(acworth) == [
        "slug",
        "name",
        "staff",
        "cards_available",
        "cards_available_passwords",
        "cards_with_temp_passwords",
        "profiles",
        "api_key",
        "portal_url",
    ]
    assert acworth["portal_url"] == f"{HUB}/portal/"
    assert acworth["name"] == "Acworth Orthodontics"
    assert acworth["staff"] == [
        {"username": "owner", "password": "rewardshub-demo", "role": "owner"},
        {"username": "frontdesk", "password": "rewardshub-demo", "role": "rewards"},
    ]
    assert _practice(data, "riverside")["staff"] == [
        {"username": "riverside", "password": "rewardshub-demo", "role": "owner"}
    ]


def test_it_lists_the_issued_unused_cards_with_working_temp_passwords(demo_file: Path) -> None:
    data = json.loads(demo_file.read_text())
    for slug, issued in (("acworth", 100), ("riverside", 20)):
        entry = _practice(data, slug)
        with_card = [p for p in entry["profiles"] if p["card"]]
        assert len(entry["cards_available"]) == issued - len(with_card)
        cards = Card.objects.filter(number__in=entry["cards_available"])
        assert {c.state for c in cards} == {CardState.AVAILABLE}
        assert {c.practice.slug for c in cards} == {slug}
        assert set(entry["cards_available_passwords"]) == set(entry["cards_available"])
        assert entry["cards_with_temp_passwords"] == [
            {"number": n, "temp_password": entry["cards_available_passwords"][n]}
            for n in entry["cards_available"]
        ]
        card = cards.first()
        assert card is not None
        assert check_temp_password(
            entry["cards_available_passwords"][card.number], card.temp_password_hash
        )


def test_it_creates_the_profiles_the_demo_and_simulator_rely_on(demo_file: Path) -> None:
    acworth = _practice(json.loads(demo_file.read_text()), "acworth")
    profiles = {p["name"]: p for p in acworth["profiles"]}
    assert 5 <= len(profiles) <= 8
    emma = Profile.objects.get(practice__slug="acworth", first_name="Emma", last_name="Johnson")
    assert profiles["Emma Johnson"] == {
        "username": emma.username,
        "name": "Emma Johnson",
        "card": emma.username,
        "temp_password": profiles["Emma Johnson"]["temp_password"],
    }
    assert set(emma.tags.values_list("name", flat=True)) >= {"*Orthodontic Patient", "*Acworth"}
    without_card = [name for name, p in profiles.items() if p["card"] is None]
    assert len(without_card) == 1
    # Only Emma matches a simulator chart; the other charts are new patients.
    charts = {f"{c['first_name']} {c['last_name']}" for c in DEMO_CHARTS}
    assert charts & set(profiles) == {"Emma Johnson"}


def test_it_creates_the_practices_with_locations_and_tag_groups(demo_file: Path) -> None:
    acworth = Practice.objects.get(slug="acworth")
    assert list(acworth.locations.values_list("name", flat=True)) == ["Acworth", "Marietta"]
    groups = {g.name: list(g.tags.values_list("name", flat=True)) for g in acworth.tag_groups.all()}
    assert groups == {
        "Status": [
            "*Orthodontic Patient",
            "*Retainer Patient",
            "*Future Patient",
            "*Adult Patient",
        ],
        "Location": ["*Acworth", "*Marietta"],
        "Interests": ["Sports", "Music", "Gaming"],
    }
    riverside = Practice.objects.get(slug="riverside")
    assert riverside.name == "Riverside Dental"
    assert list(riverside.locations.values_list("name", flat=True)) == ["Riverside"]
    assert Profile.objects.filter(practice=riverside).count() == 3


def test_it_gives_the_demo_staff_their_password(demo_file: Path) -> None:
    for username in ("owner", "frontdesk", "riverside"):
        assert authenticate(username=username, password="rewardshub-demo") is not None


def test_it_keeps_the_temp_passwords_from_the_previous_file(demo_file: Path) -> None:
    before = json.loads(demo_file.read_text())
    demo_file.unlink()
    _demo(demo_file)
    after = json.loads(demo_file.read_text())
    # Hashes cannot be read back: without the old file the passwords are unknown.
    assert [p["cards_available_passwords"] for p in after["practices"]] == [{}, {}]
    assert [p["cards_with_temp_passwords"] for p in after["practices"]] == [[], []]
    assert not any("temp_password" in p for e in after["practices"] for p in e["profiles"])
    assert [p["cards_available"] for p in after["practices"]] == [
        p["cards_available"] for p in before["practices"]
    ]


def test_it_drops_cards_used_since_the_last_run(demo_file: Path, make_profile: Any) -> None:
    acworth = _practice(json.loads(demo_file.read_text()), "acworth")
    used = acworth["cards_available"][0]
    make_profile(Practice.objects.get(slug="acworth"), first="New", last="Patient", card=used)
    _demo(demo_file)
    again = _practice(json.loads(demo_file.read_text()), "acworth")
    assert used not in again["cards_available"]
    assert used not in again["cards_available_passwords"]
    password = acworth["cards_available_passwords"][used]
    assert {
        "username": used,
        "name": "New Patient",
        "card": used,
        "temp_password": password,
    } in again["profiles"]


def test_it_never_offers_a_card_set_as_a_username(demo_file: Path) -> None:
    # Orthotrac's Set Card made the card a new patient's username; staff have not connected it.
    acworth = _practice(json.loads(demo_file.read_text()), "acworth")
    number = acworth["cards_available"][0]
    create_profile(
        practice=Practice.objects.get(slug="acworth"),
        data={"first_name": "Set", "last_name": "Patient"},
        actor=SYSTEM,
        username=number,
    )
    _demo(demo_file)
    again = _practice(json.loads(demo_file.read_text()), "acworth")
    assert Card.objects.get(number=number).state == CardState.AVAILABLE
    assert number not in again["cards_available"]
    assert number not in again["cards_available_passwords"]
    assert number not in [c["number"] for c in again["cards_with_temp_passwords"]]
    assert len(again["cards_available"]) == len(acworth["cards_available"]) - 1


def test_it_adds_missing_demo_staff_on_a_later_run(demo_file: Path) -> None:
    Membership.objects.filter(user__username="frontdesk").delete()
    _demo(demo_file)
    assert Membership.objects.get(user__username="frontdesk").role == "rewards"


def test_it_prints_the_hub_url_and_the_logins(db: Any, tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    printed = _demo(out, "--pms-sim-url", "http://127.0.0.1:8124")
    assert printed.startswith(f"RewardsHub demo: {HUB}\n")
    assert "sign in as frontdesk / rewardshub-demo (rewards)" in printed
    assert "sign in as riverside / rewardshub-demo (owner)" in printed
    assert printed.rstrip().endswith(f"Demo logins, cards and integration keys written to {out}")
    assert json.loads(out.read_text())["pms_sim_url"] == "http://127.0.0.1:8124"


def test_it_gives_each_practice_a_working_orthotrac_key(demo_file: Path) -> None:
    data = json.loads(demo_file.read_text())
    for slug in ("acworth", "riverside"):
        key = authenticate_key(_practice(data, slug)["api_key"])
        assert key is not None and key.practice.slug == slug and key.system == "orthotrac"


def test_it_keeps_the_key_on_a_second_run_and_replaces_it_when_lost(demo_file: Path) -> None:
    first = _practice(json.loads(demo_file.read_text()), "acworth")["api_key"]
    _demo(demo_file)
    assert _practice(json.loads(demo_file.read_text()), "acworth")["api_key"] == first
    demo_file.unlink()
    _demo(demo_file)
    second = _practice(json.loads(demo_file.read_text()), "acworth")["api_key"]
    assert (
        second != first and authenticate_key(first) is None and authenticate_key(second) is not None
    )


def test_it_lists_the_simulator_charts_and_which_have_a_hub_profile(demo_file: Path) -> None:
    charts = {c["name"]: c for c in json.loads(demo_file.read_text())["charts"]}
    assert charts["Emma Johnson"]["has_hub_profile"] is True
    assert sum(c["has_hub_profile"] for c in charts.values()) == 1
    assert all(c["chart_id"].startswith("OT-") for c in charts.values())


def test_it_maps_orthotrac_statuses_and_offices_to_tags(demo_file: Path) -> None:
    rules = dict(TagRule.objects.filter(practice__slug="acworth").values_list("value", "tag__name"))
    assert rules["Active Tx"] == "*Orthodontic Patient" and rules["ACW"] == "*Acworth"


def test_it_lets_the_simulator_frame_the_chart_tab(db: Any, tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    call_command(
        "demo", hub_url=HUB, pms_sim_url="http://127.0.0.1:8001", out=str(out), stdout=io.StringIO()
    )
    assert json.loads(out.read_text())["pms_sim_url"] == "http://127.0.0.1:8001"
    assert Practice.objects.get(slug="acworth").frame_ancestors == "http://127.0.0.1:8001"


def test_it_gives_the_demo_patients_a_working_portal_password(demo_file: Path) -> None:
    data = json.loads(demo_file.read_text())
    for entry in data["practices"]:
        with_card = [p for p in entry["profiles"] if p["card"]]
        assert with_card and all(p.get("temp_password") for p in with_card)
        for profile in with_card:
            card = Card.objects.get(number=profile["card"])
            assert check_temp_password(profile["temp_password"], card.temp_password_hash)
        assert all("temp_password" not in p for p in entry["profiles"] if not p["card"])
    # Kept on a later run, and dropped once the card's temporary password is used.
    emma = next(p for p in _practice(data, "acworth")["profiles"] if p["name"] == "Emma Johnson")
    _demo(demo_file)
    again = next(
        p
        for p in _practice(json.loads(demo_file.read_text()), "acworth")["profiles"]
        if p["name"] == "Emma Johnson"
    )
    assert again == emma
    Card.objects.filter(number=emma["card"]).update(temp_password_hash="")
    _demo(demo_file)
    spent = next(
        p
        for p in _practice(json.loads(demo_file.read_text()), "acworth")["profiles"]
        if p["name"] == "Emma Johnson"
    )
    assert "temp_password" not in spent
