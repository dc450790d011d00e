"""The demo's mail choices (called by rewardshub/demo.py): a few patients opted in.

So Settings > Patient mail and the points-earned digest have someone to mail
in a fresh demo. Only a patient with no choices yet is opted in, so a second
run of `rewardshub demo` changes nothing, and a choice made since (in the
portal, or by an unsubscribe link) stays as it is.
"""

from __future__ import annotations

from rewardshub.audit.actors import Actor
from rewardshub.notify import kinds
from rewardshub.notify.actions import set_preferences
from rewardshub.notify.models import MailPreference
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

# (practice slug, first name, last name) -> the kinds of mail that patient asked for.
DEMO_MAIL: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("acworth", "Emma", "Johnson"): kinds.OPT_IN_VALUES,
    ("acworth", "Olivia", "Chen"): (kinds.POINTS_EARNED, kinds.PRIZE_READY, kinds.BIRTHDAY),
    ("acworth", "Isabella", "Rossi"): (kinds.POINTS_EARNED,),
    ("riverside", "Lucas", "Greene"): (kinds.POINTS_EARNED, kinds.PRIZE_READY),
}


def ensure_demo_mail(practice: Practice, actor: Actor) -> list[Profile]:
    """Opt the practice's demo patients in, those who never chose; return them."""
    opted = []
    for (slug, first, last), wanted in DEMO_MAIL.items():
        if slug != practice.slug:
            continue
        profile = Profile.objects.filter(
            practice=practice, first_name=first, last_name=last, merged_into__isnull=True
        ).first()
        if profile is None or MailPreference.objects.filter(profile=profile).exists():
            continue
        set_preferences(profile=profile, wanted=dict.fromkeys(wanted, True), actor=actor)
        opted.append(profile)
    return opted
