"""Fuzzing prize pictures through Settings > Prizes > Add, over real requests.

Random bytes, real pictures of each accepted format and damaged copies of
them, and hand-written PNG headers declaring any size. Every answer is a redirect (the
prize added, its picture stored at most 1,200 pixels on a side as JPEG or
PNG) or a 422 whose form says what is wrong with the picture and stores no
file; never a 500.
"""

from __future__ import annotations

import io
import itertools
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from tests.fuzz.counts import Fuzz

from rewardshub.points.models import Prize
from rewardshub.practices.models import Practice
from rewardshub.uploads.models import StoredFile

FUZZ = settings(
    deadline=None, database=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow]
)
# The refusals prize_pictures.py gives; each names what is wrong and what is accepted.
REFUSALS = re.compile(
    r"That file is not a picture, or it is damaged\. A JPEG, PNG, GIF or WebP picture .*"
    r"|That file is empty\. A JPEG, PNG, GIF or WebP picture .*"
    r"|\w+ pictures are not accepted\. A JPEG, PNG, GIF or WebP picture .*"
    r"|The picture is [\d.,]+ MB; the limit is 2 MB\. .*"
    r"|The picture is ([\d,]+ × [\d,]+ pixels \()?[\d.,]+ megapixels\)?\. Pictures of up to "
    r"25 megapixels and 10,000 pixels on a side are accepted .*",
    re.DOTALL,
)


def _sample(image_format: str, mode: str, **params: Any) -> bytes:
    image = Image.linear_gradient("L").resize((64, 48)).convert(mode)
    out = io.BytesIO()
    image.save(out, format=image_format, **params)
    return out.getvalue()


SAMPLES = [
    _sample("PNG", "RGB"),
    _sample("PNG", "RGBA"),
    _sample("JPEG", "RGB"),
    _sample("GIF", "P"),
    _sample("WEBP", "RGB"),
]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(8, len(data)))])


@st.composite
def png_header(draw: st.DrawFn) -> bytes:
    ihdr = struct.pack(
        ">IIBBBBB",
        draw(st.integers(0, 2**31 - 1)),
        draw(st.integers(0, 2**31 - 1)),
        draw(st.sampled_from([1, 2, 4, 8, 16])),
        draw(st.sampled_from([0, 2, 3, 4, 6])),
        0, 0, 0,
    )
    body = zlib.compress(draw(st.binary(max_size=200)))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(
        b"IEND", b""
    )


pictures = st.one_of(st.binary(max_size=3000), st.sampled_from(SAMPLES), damaged(), png_header())


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _files(media: Path) -> set[str]:
    """The stored uploads' names (in the database); nothing is ever written under MEDIA_ROOT."""
    assert not media.exists()
    return set(StoredFile.objects.values_list("name", flat=True))


def test_a_picture_is_stored_small_or_refused_with_a_reason(
    fuzz: Fuzz, acworth: Practice, owner_client: Client, media: Path, record_property: Any
) -> None:
    names = (f"Prize {n}" for n in itertools.count())
    outcomes = {"stored": 0, "refused": 0}

    @FUZZ
    @given(data=pictures, filename=st.sampled_from(["p.png", "p.jpg", "p.gif", "p.webp", "p"]))
    def check(data: bytes, filename: str) -> None:
        fuzz.tried("prize pictures")
        name = next(names)
        before = _files(media)
        response = owner_client.post(
            "/settings/prizes/add/",
            {"name": name, "cost": "5", "active": "on",
             "picture": SimpleUploadedFile(filename, data)},
        )
        assert response.status_code in (302, 422), response.status_code
        if response.status_code == 422:
            [error] = response.context["form"].errors["picture"]
            assert REFUSALS.fullmatch(str(error)), error
            assert _files(media) == before
            assert not Prize.objects.filter(name=name).exists()
            outcomes["refused"] += 1
            return
        prize = Prize.objects.get(practice=acworth, name=name)
        with default_storage.open(prize.picture.name) as handle, Image.open(handle) as stored:
            assert stored.format in ("JPEG", "PNG")
            assert max(stored.size) <= 1200
            assert not stored.getexif()
        outcomes["stored"] += 1

    check()
    # Both ways were reached.
    assert outcomes["stored"] and outcomes["refused"], outcomes
    record_property(
        "summary",
        f"prize picture fuzz: {outcomes['stored']} stored re-encoded, "
        f"{outcomes['refused']} refused with a reason, 0 server errors",
    )
