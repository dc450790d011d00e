"""The integration half of the demo: a PMS key per practice, the Orthotrac tag
mapping, the simulator's origin for the chart tab, and the simulator's charts.

Key secrets are stored only as hashes, so a later run cannot read them back:
it reuses the secret from the previous demo.json while that key still works,
and otherwise revokes the demo key and makes a new one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from rewardshub.audit.actors import Actor
from rewardshub.integrations.actions import (
    add_tag_rule,
    create_key,
    revoke_key,
    set_frame_ancestors,
)
from rewardshub.integrations.keys import authenticate
from rewardshub.integrations.models import TagRule
from rewardshub.patients.models import Profile, Tag
from rewardshub.practices.models import IntegrationKey, Practice

SYSTEM = "orthotrac"
KEY_NAME = "Orthotrac (demo simulator)"

# Orthotrac's patient statuses and office codes as the simulator uses them.
TAG_MAPPING = {
    "pms_status": {
        "Active Tx": "*Orthodontic Patient",
        "Retainer": "*Retainer Patient",
        "New Patient": "*Future Patient",
        "Adult Tx": "*Adult Patient",
    },
    "office": {"ACW": "*Acworth", "MAR": "*Marietta"},
}


def _previous_key(previous: dict[str, Any] | None, slug: str) -> str:
    for entry in (previous or {}).get("practices", []):
        if isinstance(entry, dict) and entry.get("slug") == slug:
            return str(entry.get("api_key") or "")
    return ""


def ensure_key(practice: Practice, previous: dict[str, Any] | None, actor: Actor) -> str:
    token = _previous_key(previous, practice.slug)
    key = authenticate(token) if token else None
    if key is not None and key.practice_id == practice.pk and key.name == KEY_NAME:
        return token
    for stale in IntegrationKey.objects.filter(practice=practice, name=KEY_NAME, revoked_at=None):
        revoke_key(practice=practice, key=stale, actor=actor)
    return create_key(practice=practice, name=KEY_NAME, system=SYSTEM, actor=actor).token


def ensure_tag_mapping(practice: Practice, actor: Actor) -> None:
    tags = {tag.name: tag for tag in Tag.objects.filter(practice=practice)}
    for field, values in TAG_MAPPING.items():
        for value, tag_name in values.items():
            tag = tags.get(tag_name)
            exists = TagRule.objects.filter(
                practice=practice, system=SYSTEM, field=field, value__iexact=value
            ).exists()
            if tag is not None and not exists:
                add_tag_rule(
                    practice=practice, system=SYSTEM, field=field, value=value, tag=tag, actor=actor
                )


def ensure_frame_origin(practice: Practice, pms_sim_url: str, actor: Actor) -> None:
    parts = urlsplit(pms_sim_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    origins = practice.frame_ancestors.split()
    if origin not in origins:
        set_frame_ancestors(practice=practice, origins=[*origins, origin], actor=actor)


def simulator_charts(practice: Practice) -> list[dict[str, Any]]:
    from pms_sim.seed import DEMO_CHARTS

    names = set(Profile.objects.filter(practice=practice).values_list("first_name", "last_name"))
    return [
        {
            "chart_id": chart["chart_id"],
            "name": f"{chart['first_name']} {chart['last_name']}",
            "has_hub_profile": (chart["first_name"], chart["last_name"]) in names,
        }
        for chart in DEMO_CHARTS
    ]
