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

from wellness.db import DB_CONNECTION_ERRORS
from wellness.views import DATABASE_UNAVAILABLE_DETAIL, database_unavailable

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
    (413), a lost database connection (503 with ``Retry-After``, logged as a warning) and
    anything unexpected (500, logged with its traceback)."""
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, DB_CONNECTION_ERRORS):
        unavailable = Response(
            {"detail": DATABASE_UNAVAILABLE_DETAIL}, status=status.HTTP_503_SERVICE_UNAVAILABLE
        )
        return database_unavailable(context["request"], exc, unavailable)  # type: ignore[return-value]
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


# --- The error answers in the OpenAPI schema ---------------------------------------------

_ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` for a general error, or one list of messages per field.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
_ERRORS = {
    "400": "The request has errors: a message per field, or `detail`.",
    "401": "No valid credentials (`WWW-Authenticate: Token`).",
    "403": "Signed in, but not allowed.",
    "404": "No such object (or not yours).",
    "413": "The request body is too large.",
    "415": "The body is not JSON, form data or multipart form data.",
    "429": "Too many requests; try again later.",
}


def document_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every operation documents the error answers
    it can give, with their JSON shape: 400 when it takes input; 401 when it reads
    credentials (a bad token is refused even where none is needed); 403 when it needs a
    member (or staff); 404 for an object in the path or a page past the last; 413 and
    415 for a body (too large, or of a type it does not read); 429."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = {"429"}
            if operation.get("requestBody") or operation.get("parameters"):
                codes.add("400")
            if operation.get("requestBody"):
                codes |= {"413", "415"}
            security = operation.get("security", [{}])
            if any(security):
                codes.add("401")
            if {} not in security:
                codes.add("403")
            parameters = {p.get("name") for p in operation.get("parameters", [])}
            if "{" in path or "page" in parameters:  # an object, or a page past the end
                codes.add("404")
            for code in sorted(codes):
                operation["responses"].setdefault(
                    code,
                    {
                        "description": _ERRORS[code],
                        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
                    },
                )
    return result
