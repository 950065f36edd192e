"""Helpers for tests of the API's fast paths (``routines.api.ApiClientFastPath``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from unittest import mock

from rest_framework.views import APIView


@contextlib.contextmanager
def drf_calls() -> Iterator[list]:
    """Count the requests DRF's own machinery handles (``APIView.initial`` runs for each)."""
    calls: list = []
    original = APIView.initial

    def counting(self, request, *args, **kwargs):
        calls.append(type(self).__name__)
        return original(self, request, *args, **kwargs)

    with mock.patch.object(APIView, "initial", counting):
        yield calls
