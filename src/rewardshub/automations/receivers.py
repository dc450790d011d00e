"""What automatic points does when lower apps say something happened."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from rewardshub.automations.ledger import AUTOMATIC, reconcile
from rewardshub.automations.milestones import pay_milestones
from rewardshub.automations.models import APPOINTMENT_TRIGGERS, Appointment, AutoRule, Trigger
from rewardshub.automations.once import pay_once
from rewardshub.cards.signals import card_activated
from rewardshub.patients.models import ProfileKind


@receiver(card_activated, dispatch_uid="automations.card")
def _card_connected(sender: Any, card: Any, profile: Any, **kwargs: Any) -> None:
    """A card was connected: the welcome points if it is the patient's first,
    a treatment milestone the chart reached before the card, and the
    appointments the PMS sent before now count from this day."""
    if profile.kind != ProfileKind.MEMBER:
        return
    enabled = {
        rule.trigger: rule
        for rule in AutoRule.objects.filter(practice_id=profile.practice_id, enabled=True)
    }
    if not enabled:
        return
    practice = card.practice
    welcome = enabled.get(Trigger.WELCOME)
    if welcome is not None:
        pay_once(practice, profile, welcome, "", "Welcome")
    if Trigger.MILESTONE in enabled:
        pay_milestones(practice, [profile.pk])
    if (
        APPOINTMENT_TRIGGERS.intersection(enabled)
        and Appointment.objects.filter(profile=profile).exists()
    ):
        reconcile(practice, profile, actor=AUTOMATIC)
