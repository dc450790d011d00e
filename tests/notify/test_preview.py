"""Settings > Patient mail: staff preview every mail, rendered from the templates that
send it, in the practice's name, with made-up values."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from rewardshub.notify.kinds import KINDS, OPT_IN, TRANSACTIONAL


@pytest.mark.parametrize("kind", list(KINDS))
def test_it_previews_each_kind(kind: str, owner_client: Client) -> None:
    page = owner_client.get(f"/settings/mail/?kind={kind}")

    assert page.status_code == 200
    text = page.content.decode()
    assert "Acworth Orthodontics &lt;rewards@localhost&gt;" in text
    assert f'src="/settings/mail/{kind}/html/"' in text
    assert "Alex" in text  # the sample name, never a patient's
    assert ("List-Unsubscribe" in text) == (kind not in {k.value for k in TRANSACTIONAL})

    frame = owner_client.get(f"/settings/mail/{kind}/html/")
    assert frame.status_code == 200
    policy = frame["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy and "frame-ancestors 'self'" in policy
    assert "script-src 'none'" in policy
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert "Acworth Orthodontics" in frame.content.decode()


def test_only_owners_and_admins_preview(
    frontdesk_client: Client, owner_client: Client, db: Any
) -> None:
    assert frontdesk_client.get("/settings/mail/").status_code == 403
    assert frontdesk_client.get(f"/settings/mail/{OPT_IN[0].value}/html/").status_code == 403
    assert owner_client.get("/settings/mail/?kind=nonsense").status_code == 404
    assert owner_client.get("/settings/mail/nonsense/html/").status_code == 404
    assert "Patient mail" in owner_client.get("/settings/mail/").content.decode()
