"""The chart view without a session: one page for every id, so it confirms no profile exists.

A real profile of a practice that lists PMS origins, a random id, and another
practice's profile (with other origins) get the same 403 page, headers and
body alike once nonces and the request id are set aside: no patient data, no
action, framable from any origin (an expired session inside the PMS's tab
shows it), saying to reopen the tab in Orthotrac. The id is not even looked up.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.integrations.conftest import SYSTEM

from rewardshub.integrations.actions import set_frame_ancestors
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

NONCE = re.compile(r"nonce-[A-Za-z0-9+/=_-]+|nonce=\"[^\"]*\"")
# Set per request, not per id: the request id, and Expires (the time of the answer).
UNSHARED = {"X-Request-Id", "Expires"}


def _answer(public_id: Any) -> tuple[int, dict[str, str], str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(f"/chart/{public_id}/")
    headers = {
        name: NONCE.sub("nonce", value)
        for name, value in response.headers.items()
        if name not in UNSHARED
    }
    body = NONCE.sub("nonce", response.content.decode())
    return response.status_code, headers, body, [q["sql"] for q in queries.captured_queries]


def test_every_id_gets_the_same_signed_out_page(
    acworth: Practice,
    riverside: Practice,
    make_profile: Callable[..., Profile],
) -> None:
    set_frame_ancestors(practice=acworth, origins=["https://pms.acworth.example"], actor=SYSTEM)
    set_frame_ancestors(practice=riverside, origins=["https://pms.river.example"], actor=SYSTEM)
    emma = make_profile(acworth, "Emma", "Quillfeather")
    ava = make_profile(riverside, "Ava", "Brightwater")

    real = _answer(emma.public_id)
    random = _answer(uuid.uuid4())
    other = _answer(ava.public_id)

    assert real[:3] == random[:3] == other[:3]
    status, headers, body, sql = real
    assert status == 403
    assert "Open the Patient Rewards Hub tab again in Orthotrac" in body
    for private in ("Emma", "Quillfeather", "Ava", "Brightwater", "pms.acworth", "pms.river"):
        assert private not in body and private not in str(headers), private
    assert "<form" not in body and "<button" not in body
    # Framable by any origin, so the PMS's tab shows it whatever its address.
    directives = dict(
        (d.split() + [""])[:2] for d in headers["Content-Security-Policy"].split(";") if d.strip()
    )
    assert directives["frame-ancestors"] == "*"
    assert "X-Frame-Options" not in headers
    assert not [q for q in real[3] + random[3] + other[3] if "patients_profile" in q]
