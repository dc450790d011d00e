"""Settings > Automatic points, for owners and admins: one section per rule, the exclusions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from rewardshub.automations.forms import ExclusionsForm, RuleForm
from rewardshub.automations.models import AutoRule, Trigger
from rewardshub.automations.settings_actions import InvalidValue, save_rule, save_settings
from rewardshub.automations.state import auto_settings
from rewardshub.automations.wording import rule_text
from rewardshub.patients.models import Tag
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES, Practice


@dataclass
class Section:
    trigger: str
    label: str
    rule: AutoRule
    form: RuleForm
    preview: str
    shared_grace: int | None = None  # Late: the grace it shares with On time


def _rules(practice: Practice) -> dict[str, AutoRule]:
    """Every trigger's rule; a trigger with no row yet shows a new, switched-off rule."""
    stored = {rule.trigger: rule for rule in AutoRule.objects.filter(practice=practice)}
    return {
        trigger.value: stored.get(trigger.value)
        or AutoRule(practice=practice, trigger=trigger.value)
        for trigger in Trigger
    }


def _grace(rules: dict[str, AutoRule]) -> int:
    # As rules._grace decides it: the on-time rule's when it is on, else late's.
    on_time = rules[Trigger.ON_TIME]
    return on_time.grace_minutes if on_time.enabled else rules[Trigger.LATE].grace_minutes


def _preview(rule: AutoRule, grace: int) -> str:
    return rule_text(
        rule.trigger,
        rule.points,
        appointment_types=rule.appointment_types or (),
        daily_limit=rule.daily_limit,
        grace_minutes=grace if rule.trigger == Trigger.LATE else rule.grace_minutes,
        early_minutes=rule.early_minutes,
        window_hours=rule.window_hours,
        milestone_status=rule.milestone_status,
        referral_stage=rule.get_referral_stage_display(),
    )


def _tags(practice: Practice) -> QuerySet[Tag]:
    return Tag.objects.filter(practice=practice).select_related("group")


def _page(
    request: HttpRequest,
    hub: HubContext,
    *,
    bound: RuleForm | None = None,
    exclusions: ExclusionsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    rules = _rules(hub.practice)
    grace = _grace(rules)
    sections = []
    for trigger in Trigger:
        rule = rules[trigger.value]
        form = bound if bound is not None and bound.trigger == trigger else RuleForm.for_rule(rule)
        sections.append(
            Section(
                trigger=trigger.value,
                label=trigger.label,
                rule=rule,
                form=form,
                preview=_preview(rule, grace),
                shared_grace=grace if trigger == Trigger.LATE else None,
            )
        )
    if exclusions is None:
        current = auto_settings(hub.practice)
        initial: dict[str, Any] = {"visits_since": current.visits_since}
        if current.pk is not None:
            initial["excluded_tags"] = list(current.excluded_tags.all())
        exclusions = ExclusionsForm(tags=_tags(hub.practice), initial=initial)
    context = {"nav": "settings", "section": "automatic", "sections": sections}
    return render(
        request,
        "automations/settings.html",
        {**context, "exclusions": exclusions},
        status=status,
    )


@require_GET
@staff_view(roles=SETTINGS_ROLES)
def automatic_points(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return _page(request, hub)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def rule(request: HttpRequest, trigger: str, *, hub: HubContext) -> HttpResponse:
    if trigger not in Trigger.values:
        raise Http404("No such rule.")
    form = RuleForm(request.POST, trigger=trigger)
    if form.is_valid():
        try:
            save_rule(
                practice=hub.practice,
                trigger=trigger,
                enabled=form.cleaned_data["enabled"],
                actor=hub.actor,
                **form.values(),
            )
        except InvalidValue as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Saved: {Trigger(trigger).label}.")
            return redirect(reverse("automations:settings") + f"#rule-{trigger}")
    return _page(request, hub, bound=form, status=422)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def exclusions(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = ExclusionsForm(request.POST, tags=_tags(hub.practice))
    if form.is_valid():
        try:
            save_settings(
                practice=hub.practice,
                excluded_tags=list(form.cleaned_data["excluded_tags"]),
                visits_since=form.cleaned_data["visits_since"],
                actor=hub.actor,
            )
        except InvalidValue as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Saved: who gets no automatic points, and visits since.")
            return redirect(reverse("automations:settings") + "#exclusions")
    return _page(request, hub, exclusions=form, status=422)
