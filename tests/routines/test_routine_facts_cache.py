"""Routine facts for logging (``routine_for_logging(cached=True)``): kept in this
process's memory, and in the shared cache when there is one; library edits drop both
(routines/signals.py), so POST sessions/ never logs against stale facts."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.cache import cache, caches
from django.test import override_settings

from accounts.services import api_token_create
from routines.models import Series, SessionLog, Step
from routines.selectors import routine_cache_key, routine_for_logging
from tests.factories import RoutineFactory

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/sessions/"


def post_log(client, token: str, routine):
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=30)
    body = {
        "client_id": str(uuid.uuid4()),
        "routine": routine.pk,
        "started_at": start.isoformat(),
        "ended_at": (start + dt.timedelta(minutes=10)).isoformat(),
    }
    return client.post(
        SESSIONS,
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Token {token}"},
    )


def test_a_second_lookup_makes_no_query(user, django_assert_num_queries):
    routine = RoutineFactory(steps=4)
    first = routine_for_logging(user=user, routine_id=routine.pk, cached=True)
    assert first.pk == routine.pk and first.step_count == 4
    with django_assert_num_queries(0):
        again = routine_for_logging(user=user, routine_id=routine.pk, cached=True)
    assert (again.pk, again.step_count, again.series_id) == (routine.pk, 4, routine.series_id)


def test_unpublishing_the_series_hides_the_routine_at_once_and_publishing_shows_it(client, user):
    token = api_token_create(user=user)[1]
    routine = RoutineFactory()
    assert post_log(client, token, routine).status_code == 201  # facts now cached

    series = routine.series
    series.status = Series.Status.DRAFT
    series.save()
    refused = post_log(client, token, routine)
    assert refused.status_code == 400
    assert "routine" in refused.json()
    assert routine_for_logging(user=user, routine_id=routine.pk, cached=True) is None

    series.status = Series.Status.PUBLISHED
    series.save()
    assert post_log(client, token, routine).status_code == 201
    assert SessionLog.objects.filter(user=user).count() == 2


def test_adding_a_step_changes_the_next_logs_steps_total(client, user):
    token = api_token_create(user=user)[1]
    routine = RoutineFactory(steps=3)
    first = post_log(client, token, routine)
    assert first.status_code == 201
    assert SessionLog.objects.get(client_id=first.json()["client_id"]).steps_total == 3

    Step.objects.create(
        routine=routine, position=4, title="Step 4", instruction="Rest.", duration_seconds=20
    )
    second = post_log(client, token, routine)
    assert second.status_code == 201
    assert SessionLog.objects.get(client_id=second.json()["client_id"]).steps_total == 4


@override_settings(CACHE_IS_SHARED=True)
def test_with_a_shared_cache_another_process_reads_the_facts_without_a_query(
    user, django_assert_num_queries
):
    routine = RoutineFactory(steps=2)
    key = routine_cache_key(routine.pk)
    routine_for_logging(user=user, routine_id=routine.pk, cached=True)
    assert cache.get(key) is not None and caches["local"].get(key) is not None

    caches["local"].clear()  # another process: its own memory is empty
    with django_assert_num_queries(0):
        read = routine_for_logging(user=user, routine_id=routine.pk, cached=True)
    assert (read.pk, read.step_count) == (routine.pk, 2)
    assert caches["local"].get(key) == cache.get(key)

    routine.title = "Renamed"
    routine.save()
    assert cache.get(key) is None and caches["local"].get(key) is None
    assert routine_for_logging(user=user, routine_id=routine.pk, cached=True).title == "Renamed"


def test_without_a_shared_cache_the_facts_stay_in_this_process(user):
    routine = RoutineFactory()
    key = routine_cache_key(routine.pk)
    with override_settings(CACHE_IS_SHARED=False):
        routine_for_logging(user=user, routine_id=routine.pk, cached=True)
    assert caches["local"].get(key) is not None
    assert cache.get(key) is None
