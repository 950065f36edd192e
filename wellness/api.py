"""Site-wide API pieces: every API failure answers JSON, never an HTML page."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
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


class Pagination(PageNumberPagination):
    """Every list of the API: ``page`` (from 1) and ``page_size`` (1 to 200, 50 by default).

    A value that is not a whole number in range is a 400 naming the parameter (DRF would
    fall back to the default size, or answer 404 for any page it cannot read); a page
    past the last one stays a 404. An empty value counts as absent, as in a filter.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def _number(self, request: Request, name: str, maximum: int | None = None) -> int | None:
        raw = request.query_params.get(name, "")
        if raw == "":
            return None
        field = forms.IntegerField(min_value=1, max_value=maximum)
        try:
            return field.clean(raw)
        except DjangoValidationError as exc:
            raise ValidationError({name: exc.messages}) from None

    def get_page_size(self, request: Request) -> int:
        size = self._number(request, self.page_size_query_param, self.max_page_size)
        return size or self.page_size

    def get_page_number(self, request: Request, paginator: Any) -> int | str:
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            return paginator.num_pages
        return self._number(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        limits = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(limits.get(parameter["name"], {}))
        return parameters


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
