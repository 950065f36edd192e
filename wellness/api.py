"""Site-wide API pieces: every API failure answers JSON, never an HTML page."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("kneadful.api")


class SafeJSONParser(JSONParser):
    """DRF's JSON parser; a body nested too deeply for Python's parser (thousands of
    ``[``) is a 400 like any other malformed JSON instead of a ``RecursionError``."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler for its own exceptions; JSON too for a body over Django's size limit
    (413) and for anything unexpected (500, logged with its traceback)."""
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": "The request body is too large."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    logger.error("Unexpected error in %s", context.get("view"), exc_info=exc)
    return Response(
        {"detail": "Something went wrong on our side. Please try again later."},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
