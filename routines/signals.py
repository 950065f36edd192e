"""Cache invalidation only (connected in RoutinesConfig.ready): library edits drop the
cached routine facts that POST sessions/ reads (see selectors.routine_for_logging)."""

from __future__ import annotations

from typing import Any

from django.core.cache import caches

from routines.models import Routine, Series, Step
from routines.selectors import routine_cache_key
from wellness.cache import cache_forget


def _forget(routine_ids: list[int]) -> None:
    keys = [routine_cache_key(pk) for pk in routine_ids]
    caches["local"].delete_many(keys)  # this process; the others within ROUTINE_LOCAL_SECONDS
    cache_forget(keys)


def series_changed(sender: type, instance: Series, **kwargs: Any) -> None:
    if instance.pk is not None:
        _forget(list(Routine.objects.filter(series_id=instance.pk).values_list("pk", flat=True)))


def routine_changed(sender: type, instance: Routine, **kwargs: Any) -> None:
    if instance.pk is not None:
        _forget([instance.pk])


def step_changed(sender: type, instance: Step, **kwargs: Any) -> None:
    _forget([instance.routine_id])
