"""What a rule does, in plain words, for Settings > Automatic points. No Django:
the page shows it under each rule, and the tests read it as a person would."""

from __future__ import annotations

from collections.abc import Sequence

from rewardshub.wording import count_of

# The triggers paid for an appointment (models.APPOINTMENT_TRIGGERS, as plain strings).
APPOINTMENT = frozenset({"kept", "on_time", "early", "late", "missed", "confirmed", "next_booked"})
TIMES = {1: "once", 2: "twice"}


def rule_text(
    trigger: str,
    points: int,
    *,
    appointment_types: Sequence[str] = (),
    daily_limit: int | None = None,
    grace_minutes: int = 5,
    early_minutes: int = 10,
    window_hours: int = 24,
    milestone_status: str = "",
    referral_stage: str = "Started treatment",
) -> str:
    """One rule's effect, e.g. "Patients who arrive on time get 3 points. Up to 5
    minutes after the start counts as on time. Only for appointment types ADJ, DEB."
    Type codes and the daily limit are said only for appointment rules, the only
    ones they apply to."""
    given = count_of(points, "point")
    if trigger == "referral":
        return (
            f"A patient gets {given} for each friend they refer, once, when the friend "
            f"reaches “{referral_stage}”."
        )
    sentences = [
        _what(trigger, given, grace_minutes, early_minutes, window_hours, milestone_status)
    ]
    if trigger in APPOINTMENT:
        if trigger == "on_time":
            sentences.append(
                f"Up to {count_of(grace_minutes, 'minute')} after the start counts as on time."
            )
        codes = [code for code in appointment_types if code]
        if codes:
            sentences.append(f"Only for appointment types {', '.join(codes)}.")
        if daily_limit is not None:
            sentences.append(f"At most {TIMES.get(daily_limit, f'{daily_limit:,} times')} a day.")
    return " ".join(sentences)


def _what(
    trigger: str,
    given: str,
    grace_minutes: int,
    early_minutes: int,
    window_hours: int,
    milestone_status: str,
) -> str:
    if trigger == "kept":
        return f"Patients who keep their appointment get {given}."
    if trigger == "on_time":
        return f"Patients who arrive on time get {given}."
    if trigger == "early":
        return (
            f"Patients who arrive at least {count_of(early_minutes, 'minute')} early get {given}."
        )
    if trigger == "late":
        return (
            f"Patients who arrive more than {count_of(grace_minutes, 'minute')} late lose {given} "
            "(never below zero)."
        )
    if trigger == "missed":
        return f"Patients who miss their appointment lose {given} (never below zero)."
    if trigger == "confirmed":
        return f"Patients who confirm their appointment get {given}."
    if trigger == "next_booked":
        return (
            f"Patients who book their next visit within {count_of(window_hours, 'hour')} "
            f"of check-out get {given}."
        )
    if trigger == "welcome":
        return f"Each patient gets {given} when their first card is connected."
    if trigger == "birthday":
        return f"Birthday: {given} once a year in the week of the birthday."
    if trigger == "milestone":
        if milestone_status:
            return (
                f"Each patient gets {given} once, when the PMS sets their status "
                f"to “{milestone_status}”."
            )
        return (
            f"Each patient gets {given} once, at a treatment milestone (no PMS status named yet)."
        )
    raise ValueError(f"unknown trigger {trigger!r}")
