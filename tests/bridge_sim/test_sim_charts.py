"""The simulator's chart storage, demo seed and settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pms_sim import charts
from pms_sim.seed import DEMO_CHARTS, EMMA_CHART_ID, seed
from pms_sim.settings import Settings
from rewardshub.integrations.identity import Identity, differences


def test_the_demo_has_new_patients_and_emma_johnson() -> None:
    emma = [c for c in DEMO_CHARTS if c["chart_id"] == EMMA_CHART_ID]
    others = [c for c in DEMO_CHARTS if c["chart_id"] != EMMA_CHART_ID]

    assert (emma[0]["first_name"], emma[0]["last_name"]) == ("Emma", "Johnson")
    assert len(others) >= 5
    assert {c["pms_status"] for c in DEMO_CHARTS} >= {"Active Tx", "Retainer", "New Patient"}
    assert {c["office"] for c in DEMO_CHARTS} == {"ACW", "MAR"}
    assert len({c["chart_id"] for c in DEMO_CHARTS}) == len(DEMO_CHARTS)


def test_seeding_twice_adds_the_charts_once(tmp_path: Path) -> None:
    db = tmp_path / "sim.sqlite3"

    assert seed(db) == len(DEMO_CHARTS)
    assert seed(db) == 0

    with charts.connect(db) as conn:
        assert len(charts.search(conn)) == len(DEMO_CHARTS)


def test_seeding_keeps_charts_added_since(tmp_path: Path) -> None:
    db = tmp_path / "sim.sqlite3"
    seed(db)
    with charts.connect(db) as conn:
        added = charts.create(conn, {"first_name": "Zoe", "last_name": "Adams"})

    seed(db)

    with charts.connect(db) as conn:
        assert charts.get(conn, added.chart_id) == added


def test_new_charts_get_the_next_ot_number(tmp_path: Path) -> None:
    db = tmp_path / "sim.sqlite3"
    charts.init_db(db)
    with charts.connect(db) as conn:
        first = charts.create(conn, {"first_name": "A", "last_name": "B"})
        second = charts.create(conn, {"first_name": "C", "last_name": "D"})

    assert (first.chart_id, second.chart_id) == ("OT-10001", "OT-10002")


def test_search_matches_names_and_chart_ids_in_any_case(sim_db: Path) -> None:
    with charts.connect(sim_db) as conn:
        assert [c.chart_id for c in charts.search(conn, "johnson")] == [EMMA_CHART_ID]
        assert [c.chart_id for c in charts.search(conn, "emma JOHN")] == [EMMA_CHART_ID]
        assert [c.chart_id for c in charts.search(conn, "ot-10002")] == ["OT-10002"]
        assert [c.chart_id for c in charts.search(conn, "Sophie")] == ["OT-10002"]
        assert charts.search(conn, "%") == []


def test_demographics_leave_out_blanks_and_the_chart_id() -> None:
    chart = charts.Chart(chart_id="OT-1", first_name="A", last_name="B", office="ACW")

    assert chart.demographics() == {"first_name": "A", "last_name": "B", "office": "ACW"}


def test_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "PMS_SIM_PORT": "9001",
            "PMS_SIM_DB": "/tmp/x.sqlite3",
            "PMS_SIM_HUB_URL": "http://hub:8000",
            "PMS_SIM_API_KEY": "k",
        }
    )

    assert settings == Settings(9001, Path("/tmp/x.sqlite3"), "http://hub:8000", "k")
    assert Settings.from_env({}) == Settings(
        8001, Path("var/pms_sim.sqlite3"), "http://127.0.0.1:8000", ""
    )


@pytest.mark.parametrize("port", ["http", "0", "70000"])
def test_settings_refuse_a_bad_port(port: str) -> None:
    with pytest.raises(ValueError, match="PMS_SIM_PORT must be a port number"):
        Settings.from_env({"PMS_SIM_PORT": port})


def test_the_demo_hub_patient_of_a_sim_chart_is_the_same_person() -> None:
    """Set card links an existing hub patient at once only when names and birth date agree,
    so the demo's "existing hub patient" (Emma, OT-10004) must agree with her chart."""
    from rewardshub.demo import DEMO_PRACTICES

    hub = {
        (patient.first, patient.last): patient
        for practice in DEMO_PRACTICES
        for patient in practice.patients
    }
    shared = [chart for chart in DEMO_CHARTS if (chart["first_name"], chart["last_name"]) in hub]
    assert [chart["chart_id"] for chart in shared] == [EMMA_CHART_ID]
    for chart in shared:
        patient = hub[(chart["first_name"], chart["last_name"])]
        chart_side = Identity(
            chart["first_name"],
            chart["last_name"],
            chart["preferred_name"],
            dt.date.fromisoformat(chart["birth_date"]),
        )
        born = dt.date.fromisoformat(patient.birth_date)
        hub_side = Identity(patient.first, patient.last, patient.preferred, born)
        assert differences(chart_side, hub_side) == []
