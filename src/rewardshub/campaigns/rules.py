"""When a patient may collect a QR code's points: a rule on days alone, no Django.

Days are the practice's days (the caller converts). A code is valid from its
first day to its last, both included. Once a patient has collected it, a
code of one collection refuses every later scan; a code that repeats every
N days can be collected again N days after the day of the last collection
(once a day: the next day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def _(words: str) -> str:
    """Marks the words for the translation catalogue; they are translated where
    they are shown (campaigns.actions.refusal_words), so this module needs no Django."""
    return words


@dataclass(frozen=True)
class Refusal:
    code: str
    # The sentence, with %(name)s where each of `days` goes.
    words: str
    today: dt.date
    days: tuple[tuple[str, dt.date], ...] = ()

    @property
    def message(self) -> str:
        """The sentence in English, its days as `day_words` writes them."""
        return self.words % {name: day_words(day, self.today) for name, day in self.days}


def day_words(day: dt.date, today: dt.date) -> str:
    """ "Dec 5" this year, "Dec 5, 2025" another year."""
    text = f"{day:%b} {day.day}"
    return text if day.year == today.year else f"{text}, {day.year}"


def next_day(last: dt.date, repeat_days: int | None) -> dt.date | None:
    """The first day a patient who last collected on `last` may collect again; None: never."""
    if repeat_days is None:
        return None
    return last + dt.timedelta(days=repeat_days)


def refusal(
    *,
    active: bool,
    valid_from: dt.date,
    valid_until: dt.date | None,
    repeat_days: int | None,
    last_collected: dt.date | None,
    today: dt.date,
) -> Refusal | None:
    """Why this scan pays nothing, in words for the patient; None when it pays."""
    if not active:
        return Refusal(
            "qr_inactive", _("This code is no longer in use: it gives no more points."), today
        )
    if today < valid_from:
        return Refusal(
            "qr_not_yet",
            _("This code is not active yet: you can collect it from %(day)s."),
            today,
            (("day", valid_from),),
        )
    if valid_until is not None and today > valid_until:
        return Refusal(
            "qr_expired",
            _("This code expired on %(day)s: it gives no more points."),
            today,
            (("day", valid_until),),
        )
    if last_collected is None:
        return None
    again = next_day(last_collected, repeat_days)
    collected = ("day", last_collected)
    if again is None:
        return Refusal(
            "qr_collected",
            _("You collected this on %(day)s; it can be collected only once."),
            today,
            (collected,),
        )
    if today < again:
        if valid_until is not None and again > valid_until:
            return Refusal(
                "qr_collected",
                _("You collected this on %(day)s; the code ends before you can collect it again."),
                today,
                (collected,),
            )
        return Refusal(
            "qr_collected",
            _("You collected this on %(day)s; you can again on %(again)s."),
            today,
            (collected, ("again", again)),
        )
    return None


def slot(repeat_days: int | None, today: dt.date) -> str | None:
    """The value the database holds unique per code and patient (models.QrCollection.slot)."""
    if repeat_days is None:
        return "once"
    if repeat_days == 1:
        return today.isoformat()
    return None
