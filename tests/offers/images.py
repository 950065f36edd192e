"""Small pictures made with Pillow for the upload tests."""

from __future__ import annotations

import io

from PIL import Image


def png_bytes(size: tuple[int, int] = (8, 8), image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (47, 111, 94)).save(buffer, format=image_format)
    return buffer.getvalue()
