"""Prize pictures: what an upload may be, and the copy the hub keeps of it.

An upload is checked before it is decoded: its size in bytes, then the width
and height its header declares (a 100-byte PNG can declare 20,000 × 20,000
pixels, which would take gigabytes to decode). A picture that passes is
decoded once and re-encoded at most 1,200 pixels on its long side, turned
the way its EXIF orientation says, without its metadata (EXIF with the
camera and place, XMP, comments): that copy is what is stored and served to
phones, never the upload. A practice's logo (branding) is checked, re-encoded,
stored and served the same way. An animated GIF or WebP keeps its first frame.
Pictures with transparency are stored as PNG, the others as JPEG.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PICTURE_BYTES = 2 * 1024 * 1024
MAX_PICTURE_PIXELS = 25_000_000
MAX_PICTURE_SIDE = 10_000
STORED_LONG_SIDE = 1200
JPEG_QUALITY = 85
# What the upload may be (Pillow's format names).
UPLOAD_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# Extension -> content type of what the hub stores and serves; GIF and WebP
# remain for pictures stored before they were re-encoded.
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
}
PICTURE_HELP = (
    "A JPEG, PNG, GIF or WebP picture of at most 2 MB and 25 megapixels (e.g. 6,000 × 4,000 "
    "pixels). It is shown at most 1,200 pixels wide or high; an animated one shows its first "
    "frame."
)
TOO_BIG = (
    "Pictures of up to 25 megapixels and 10,000 pixels on a side are accepted (a phone photo "
    "is about 12 megapixels). Save it smaller, e.g. 1,200 pixels on its long side, and upload "
    "it again."
)
NOT_A_PICTURE = "That file is not a picture, or it is damaged. " + PICTURE_HELP
# Pillow's own refusal of a header that declares too many pixels to decode.
BOMB_PIXELS = re.compile(r"Image size \((\d+) pixels\)")
# Decoding errors of a damaged or hostile file.
BROKEN = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError)


class PictureError(Exception):
    """An upload the hub refuses, in a sentence for the form."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PreparedPicture:
    """The re-encoded copy of an upload: the only kind of picture the hub stores."""

    content: ContentFile[bytes]
    extension: str


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:,.1f} megapixels"


def _open(upload: UploadedFile) -> Image.Image:
    """Read the header only: format, width and height. Nothing is decoded yet."""
    upload.seek(0)
    data = io.BytesIO(upload.read())  # at most MAX_PICTURE_BYTES, checked before
    try:
        # Pillow warns above ~89 megapixels and refuses above ~179; the limits
        # here are lower and checked below, so its warning is not needed.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(data)
    except Image.DecompressionBombError as exc:
        found = BOMB_PIXELS.search(str(exc))
        size = f" {_megapixels(int(found.group(1)))}" if found else " too large to decode"
        raise PictureError(f"The picture is{size}. {TOO_BIG}") from None
    except BROKEN:
        raise PictureError(NOT_A_PICTURE) from None


def _check(image: Image.Image) -> None:
    if image.format not in UPLOAD_FORMATS:
        raise PictureError(f"{image.format or 'Those'} pictures are not accepted. {PICTURE_HELP}")
    width, height = image.size
    if width < 1 or height < 1:
        raise PictureError(NOT_A_PICTURE)
    if width * height > MAX_PICTURE_PIXELS or max(width, height) > MAX_PICTURE_SIDE:
        raise PictureError(
            f"The picture is {width:,} × {height:,} pixels ({_megapixels(width * height)}). "
            f"{TOO_BIG}"
        )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def prepare_picture(upload: UploadedFile) -> PreparedPicture:
    """The copy of `upload` to store and its extension; PictureError when refused."""
    if (upload.size or 0) > MAX_PICTURE_BYTES:
        raise PictureError(
            f"The picture is {(upload.size or 0) / 1024 / 1024:.1f} MB; the limit is 2 MB. "
            "Save it smaller and upload it again."
        )
    image = _open(upload)
    try:
        _check(image)
        # A JPEG can decode at a fraction of its size straight away.
        image.draft("RGB", (STORED_LONG_SIDE, STORED_LONG_SIDE))
        image.seek(0)  # the first frame of an animation
        image.load()
        alpha = _has_alpha(image)
        picture = ImageOps.exif_transpose(image)
        picture = picture.convert("RGBA" if alpha else "RGB")
        picture.thumbnail((STORED_LONG_SIDE, STORED_LONG_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        icc = image.info.get("icc_profile") or None
        if alpha:
            picture.save(out, format="PNG", optimize=True, icc_profile=icc)
        else:
            picture.save(
                out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True,
                icc_profile=icc,
            )
    except PictureError:
        raise
    except (*BROKEN, Image.DecompressionBombError):
        raise PictureError(NOT_A_PICTURE) from None
    finally:
        image.close()
    return PreparedPicture(ContentFile(out.getvalue()), "png" if alpha else "jpg")


def store_picture(file: FieldFile, picture: PreparedPicture) -> None:
    """Put `picture` in `file` (an ImageField of an unsaved change to its row) through
    the default storage; the picture it replaces is deleted once the row commits.

    A fresh random name: the uploaded file name never reaches the storage or a
    URL, and a replaced picture is not served from a cached address.
    """
    old, storage = (file.name if file else ""), file.storage
    file.save(f"{uuid.uuid4().hex}.{picture.extension}", picture.content, save=False)
    if old:
        transaction.on_commit(lambda: storage.delete(old))


def drop_picture(file: FieldFile) -> None:
    """Empty `file`'s field; its picture is deleted once the row commits."""
    old, storage = file.name, file.storage
    setattr(file.instance, file.field.attname, "")
    if old:
        transaction.on_commit(lambda: storage.delete(old))


def change_picture(file: FieldFile, picture: PreparedPicture | None, *, remove: bool) -> bool:
    """A form's picture and its "remove" box applied to `file`: a new picture wins;
    whether anything changed."""
    if picture is not None:
        store_picture(file, picture)
        return True
    if remove and file:
        drop_picture(file)
        return True
    return False


def picture_response(request: HttpRequest, file: FieldFile, *, cache_control: str) -> HttpResponse:
    """A stored picture as the hub serves it: its own type, shown inline, in a sandbox;
    404 when it is not one the hub stores, or it is gone.

    A stored name's content never changes (each upload gets a new name,
    `store_picture`), so the name is the version: its hash is the ETag, and a
    browser that has it gets a 304 with no file read at all.
    """
    name = file.name or ""
    content_type = CONTENT_TYPES.get(name.rsplit(".", 1)[-1].lower())
    if not file or content_type is None:
        raise Http404
    etag = '"' + hashlib.sha256(name.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": cache_control}
    response: HttpResponse
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        try:
            handle = file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        # A streaming answer, served and headed the same way.
        response = FileResponse(handle, content_type=content_type)  # type: ignore[assignment]
        response["Content-Disposition"] = "inline"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    for header, value in headers.items():
        response[header] = value
    return response
