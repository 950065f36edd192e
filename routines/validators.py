"""Checks of what editors upload, shared by the editor's forms, the admin, the API and the
services (which check again: they are the one entry point)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

COVER_MAX_BYTES = 2 * 1024 * 1024
COVER_MAX_PIXELS = 40_000_000  # e.g. 8000 x 5000; larger images are refused before decoding
# Pillow's format name -> the file extension the stored cover gets.
COVER_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


def validate_cover_image(file: File) -> str:
    """Raise a ValidationError unless ``file`` is a PNG, JPEG or WebP image of at most 2 MB;
    return the extension for its format. The file's content decides, not its name."""
    size = getattr(file, "size", None)
    if size is not None and size > COVER_MAX_BYTES:
        raise ValidationError(
            _("The cover image is %(size).1f MB: the limit is 2 MB."),
            code="cover_too_large",
            params={"size": size / (1024 * 1024)},
        )
    if size == 0:
        raise ValidationError(_("The cover image file is empty."), code="cover_empty")
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format
            width, height = image.size
            if width * height > COVER_MAX_PIXELS:
                raise ValidationError(
                    _("The cover image is %(width)s by %(height)s pixels: please make it smaller."),
                    code="cover_too_many_pixels",
                    params={"width": width, "height": height},
                )
            image.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("The cover must be a PNG, JPEG or WebP image: this file is not one we can read."),
            code="cover_unreadable",
        ) from None
    finally:
        file.seek(0)
    if image_format not in COVER_FORMATS:
        raise ValidationError(
            _("The cover must be a PNG, JPEG or WebP image (this one is %(format)s)."),
            code="cover_format",
            params={"format": image_format},
        )
    return COVER_FORMATS[image_format]
