"""The benchmark harness's own logic on fixed inputs: no server, no wrk run."""

from __future__ import annotations

from typing import Any

import pytest
from bench import report, wrkout
from bench.invariant import Violation, violations

WRK_OUTPUT = """\
Running 4s test @ http://127.0.0.1:40123/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.61ms    2.87ms  41.04ms   91.27%
    Req/Sec     3.28k   354.85     4.01k    72.50%
  Latency Distribution
     50%    2.36ms
     75%    3.01ms
     90%    4.73ms
     99%    1.02s
  26316 requests in 4.04s, 5.20MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   6516.48
Transfer/sec:      1.29MB
"""


def test_it_reads_throughput_percentiles_and_errors() -> None:
    result = wrkout.parse(WRK_OUTPUT)
    assert result.requests == 26316
    assert result.seconds == pytest.approx(4.04)
    assert result.rps == pytest.approx(6516.48)
    assert result.p50_ms == pytest.approx(2.36)
    assert result.p99_ms == pytest.approx(1020.0)
    assert result.non_2xx == 7
    assert result.socket_errors == 3


def test_it_reads_microseconds_and_thousands() -> None:
    text = WRK_OUTPUT.replace("2.36ms", "812.00us").replace("6516.48", "6.52k")
    result = wrkout.parse(text)
    assert result.p50_ms == pytest.approx(0.812)
    assert result.rps == pytest.approx(6520.0)


def test_it_counts_no_errors_when_wrk_reports_none() -> None:
    lines = [
        line for line in WRK_OUTPUT.splitlines() if "errors" not in line and "Non-2xx" not in line
    ]
    result = wrkout.parse("\n".join(lines))
    assert (result.non_2xx, result.socket_errors) == (0, 0)


def test_it_refuses_output_without_latency_distribution() -> None:
    text = "\n".join(line for line in WRK_OUTPUT.splitlines() if "%  " not in line[:12])
    with pytest.raises(ValueError, match="latency distribution"):
        wrkout.parse(text)


def test_it_refuses_a_failed_run() -> None:
    with pytest.raises(ValueError, match="request count"):
        wrkout.parse("unable to connect to 127.0.0.1:9 Connection refused\n")


def test_it_finds_no_violation_when_balances_match_ledger_sums() -> None:
    assert violations([(1, 15), (2, 0), (3, -0)], [(1, 15)]) == []


def test_it_reports_a_balance_that_differs_from_its_ledger_sum() -> None:
    found = violations([(1, 15), (2, 10)], [(1, 15), (2, 5)])
    assert found == [Violation(profile_id=2, balance=10, ledger_sum=5)]


def test_it_reports_a_balance_without_entries_and_entries_without_a_profile() -> None:
    found = violations([(1, 3)], [(9, 4)])
    assert found == [Violation(1, 3, 0), Violation(9, 0, 4)]


def test_it_marks_a_failed_row_in_the_table() -> None:
    run = {
        "rows": [
            {"scenario": "1. lookup", "rps": 100.0, "p50_ms": 5.0, "p99_ms": 30.0,
             "peak_rss_mb": 60.0, "baseline": "bare", "ratio": 0.2,
             "target": "≥ 0.35 × bare, p99 ≤ 25 ms", "passed": False},
        ]
    }
    text = report.table(run)
    assert "| 1. lookup | 100 req/s | 5.00 ms | 30.00 ms | 60.0 MB | 0.20 × bare" in text
    assert "**FAIL**" in text


def test_the_database_check_finds_a_balance_that_disagrees_with_its_ledger(
    acworth: Any, make_profile: Any
) -> None:
    from bench.invariant import check_database
    from django.db import transaction

    from rewardshub.audit.actors import Actor
    from rewardshub.patients.models import Profile
    from rewardshub.points.ledger import lock_profile, post

    good, bad = make_profile(acworth), make_profile(acworth, first="Liam")
    for profile, points in ((good, 15), (bad, 5), (bad, 7)):
        with transaction.atomic():
            locked = lock_profile(acworth, profile)
            post(practice=acworth, profile=locked, points=points, kind="adjust",
                 actor=Actor.system("t"), description="test")
    assert check_database([good.pk, bad.pk]) == []
    Profile.objects.filter(pk=bad.pk).update(points_balance=10)
    assert check_database([good.pk, bad.pk]) == [Violation(bad.pk, 10, 12)]
    assert check_database() == [Violation(bad.pk, 10, 12)]
