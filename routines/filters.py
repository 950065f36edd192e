"""Query-string filters of the API's series list (validated, documented in the schema)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field

from routines.forms import BODY_PART_MAX_LENGTH, SEARCH_MAX_LENGTH
from routines.models import Series
from routines.selectors import series_search


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def text_filter(*, max_length: int, help_text: str) -> django_filters.CharFilter:
    """A text filter refusing more than ``max_length`` characters (a 400 naming it), with
    the length in the schema too."""
    field = django_filters.CharFilter(max_length=max_length, help_text=help_text)
    schema = {"type": "string", "maxLength": max_length, "description": help_text}
    return extend_schema_field(schema)(field)


class SeriesFilter(django_filters.FilterSet):
    """``body_part=<slug>``, ``search=<text>``, ``max_minutes=<n>``: one call to series_search."""

    body_part = text_filter(
        max_length=BODY_PART_MAX_LENGTH, help_text="A body part slug, e.g. hands."
    )
    search = text_filter(
        max_length=SEARCH_MAX_LENGTH,
        help_text="Words in the title, summary, description or a routine title.",
    )
    max_minutes = IntegerFilter(
        min_value=1, max_value=1000, help_text="Only series estimated at most this long."
    )

    class Meta:
        model = Series
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Series]) -> QuerySet[Series]:
        # The selector owns the rules (visibility, matching, order); the queryset the
        # view passes in is series_search's own unfiltered result.
        data = self.form.cleaned_data
        return series_search(
            user=self.request.user,
            body_part=data.get("body_part") or None,
            q=data.get("search") or None,
            max_minutes=data.get("max_minutes"),
        )
