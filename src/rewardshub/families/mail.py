"""The invitation mail: the email-verification mail with the link that sets the password.

Queued after the invitation's transaction commits (the job sees the guardian
row, and a broken queue never undoes the invitation) and sent by the worker
(jobs). The link is made when the mail is sent, so it carries the latest
invitation; a guardian verified in the meantime gets no mail.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.families.models import Guardian
from rewardshub.families.tokens import INVITATION_HOURS, make_token
from rewardshub.jobs.models import Job
from rewardshub.jobs.queue import enqueue
from rewardshub.jobs.runner import finishing
from rewardshub.notify.compose import build_message, site_url
from rewardshub.notify.kinds import EMAIL_VERIFICATION

INVITATION_JOB = "mail.guardian_invitation"
MAILER = Actor.system("Patient mail")


def queue_invitation(guardian: Guardian) -> None:
    key = f"guardian-invitation:{guardian.pk}:{guardian.invited_at.timestamp():.6f}"
    practice_id, guardian_id = guardian.practice_id, guardian.pk

    def queue() -> None:
        enqueue(
            practice_id=practice_id, kind=INVITATION_JOB, key=key, payload={"guardian": guardian_id}
        )

    transaction.on_commit(queue, robust=True)


def send(job: Job) -> str:
    guardian = Guardian.objects.filter(pk=job.payload["guardian"], practice=job.practice).first()
    if guardian is None:
        return "not sent: the invitation was withdrawn"
    if guardian.verified_at is not None:
        return "not sent: the email is verified already"
    link = site_url(reverse("portal_family:welcome", kwargs={"token": make_token(guardian)}))
    context = {"first_name": "there", "link": link, "hours": INVITATION_HOURS}
    # Transactional (notify.kinds): never opted out of, no unsubscribe link.
    build_message(EMAIL_VERIFICATION, job.practice, guardian.email, context).send()
    with finishing(job, "sent"):
        record_event(
            practice=job.practice,
            actor=MAILER,
            action="mail.sent",
            detail={"kind": EMAIL_VERIFICATION, "guardian": guardian.public_id.hex},
        )
    return "sent"
