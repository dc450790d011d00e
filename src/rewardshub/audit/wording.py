"""Audit events in words for the Audit log page: "Viewed profile", "Connected card …1234".

Pure (no database): it reads the action code, the outcome and the detail
dict an action wrote. Codes it does not know yet read as their words
("pms.sync" -> "Pms sync"), so a new action never breaks the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rewardshub.notify.kinds import kind_named
from rewardshub.wording import count_of

Detail = dict[str, Any]


def _card(detail: Detail, key: str = "card_last4") -> str:
    last4 = detail.get(key)
    return f" …{last4}" if last4 else ""


def _names(values: Any) -> str:
    if isinstance(values, list | tuple):
        return ", ".join(str(v) for v in values)
    return str(values or "")


def _fields(detail: Detail) -> str:
    names = detail.get("fields") or []
    return ", ".join(str(n).replace("_", " ") for n in names)


def _with(text: str, extra: str, joiner: str = ": ") -> str:
    return f"{text}{joiner}{extra}" if extra else text


HUBS_OWN = "the hub's own"


def _branding(detail: Detail) -> str:
    """E.g. 'Changed the branding: primary colour #0b5394, new logo'."""
    parts = []
    for field in ("primary_colour", "accent_colour"):
        if field in detail:
            parts.append(f"{field.replace('_', ' ')} {detail[field] or HUBS_OWN}")
    if detail.get("logo"):
        parts.append("new logo" if detail["logo"] == "new" else "logo removed")
    return _with("Changed the branding", ", ".join(parts))


def _from_to(text: str, detail: Detail) -> str:
    return f"{text} “{detail.get('from', '')}” to “{detail.get('to', '')}”"


def _patients(count: Any) -> str:
    return f"{count} patient" if count == 1 else f"{count} patients"


def _cards(detail: Detail) -> str:
    count = detail.get("count")
    return count_of(count, "card") if isinstance(count, int) else "? cards"


def _tag_change(detail: Detail) -> str:
    parts = []
    if detail.get("added"):
        parts.append("added " + _names(detail["added"]))
    if detail.get("removed"):
        parts.append("removed " + _names(detail["removed"]))
    return _with("Changed tags", "; ".join(parts))


def _merge(detail: Detail) -> str:
    """What a profile merge moved: "Merged profile 6277…: moved 40 points, card …1234, ..."."""
    moved = [count_of(int(detail.get("points") or 0), "point")]
    moved += [f"card …{last4}" for last4 in detail.get("cards_moved") or []]
    if detail.get("tags"):
        moved.append("tags " + _names(detail["tags"]))
    for link in detail.get("links") or []:
        moved.append(f"the PMS link (chart {link.get('chart_id', '')})")
    if detail.get("portal_account") == "moved":
        moved.append("the portal account")
    if detail.get("appointments"):
        moved.append(count_of(int(detail["appointments"]), "appointment"))
    if detail.get("mail_added"):
        kinds = ", ".join(_mail_kind({"kind": k}) for k in detail["mail_added"])
        moved.append(f"the mail choices {kinds}")
    text = f"Merged profile {detail.get('merged_username', '')} into this one: moved " + ", ".join(
        moved
    )
    if detail.get("card_retired"):
        text += f"; retired card …{detail['card_retired']}"
    if detail.get("portal_account") == "closed":
        text += "; closed the merged profile's portal account (this profile keeps its own)"
    return text


_APPOINTMENT_WRITES = {
    "created": "Added an appointment",
    "updated": "Changed an appointment",
    "deleted": "Deleted an appointment",
}


_WORDS: dict[str, Callable[[Detail], str]] = {
    "profile.view": lambda d: "Viewed profile",
    "profile.create": lambda d: "Created profile" + (f" with card{_card(d)}" if _card(d) else ""),
    "profile.update": lambda d: _with("Changed details", _fields(d)),
    "profile.tag": _tag_change,
    "profile.untag": lambda d: (
        _with("Removed tag", _names(d.get("removed")))
        + (" (tag deleted)" if d.get("reason") == "tag deleted" else "")
    ),
    "card.connect": lambda d: f"Connected card{_card(d)}"
    + (
        f"; card{_card(d, 'retired_set_card_last4')} set in Orthotrac was retired, never connected"
        if d.get("retired_set_card_last4")
        else ""
    ),
    "card.replace": lambda d: f"Replaced card{_card(d, 'old_card_last4')} with card{_card(d)}",
    "cards.issue": lambda d: f"Issued a batch of {_cards(d)}",
    "cards.import": lambda d: f"Imported a batch of {_cards(d)}",
    "cards.print": lambda d: f"Printed card sheets of {_cards(d)} (without passwords)",
    "practice.create": lambda d: "Created the practice",
    "practice.update": lambda d: _with("Changed practice settings", _fields(d)),
    "practice.branding": lambda d: _branding(d),
    "location.create": lambda d: f"Added location “{d.get('name', '')}”",
    "location.rename": lambda d: _from_to("Renamed location", d),
    "location.deactivate": lambda d: f"Deactivated location “{d.get('name', '')}”",
    "location.activate": lambda d: f"Reactivated location “{d.get('name', '')}”",
    "staff.add": lambda d: f"Added staff member {d.get('username', '')} ({_role(d.get('role'))})",
    "staff.role": lambda d: (
        f"Changed the role of {d.get('username', '')} from {_role(d.get('from'))} "
        f"to {_role(d.get('to'))}"
    ),
    "staff.remove": lambda d: f"Removed staff member {d.get('username', '')}",
    "taggroup.create": lambda d: f"Added tag group “{d.get('name', '')}”",
    "taggroup.rename": lambda d: _from_to("Renamed tag group", d),
    "taggroup.delete": lambda d: f"Deleted tag group “{d.get('name', '')}”",
    "tag.create": lambda d: f"Added tag “{d.get('name', '')}” to {d.get('group', '')}",
    "tag.rename": lambda d: _from_to("Renamed tag", d),
    "tag.delete": lambda d: (
        f"Deleted tag “{d.get('name', '')}”"
        + (f" (removed from {_patients(d['patients'])})" if d.get("patients") else "")
    ),
    "audit.view": lambda d: "Viewed the audit log",
    # The PMS integration's events.
    "profile.promote": lambda d: "Gave the profile its card number as username",
    "profile.merge": lambda d: _merge(d),
    "integration_key.create": lambda d: (
        f"Created integration key “{d.get('name', '')}” ({d.get('system', '')})"
    ),
    "integration_key.revoke": lambda d: f"Revoked integration key “{d.get('name', '')}”",
    "tag_rule.create": lambda d: (
        f"Mapped PMS {_field(d)} “{d.get('value', '')}” to tag {d.get('tag', '')}"
    ),
    "tag_rule.delete": lambda d: (
        f"Removed the mapping of PMS {_field(d)} “{d.get('value', '')}” to {d.get('tag', '')}"
    ),
    "practice.frame_ancestors": lambda d: _with(
        "Changed the sites allowed to show the chart tab", _names(d.get("after")) or "none"
    ),
    "sync_watch.update": lambda d: _sync_watch(d.get("after")),
    "pms.launch_open": lambda d: (
        _with("Opened from the PMS", _chart(d), " ")
        + (" (chart tab)" if d.get("view") == "chart" else "")
    ),
    "pms.set_card": lambda d: _with("PMS set card", _chart(d), " ") + _sync_result(d),
    "pms.update": lambda d: _with("PMS updated details", _chart(d), " ") + _sync_result(d),
    "pms.launch": lambda d: _with("PMS asked to launch", _chart(d), " ") + _sync_result(d),
    "pms.status": lambda d: _with("PMS read the status", _chart(d), " ") + _sync_result(d),
    "pms.batch": lambda d: _with("PMS batch sync", _chart(d), " ") + _sync_result(d),
    "pms.points": lambda d: _with("PMS points", _chart(d), " ") + _sync_result(d),
    "pms.appointment": lambda d: (
        _with("PMS sent an appointment", _chart(d), " ") + _sync_result(d)
    ),
    # Points and the reward menu.
    "points.award": lambda d: _with(f"Awarded {_points(d)}", _names(d.get("items"))),
    "points.misc": lambda d: f"Gave {_points(d)} (misc)",
    "points.misc_requested": lambda d: f"Asked for {_points(d)} (misc, waiting for approval)",
    "points.misc_approved": lambda d: f"Approved {_points(d)} (misc)",
    "points.misc_voided": lambda d: _with(
        f"Voided {_points(d)} (misc)", str(d.get("reason") or "")
    ),
    "points.reverse": lambda d: f"Reversed an entry ({_points(d, signed=True)})",
    # Rewards paid at once or held in Pending rewards (points/rewards.py), and gifts.
    "points.reward_paid": lambda d: _with(f"Gave {_points(d)}", _reward(d), " "),
    "points.reward_held": lambda d: _with(
        f"Held {_points(d)} in Pending rewards", _reward(d), " "
    ),
    "points.reward_approved": lambda d: _with(f"Approved {_points(d)}", _reward(d), " "),
    "points.reward_voided": lambda d: _with(
        _with(f"Voided {_points(d)}", _reward(d), " "), str(d.get("reason") or "")
    ),
    "points.reward_settings": lambda d: _with("Changed the reward rules", _fields(d)),
    "points.gift_given": lambda d: f"Gave {_points(d)} as a gift to another member",
    "points.gift_received": lambda d: f"Received {_points(d)} as a gift from another member",
    # Contests.
    "contest.create": lambda d: f"Created contest “{d.get('contest', '')}”",
    "contest.update": lambda d: _with(f"Changed contest “{d.get('contest', '')}”", _fields(d)),
    "contest.enter": lambda d: (
        f"Entered {_patients(d.get('count'))} in contest “{d.get('contest', '')}”"
    ),
    "contest.winner": lambda d: f"Picked as a winner of contest “{d.get('contest', '')}”",
    # Automatic points (the rules paid or took back what the PMS's appointments earn).
    "points.auto": lambda d: f"Points for appointments ({_points(_auto_total(d), signed=True)})",
    "appointment.write": lambda d: _APPOINTMENT_WRITES.get(
        str(d.get("outcome")), "Changed an appointment"
    ),
    "menu.category_create": lambda d: f"Added reward category “{d.get('name', '')}”",
    "menu.category_update": lambda d: f"Changed reward category “{d.get('name', '')}”",
    "menu.item_create": lambda d: (
        f"Added reward “{d.get('name', '')}” ({_points(d)})"
    ),
    "menu.item_update": lambda d: _with(f"Changed reward “{d.get('name', '')}”", _fields(d)),
    # Campaigns: QR codes patients collect, group awards.
    "qr.create": lambda d: f"Added QR code “{d.get('label', '')}” ({_points(d)})",
    "qr.update": lambda d: _with(f"Changed QR code “{d.get('label', '')}”", _fields(d)),
    "points.qr": lambda d: f"Collected {_points(d)} with QR code “{d.get('label', '')}”",
    "points.group_award": lambda d: f"Awarded {_points(d)} (group award “{d.get('label', '')}”)",
    "campaigns.group_award": lambda d: (
        f"Made a group award “{d.get('label', '')}”: {_points(d)} each to "
        f"{_patients(d.get('patients'))}"
    ),
    # Prize orders.
    "order.create": lambda d: _with(f"Ordered a prize ({_points(d)})", str(d.get("prize", ""))),
    "order.fulfil": lambda d: _with("Handed over a prize", str(d.get("prize", ""))),
    "order.cancel": lambda d: _with("Cancelled a prize order", str(d.get("prize", ""))),
    # The patient portal.
    "portal.login": lambda d: "Signed in to the patient portal",
    "portal.logout": lambda d: "Signed out of the patient portal",
    "portal.view": lambda d: _with("Viewed the patient portal", str(d.get("page", "")), " · "),
    "portal.activate": lambda d: "Set up the patient portal (first sign-in)",
    "portal.reset_request": lambda d: "Asked for a portal password reset email",
    "portal.password_reset": lambda d: "Reset the portal password",
    "portal.temp_password": lambda d: "Issued a new temporary portal password",
    "portal.language": lambda d: f"Chose the portal's language ({d.get('to', '')})",
    "family.invite": lambda d: "Invited a parent or guardian to the portal",
    "family.link_propose": lambda d: "Proposed a parent or guardian link (same email)",
    "family.link_confirm": lambda d: "Confirmed a parent or guardian link",
    "family.link_remove": lambda d: "Removed a parent or guardian link",
    "family.verify": lambda d: "A parent or guardian confirmed their email",
    "family.login": lambda d: {
        "bad_credentials": "Failed parent or guardian sign-in",
        "address_locked": "Parent or guardian sign-in refused: too many failures",
        "username_locked": "Parent or guardian sign-in refused: too many failures",
    }.get(str(d.get("reason")), "A parent or guardian signed in to the portal"),
    "family.switch": lambda d: "A parent or guardian chose a child in the portal",
    "family.reset_request": lambda d: "Asked for a parent or guardian password reset email",
    "family.reset": lambda d: "A parent or guardian reset their password",
    "portal.close": lambda d: (
        f"Closed the portal account: the profile was merged into {d.get('into', '')}"
    ),
    # Leads (prospective patients; named by public id only) and referrals.
    "lead.create": lambda d: f"Added a lead ({_lead_word(d.get('source'))})"
    + (", referred by this patient" if d.get("referred") else ""),
    "lead.view": lambda d: "Viewed a lead",
    "lead.update": lambda d: _with("Changed a lead's details", _fields(d)),
    "lead.status": lambda d: (
        f"Moved a lead from {_lead_word(d.get('from'))} to {_lead_word(d.get('to'))}"
    ),
    "lead.match": lambda d: "A PMS sync found a lead this patient may be",
    "lead.match_dismiss": lambda d: "Said this patient is not the lead a sync matched",
    "lead.convert": lambda d: "Converted a lead into this patient",
    "lead.erase": lambda d: "Erased a lost lead's personal details on request",
    "referral.bonus": lambda d: f"Referral bonus ({_points(d, signed=True)})"
    + (", approved in Pending rewards" if d.get("approved") else ""),
    "referral.bonus_held": lambda d: f"Referral bonus held in Pending rewards ({_points(d)})",
    # Patient mail and background jobs (the kinds as notify.kinds names them).
    "mail.sent": lambda d: f"Sent a “{_mail_kind(d)}” mail",
    "mail.preferences": lambda d: _mail_choices(d),
    "mail.unsubscribe": lambda d: f"Unsubscribed from “{_mail_kind(d)}” mails",
    "mail.resubscribe": lambda d: f"Subscribed again to “{_mail_kind(d)}” mails",
    "order.ready": lambda d: _with("Marked a prize ready for pickup", str(d.get("prize", ""))),
    "job.retry": lambda d: _with("Retried a background job", str(d.get("kind", ""))),
}


def _mail_choices(detail: Detail) -> str:
    """E.g. 'Chose patient mail: on Points earned, Birthday greeting; off Order cancelled'."""
    parts = []
    for key in ("on", "off"):
        names = [_mail_kind({"kind": k}) for k in detail.get(key) or []]
        if names:
            parts.append(f"{key} {', '.join(names)}")
    return _with("Chose patient mail", "; ".join(parts))


def _mail_kind(detail: Detail) -> str:
    found = kind_named(str(detail.get("kind", "")))
    return found.label if found is not None else str(detail.get("kind", ""))


_LEAD_WORDS = {
    "referral": "Referral",
    "website": "Website",
    "walk_in": "Walk-in",
    "event": "Event",
    "social": "Social media",
    "other": "Other",
    "new": "New",
    "contacted": "Contacted",
    "consult_booked": "Consult booked",
    "started_treatment": "Started treatment",
    "lost": "Lost",
}


def _lead_word(value: Any) -> str:
    return _LEAD_WORDS.get(str(value), str(value or "?"))


def _reward(detail: Detail) -> str:
    """"(contest prize: Summer smiles)": the reward's kind and where it came from."""
    labels = {
        "referral": "referral bonus",
        "contest": "contest prize",
        "group": "group award",
        "qr": "QR code",
    }
    kind = labels.get(str(detail.get("kind")), "")
    source = str(detail.get("source") or "")
    inside = ": ".join(part for part in (kind, source) if part)
    return f"({inside})" if inside else ""


def _points(detail: Detail, signed: bool = False) -> str:
    points = detail.get("points")
    if not isinstance(points, int):
        return "points"
    text = f"{points:+,d}" if signed else f"{abs(points):,}"
    return f"{text} point" if abs(points) == 1 else f"{text} points"


def _auto_total(detail: Detail) -> Detail:
    changes = detail.get("changes")
    if not isinstance(changes, list):
        return {}
    moved = [c.get("points") for c in changes if isinstance(c, dict)]
    return {"points": sum(p for p in moved if isinstance(p, int))}


def _field(detail: Detail) -> str:
    return {"pms_status": "status", "office": "office"}.get(str(detail.get("field")), "field")


def _chart(detail: Detail) -> str:
    chart = detail.get("chart_id")
    return f"for chart {chart}" if chart else ""


def _sync_result(detail: Detail) -> str:
    # Outcome codes ("created", "already_linked", "not_synced") read as words.
    result = detail.get("error") or detail.get("outcome")
    return f": {str(result).replace('_', ' ')}" if result else ""


def _sync_watch(after: Any) -> str:
    minutes = after.get("silence_minutes") if isinstance(after, dict) else None
    if not isinstance(minutes, int):
        return "Turned off the warning for a silent PMS"
    span = f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"
    hours = f" ({after.get('opens_at')}–{after.get('closes_at')})" if after.get("opens_at") else ""
    return f"Warn when the PMS is silent for {span}{hours}"


_ROLES = {
    "owner": "Owner",
    "admin": "Admin",
    "marketing": "Rewards + marketing",
    "rewards": "Rewards",
    "financial": "Financial",
}


def _role(value: Any) -> str:
    return _ROLES.get(str(value), str(value or "?"))


def describe_action(action: str, outcome: str, detail: Any) -> str:
    """One line in words for an audit event."""
    data: Detail = detail if isinstance(detail, dict) else {}
    if action == "login":
        return {
            "ok": "Signed in",
            "failed": "Failed sign-in",
            "denied": "Sign-in refused: username locked",
        }.get(outcome, "Sign-in")
    words = _WORDS.get(action)
    if words is not None:
        return words(data)
    return action.replace(".", " ").replace("_", " ").strip().capitalize() or "Change"
