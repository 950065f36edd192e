"""Query-string filters of the API's series list (validated, documented in the schema)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet

from routines.models import Series
from routines.selectors import series_search


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class SeriesFilter(django_filters.FilterSet):
    """``body_part=<slug>``, ``search=<text>``, ``max_minutes=<n>``: one call to series_search."""

    body_part = django_filters.CharFilter(help_text="A body part slug, e.g. hands.")
    search = django_filters.CharFilter(
        help_text="Words in the title, summary, description or a routine title."
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
