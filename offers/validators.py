"""The offer image: a real JPEG, PNG or WebP picture of a sensible size, checked with Pillow."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
IMAGE_MAX_SIDE = 6000  # pixels: a larger picture is a mistake (or a decompression bomb)


def image_max_bytes() -> int:
    return int(getattr(settings, "OFFERS_IMAGE_MAX_BYTES", 2 * 1024 * 1024))


def validate_offer_image(value: object) -> None:
    """A new upload only: a file already in storage was checked when it arrived.

    Pillow reads the header and verifies the data, so the extension alone never decides.
    """
    if getattr(value, "_committed", True) and not hasattr(value, "content_type"):
        return
    size = getattr(value, "size", 0) or 0
    limit = image_max_bytes()
    if size > limit:
        raise ValidationError(
            _("The image is %(size)s; the largest allowed is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="image_too_large",
        )
    file = getattr(value, "file", value)
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        with Image.open(file) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not a picture Kneadful can read. Upload a JPEG, PNG or WebP image."),
            code="image_unreadable",
        ) from None
    finally:
        if hasattr(file, "seek"):
            file.seek(position)
    if image_format not in IMAGE_FORMATS:
        raise ValidationError(
            _("%(format)s images are not accepted. Upload a JPEG, PNG or WebP image.")
            % {"format": image_format or _("This kind of")},
            code="image_format",
        )
    if max(width, height) > IMAGE_MAX_SIDE:
        raise ValidationError(
            _("The image is %(width)d by %(height)d pixels; each side may be at most %(max)d.")
            % {"width": width, "height": height, "max": IMAGE_MAX_SIDE},
            code="image_too_big",
        )
