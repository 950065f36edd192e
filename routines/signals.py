"""Cache invalidation only (connected in RoutinesConfig.ready): library edits drop the
cached routine facts that POST sessions/ reads (see selectors.routine_for_logging)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

from routines.models import Routine, Series, Step
from routines.selectors import routine_cache_key


def _forget(routine_ids: list[int]) -> None:
    cache.delete_many([routine_cache_key(pk) for pk in routine_ids])


def series_changed(sender: type, instance: Series, **kwargs: Any) -> None:
    if instance.pk is not None:
        _forget(list(Routine.objects.filter(series_id=instance.pk).values_list("pk", flat=True)))


def routine_changed(sender: type, instance: Routine, **kwargs: Any) -> None:
    if instance.pk is not None:
        _forget([instance.pk])


def step_changed(sender: type, instance: Step, **kwargs: Any) -> None:
    _forget([instance.routine_id])
