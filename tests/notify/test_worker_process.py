"""`rewardshub worker` as `make run` and a deployment start it: a process of its own,
on its own database connection, that sends what the hub queued and stops cleanly on
SIGTERM, printing no patient's data."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.live_hub import hub_env, rewardshub
from tests.test_backup import scratch_env  # noqa: F401 (the fixture)

PATIENT_EMAIL = "olivia.worker@example.com"
# Olivia (the demo's) asks for order mail; staff cancel an order of hers with a reason.
QUEUE_A_MAIL = f"""
from rewardshub.audit.actors import Actor
from rewardshub.notify.actions import set_preferences
from rewardshub.patients.models import Profile
from rewardshub.points.models import Prize
from rewardshub.points.orders import cancel_order, order_prize
actor = Actor.system("test")
olivia = Profile.objects.get(practice__slug="acworth", first_name="Olivia")
Profile.objects.filter(pk=olivia.pk).update(email={PATIENT_EMAIL!r})
set_preferences(profile=olivia, wanted={{"order_cancelled": True}}, actor=actor)
prize = Prize.objects.create(practice=olivia.practice, name="Test kazoo", cost=1)
order = order_prize(practice=olivia.practice, profile=olivia, prize=prize, actor=actor)
cancel_order(practice=olivia.practice, order=order, actor=actor, reason="Kazoos are too loud")
"""


@pytest.mark.slow
def test_the_worker_process_sends_queued_mail_and_stops_on_sigterm(
    scratch_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    env = hub_env(scratch_env, var)
    rewardshub(env, "migrate", "-v0")
    rewardshub(env, "demo", "--out", str(var / "demo.json"))
    rewardshub(env, "shell", "-c", QUEUE_A_MAIL)
    log = tmp_path / "worker.log"
    with log.open("w") as sink:
        worker = subprocess.Popen(
            [sys.executable, "-m", "rewardshub", "worker", "--interval", "0.2"],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            mail_dir = var / "mail"
            while time.monotonic() < deadline and not (
                mail_dir.exists() and any(mail_dir.glob("*.eml"))
            ):
                assert worker.poll() is None, log.read_text()
                time.sleep(0.2)
            sent = list(mail_dir.glob("*.eml"))
            assert len(sent) == 1, log.read_text()
            text = sent[0].read_text()
            assert "Kazoos are too loud" in text and PATIENT_EMAIL in text
        finally:
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=30)
    output = log.read_text()
    assert code == 0, output
    assert "running jobs" in output and "state=SUCCESSFUL" in output
    for private in (PATIENT_EMAIL, "Olivia", "Kazoos"):
        assert private not in output
