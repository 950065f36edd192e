"""The API's one pagination (DRF's ``DEFAULT_PAGINATION_CLASS``).

Its own module: DRF resolves that setting while ``rest_framework.generics`` loads, so this
must not import DRF's views (``wellness.api`` does, for its exception handler)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


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
