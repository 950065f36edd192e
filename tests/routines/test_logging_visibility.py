"""A series set back to draft refuses the next log through every way of logging.

Every interface finds the routine through ``routine_for_logging``; no cache stands
between a publication change and the next request.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from routines.models import Series, SessionLog
from routines.selectors import routine_for_logging
from routines.services import session_log_create
from tests.factories import RoutineFactory, SessionLogFactory, session_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def routine():
    return RoutineFactory()


def unpublish(routine) -> None:
    """As an admin bulk action would: no save(), no signal."""
    Series.objects.filter(pk=routine.series_id).update(status=Series.Status.DRAFT)


def test_the_selector_finds_a_published_routine_then_not_once_unpublished(user, routine):
    found = routine_for_logging(user=user, routine_id=routine.pk)
    assert found == routine
    assert found.step_count == 3
    unpublish(routine)
    assert routine_for_logging(user=user, routine_id=routine.pk) is None


def test_api_post_is_refused_with_a_field_error(member_api, user, routine):
    assert (
        member_api.post("/api/v1/sessions/", session_payload(routine), format="json").status_code
        == 201
    )
    unpublish(routine)
    for _ in range(3):
        response = member_api.post("/api/v1/sessions/", session_payload(routine), format="json")
        assert response.status_code == 400
        assert "routine" in response.json()
    assert SessionLog.objects.filter(user=user).count() == 1


def test_api_patch_cannot_move_a_log_to_an_unpublished_routine(member_api, user, routine):
    log = SessionLogFactory(user=user)
    unpublish(routine)
    response = member_api.patch(
        f"/api/v1/sessions/{log.pk}/", {"routine": routine.pk}, format="json"
    )
    assert response.status_code == 400
    assert "routine" in response.json()
    log.refresh_from_db()
    assert log.routine_id != routine.pk


def test_the_players_finish_form_is_refused(member_client, user, routine):
    unpublish(routine)
    start = timezone.now() - dt.timedelta(minutes=20)
    response = member_client.post(
        reverse("routines:finish", args=[routine.pk]),
        {
            "client_id": str(uuid.uuid4()),
            "started_at": start.isoformat(),
            "ended_at": (start + dt.timedelta(minutes=10)).isoformat(),
            "steps_completed": 3,
        },
    )
    assert response.status_code == 404
    assert not SessionLog.objects.filter(user=user).exists()


def test_the_manual_log_form_is_refused_with_a_field_error(member_client, user, routine):
    unpublish(routine)
    yesterday = timezone.now() - dt.timedelta(days=1)
    response = member_client.post(
        reverse("routines:session_new"),
        {
            "routine": routine.pk,
            "date": yesterday.date().isoformat(),
            "time": "09:00",
            "duration_minutes": 10,
        },
    )
    assert response.status_code == 400
    assert "routine" in response.context["form"].errors
    assert not SessionLog.objects.filter(user=user).exists()


def test_editing_a_log_keeps_its_own_routine_even_once_unpublished(member_client, user, routine):
    """A member's history stays theirs: the log's own routine is still a valid choice."""
    start = timezone.now() - dt.timedelta(days=2)
    log, _ = session_log_create(
        user=user, routine=routine, started_at=start, ended_at=start + dt.timedelta(minutes=5)
    )
    unpublish(routine)
    local = start.astimezone(user.zone)
    response = member_client.post(
        reverse("routines:session_edit", args=[log.pk]),
        {
            "routine": routine.pk,
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
            "duration_minutes": 12,
        },
    )
    assert response.status_code == 302
    log.refresh_from_db()
    assert log.duration_seconds == 12 * 60


def test_an_editor_previewing_a_draft_logs_nothing(editor_user, routine):
    """Editors see drafts (to preview them), but only published routines are logged."""
    from rest_framework.test import APIClient

    unpublish(routine)
    api = APIClient()
    api.force_authenticate(editor_user)
    response = api.post("/api/v1/sessions/", session_payload(routine), format="json")
    assert response.status_code == 400
    assert "routine" in response.json()
    assert not SessionLog.objects.filter(user=editor_user).exists()
